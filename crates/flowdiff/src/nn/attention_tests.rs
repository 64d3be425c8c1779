//! The fused attention ops against their composition in burn's ops: output and every gradient.

use super::*;
use crate::testing::rel;
use burn::tensor::{Device, Distribution, TensorData};

fn normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device).require_grad()
}

/// A key mask with the last `pad[g]` nodes of graph `g` padding.
fn mask(n: usize, pad: &[usize], device: &Device) -> Tensor<2> {
    let values: Vec<f32> = pad
        .iter()
        .flat_map(|&p| (0..n).map(move |j| if j + p >= n { -1e4 } else { 0.0 }))
        .collect();
    Tensor::from_data(TensorData::new(values, [pad.len(), n]), device)
}

#[test]
fn fused_film_scores_match_burn_forward_and_gradients() {
    let device = Device::flex().autodiff();
    let (b, n, heads, dh) = (3, 5, 4, 3);
    let (q, k) = (
        normal([b, n, heads * dh], &device),
        normal([b, n, heads * dh], &device),
    );
    let (mul, add) = (
        normal([b, n, n, heads], &device),
        normal([b, n, n, heads], &device),
    );
    let g = flowdiff_kernels::attention::Shape::new(n, heads, heads * dh).unwrap();
    let op = Scores(Graphs { b, g });
    let inputs = [&q, &k].map(|t| t.clone().into_dispatch());
    let edge = [&mul, &add].map(|t| t.clone().into_dispatch());
    let all = [
        inputs[0].clone(),
        inputs[1].clone(),
        edge[0].clone(),
        edge[1].clone(),
    ];
    assert!(flex_op::apply::<4>(op, &all).is_some(), "the fused op runs");
    let y = film_scores(q.clone(), k.clone(), mul.clone(), add.clone(), heads);
    let y_ref = film_scores_burn(q.clone(), k.clone(), mul.clone(), add.clone(), heads);
    assert_eq!(y.dims(), [b, n, n, heads]);
    assert!(rel(y.clone(), y_ref.clone()) < 1e-5, "forward");
    let r = normal([b, n, n, heads], &device);
    let g = y.mul(r.clone()).sum().backward();
    let g_ref = y_ref.mul(r).sum().backward();
    assert!(
        rel(q.grad(&g).unwrap(), q.grad(&g_ref).unwrap()) < 1e-5,
        "dq"
    );
    assert!(
        rel(k.grad(&g).unwrap(), k.grad(&g_ref).unwrap()) < 1e-5,
        "dk"
    );
    assert!(
        rel(mul.grad(&g).unwrap(), mul.grad(&g_ref).unwrap()) < 1e-5,
        "dmul"
    );
    assert!(
        rel(add.grad(&g).unwrap(), add.grad(&g_ref).unwrap()) < 1e-5,
        "dadd"
    );
}

#[test]
fn fused_masked_attention_matches_burn_forward_and_gradients() {
    let device = Device::flex().autodiff();
    let (b, n, heads, dh) = (3, 6, 2, 4);
    let s = normal([b, n, n, heads], &device);
    let v = normal([b, n, heads * dh], &device);
    let m = mask(n, &[0, 2, 5], &device).require_grad();
    let g = flowdiff_kernels::attention::Shape::new(n, heads, heads * dh).unwrap();
    let op = Attend(Graphs { b, g });
    let inputs = [&s].map(|t| t.clone().into_dispatch());
    let all = [
        inputs[0].clone(),
        v.clone().into_dispatch(),
        m.clone().into_dispatch(),
    ];
    assert!(flex_op::apply::<3>(op, &all).is_some(), "the fused op runs");
    let y = masked_attention(s.clone(), v.clone(), m.clone(), heads);
    let y_ref = masked_attention_burn(s.clone(), v.clone(), m.clone(), heads);
    assert_eq!(y.dims(), [b, n, heads * dh]);
    assert!(rel(y.clone(), y_ref.clone()) < 1e-5, "forward");
    let r = normal([b, n, heads * dh], &device);
    let g = y.mul(r.clone()).sum().backward();
    let g_ref = y_ref.mul(r).sum().backward();
    assert!(
        rel(s.grad(&g).unwrap(), s.grad(&g_ref).unwrap()) < 1e-5,
        "ds"
    );
    assert!(
        rel(v.grad(&g).unwrap(), v.grad(&g_ref).unwrap()) < 1e-5,
        "dv"
    );
    assert!(
        rel(m.grad(&g).unwrap(), m.grad(&g_ref).unwrap()) < 1e-4,
        "dmask"
    );
}
