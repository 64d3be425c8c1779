//! A fused fully connected layer for the flex CPU backend: `y = x·W + b` as one GEMM into
//! rows that start as the bias, recorded as one autodiff node ([`super::flex_op`]) whose
//! backward is `∂x = ∂y·Wᵀ`, `∂W = xᵀ·∂y`, `∂b = Σ_rows ∂y`. burn's `Linear` records a matmul
//! and a broadcast add (and reduces the bias gradient in a separate op); on small layers
//! (the 2-D MLPs) that per-op overhead is a large part of a step. Weights stay burn's
//! `Linear` (same record), and other backends run burn's own forward.

use super::flex_op::{self, FlexOp};
use burn::nn::Linear;
use burn::tensor::Tensor;
use flowdiff_kernels::matmul::{Mat, column_sums, gemm};

/// GEMMs with at least this many multiply-adds are split over rayon's threads.
const PARALLEL_MACS: usize = 1 << 20;

/// `layer(x)`: `x: [.., d_in]` → `[.., d_out]` (weight `[d_in, d_out]`, optional bias).
pub fn linear<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    let dims = x.dims();
    let [d_in, d_out] = layer.weight.dims();
    if dims[D - 1] != d_in {
        return layer.forward(x); // burn names the shape mismatch
    }
    let mut inputs = vec![
        x.clone().into_dispatch(),
        layer.weight.val().into_dispatch(),
    ];
    if let Some(b) = &layer.bias {
        inputs.push(b.val().into_dispatch());
    }
    let mut out = dims.to_vec();
    out[D - 1] = d_out;
    let op = LinearOp {
        rows: dims[..D - 1].iter().product(),
        d_in,
        d_out,
        out,
    };
    flex_op::apply(op, &inputs).unwrap_or_else(|| layer.forward(x))
}

/// `[x, W, (b)]` → `x·W + b`, `x` as `[rows, d_in]`.
#[derive(Clone, Debug)]
struct LinearOp {
    rows: usize,
    d_in: usize,
    d_out: usize,
    /// Output shape.
    out: Vec<usize>,
}

impl LinearOp {
    fn parallel(&self) -> bool {
        self.rows * self.d_in * self.d_out >= PARALLEL_MACS
    }
}

impl FlexOp for LinearOp {
    fn kind(&self) -> &'static str {
        "linear"
    }

    /// `2·m·k·n`.
    fn flops(&self, _: &[&[f32]]) -> f64 {
        2.0 * (self.rows * self.d_in * self.d_out) as f64
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let (x, w) = (inputs[0], inputs[1]);
        let (m, k, n) = (self.rows, self.d_in, self.d_out);
        if x.len() != m * k || w.len() != k * n || inputs.get(2).is_some_and(|b| b.len() != n) {
            return None;
        }
        let mut y = match inputs.get(2) {
            Some(b) => b.repeat(m),
            None => vec![0.0; m * n],
        };
        if m > 0 && k > 0 {
            let (lhs, rhs) = (Mat::rows(x, k), Mat::rows(w, n));
            gemm(&mut y, [m, n, k], lhs, rhs, true, self.parallel());
        }
        Some((y, self.out.clone()))
    }

    fn backward(&self, inputs: &[&[f32]], dy: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let (x, w) = (inputs[0], inputs[1]);
        let (m, k, n) = (self.rows, self.d_in, self.d_out);
        let par = self.parallel();
        let dx = needed[0].then(|| {
            let mut dx = vec![0.0; m * k];
            gemm(
                &mut dx,
                [m, k, n],
                Mat::rows(dy, n),
                Mat::transposed(w, n),
                false,
                par,
            );
            dx
        });
        let dw = needed[1].then(|| {
            let mut dw = vec![0.0; k * n];
            gemm(
                &mut dw,
                [k, n, m],
                Mat::transposed(x, k),
                Mat::rows(dy, n),
                false,
                par,
            );
            dw
        });
        let mut grads = vec![dx, dw];
        if inputs.len() == 3 {
            grads.push(needed[2].then(|| column_sums(dy, n)));
        }
        grads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rel;
    use burn::module::Module;
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Distribution};

    /// Output and every gradient agree with burn's own `Linear` (matmul + broadcast add), on
    /// a rank-3 input; the plain (inference) device agrees too.
    fn agrees_with_burn(rows: usize, d_in: usize, d_out: usize, bias: bool) {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(d_in, d_out).with_bias(bias).init(&device);
        let x = Tensor::<3>::random([2, rows, d_in], Distribution::Normal(0.0, 1.0), &device)
            .require_grad();
        let y = linear(&layer, x.clone());
        let y_ref = layer.forward(x.clone());
        assert_eq!(y.dims(), [2, rows, d_out]);
        assert!(rel(y.clone(), y_ref.clone()) < 1e-5, "forward");
        let r = Tensor::<3>::random([2, rows, d_out], Distribution::Normal(0.0, 1.0), &device);
        let g = y.mul(r.clone()).sum().backward();
        let g_ref = y_ref.mul(r).sum().backward();
        assert!(
            rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap()) < 1e-5,
            "dx"
        );
        let w = layer.weight.val();
        assert!(
            rel(w.grad(&g).unwrap(), w.grad(&g_ref).unwrap()) < 1e-5,
            "dW"
        );
        if let Some(b) = &layer.bias {
            let b = b.val();
            assert!(
                rel(b.grad(&g).unwrap(), b.grad(&g_ref).unwrap()) < 1e-5,
                "db"
            );
        }
        let plain = Device::flex();
        let layer = layer.valid();
        let x = Tensor::<3>::random([2, rows, d_in], Distribution::Normal(0.0, 1.0), &plain);
        assert!(
            rel(linear(&layer, x.clone()), layer.forward(x)) < 1e-5,
            "plain"
        );
    }

    #[test]
    fn fused_linear_matches_burn_forward_and_gradients() {
        agrees_with_burn(5, 3, 4, true);
        agrees_with_burn(300, 64, 96, true); // large enough for the parallel GEMM
        agrees_with_burn(7, 8, 2, false);
    }
}
