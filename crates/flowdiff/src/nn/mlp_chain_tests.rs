//! The fused MLP chain against burn's layers: output and every gradient, any rank.

use super::*;
use crate::testing::rel;
use burn::module::Module;
use burn::nn::LinearConfig;
use burn::tensor::{Device, Distribution};

/// Output and every gradient agree with burn's own layers (matmul, add, SiLU), for a batch
/// of several chunks with a ragged last one; the plain (inference) device agrees too.
fn agrees_with_burn(rows: usize, widths: &[usize], act: Activation) {
    let device = Device::flex().autodiff();
    let layers: Vec<Linear> = widths
        .windows(2)
        .map(|w| LinearConfig::new(w[0], w[1]).init(&device))
        .collect();
    let refs: Vec<&Linear> = layers.iter().collect();
    let by_burn = |x: Tensor<2>| {
        let (last, hidden) = layers.split_last().unwrap();
        let h = hidden.iter().fold(x, |h, l| {
            let z = l.forward(h);
            match act {
                Activation::Silu => z.clone().mul(burn::tensor::activation::sigmoid(z)),
                Activation::Relu => relu(z),
            }
        });
        last.forward(h)
    };
    let x = Tensor::<2>::random([rows, widths[0]], Distribution::Normal(0.0, 1.0), &device)
        .require_grad();
    let (op, inputs) = fused(&refs, act, &x).expect("bias everywhere, widths chain");
    assert!(
        flex_op::apply::<2>(op, &inputs).is_some(),
        "the fused op runs"
    );
    let y = mlp_chain(&refs, act, x.clone());
    let y_ref = by_burn(x.clone());
    assert_eq!(y.dims(), [rows, widths[widths.len() - 1]]);
    assert!(rel(y.clone(), y_ref.clone()) < 1e-5, "forward");
    let r = Tensor::<2>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device);
    let g = y.mul(r.clone()).sum().backward();
    let g_ref = y_ref.mul(r).sum().backward();
    let close = |a: Tensor<2>, b: Tensor<2>| rel(a, b) < 1e-4;
    assert!(close(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap()), "dx");
    for (i, l) in layers.iter().enumerate() {
        let (w, b) = (l.weight.val(), l.bias.as_ref().unwrap().val());
        assert!(close(w.grad(&g).unwrap(), w.grad(&g_ref).unwrap()), "dW{i}");
        let (db, db_ref) = (b.grad(&g).unwrap(), b.grad(&g_ref).unwrap());
        assert!(rel(db, db_ref) < 1e-4, "db{i}");
    }
    let plain = Device::flex();
    let layers: Vec<Linear> = layers.into_iter().map(|l| l.valid()).collect();
    let refs: Vec<&Linear> = layers.iter().collect();
    let x = Tensor::<2>::random([rows, widths[0]], Distribution::Normal(0.0, 1.0), &plain);
    let y_ref = refs[1..]
        .iter()
        .fold(linear(refs[0], x.clone()), |h, l| linear(l, act.apply(h)));
    assert!(rel(mlp_chain(&refs, act, x), y_ref) < 1e-5, "plain");
}

#[test]
fn fused_chain_matches_burn_forward_and_gradients() {
    agrees_with_burn(5, &[3, 8, 2], Activation::Silu);
    // Three chunks, the last one ragged.
    agrees_with_burn(700, &[3, 64, 64, 64, 2], Activation::Silu);
    agrees_with_burn(700, &[5, 32, 16, 3], Activation::Relu);
    agrees_with_burn(9, &[4, 6], Activation::Silu); // one layer, no activation
}

#[test]
fn leading_axes_are_rows() {
    let device = Device::flex();
    let layers: Vec<Linear> = [[4, 8], [8, 3]]
        .iter()
        .map(|&[i, o]| LinearConfig::new(i, o).init(&device))
        .collect();
    let refs: Vec<&Linear> = layers.iter().collect();
    let x = Tensor::<4>::random([2, 3, 5, 4], Distribution::Normal(0.0, 1.0), &device);
    let y = mlp_chain(&refs, Activation::Relu, x.clone());
    assert_eq!(y.dims(), [2, 3, 5, 3]);
    let flat = mlp_chain(&refs, Activation::Relu, x.reshape([30, 4]));
    assert!(rel(y.reshape([30, 3]), flat) < 1e-6);
}
