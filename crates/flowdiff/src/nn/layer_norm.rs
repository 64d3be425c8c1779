//! Fused layer normalisation (Ba et al. 2016) over the last axis for the flex CPU backend,
//! one pass forward and one backward ([`super::flex_op`]); burn composes it from about eight
//! tensor ops, each allocating a tensor of the input's size (the graph transformer normalises
//! `[b, n, n, 32]` edge tensors four times per layer). Weights stay burn's `LayerNorm`.
//!
//! Per row of `d` values: `x̂ = (x − μ)/√(σ² + ε)` (biased variance), `y = γ·x̂ + β`.
//! Backward with `g = γ·∂y`: `∂x = (g − mean(g) − x̂·mean(g·x̂))/√(σ² + ε)`,
//! `∂γ = Σ_rows ∂y·x̂`, `∂β = Σ_rows ∂y`.

use super::flex_op::{self, FlexOp};
use burn::nn::LayerNorm;
use burn::tensor::Tensor;
use flowdiff_kernels::vmath;
use rayon::prelude::*;

/// burn's `LayerNormConfig` default ε (burn's `LayerNorm` does not expose its own; every
/// layer norm in flowdiff's models uses the default).
const EPSILON: f32 = 1e-5;

/// Rows per rayon task.
const ROWS_PER_TASK: usize = 512;

/// `ln(x)` over the last axis of `x` (for layer norms built with the default ε).
pub fn layer_norm<const D: usize>(ln: &LayerNorm, x: Tensor<D>) -> Tensor<D> {
    let dims = x.dims();
    let d = dims[D - 1];
    let Some(beta) = &ln.beta else {
        return ln.forward(x);
    };
    let inputs = [
        x.clone().into_dispatch(),
        ln.gamma.val().into_dispatch(),
        beta.val().into_dispatch(),
    ];
    let op = LayerNormOp {
        dims: dims.to_vec(),
        d,
    };
    flex_op::apply(op, &inputs).unwrap_or_else(|| ln.forward(x))
}

#[derive(Clone, Debug)]
struct LayerNormOp {
    dims: Vec<usize>,
    d: usize,
}

impl FlexOp for LayerNormOp {
    fn kind(&self) -> &'static str {
        "layer-norm"
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let (x, gamma, beta, d) = (inputs[0], inputs[1], inputs[2], self.d);
        if d == 0 || gamma.len() != d || beta.len() != d || x.len() % d != 0 {
            return None;
        }
        let mut y = vec![0.0f32; x.len()];
        y.par_chunks_mut(ROWS_PER_TASK * d)
            .zip(x.par_chunks(ROWS_PER_TASK * d))
            .for_each(|(y, x)| vmath::layer_norm_rows(x, gamma, beta, EPSILON, y));
        Some((y, self.dims.clone()))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let (x, gamma, d) = (inputs[0], inputs[1], self.d);
        let mut dx = vec![0.0f32; x.len()];
        // Per task: Σ ∂y·x̂ and Σ ∂y per feature (f32 over ≤ 512 rows), added up in f64.
        let partial: Vec<[Vec<f32>; 2]> = dx
            .par_chunks_mut(ROWS_PER_TASK * d)
            .zip(
                x.par_chunks(ROWS_PER_TASK * d)
                    .zip(grad.par_chunks(ROWS_PER_TASK * d)),
            )
            .map(|(dx, (x, dy))| {
                let (mut xhat, mut s0, mut s1) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
                vmath::layer_norm_backward_rows(
                    x, gamma, dy, EPSILON, dx, &mut xhat, &mut s0, &mut s1,
                );
                [s0, s1]
            })
            .collect();
        let total = |i: usize| -> Vec<f32> {
            (0..d)
                .map(|k| partial.iter().map(|s| s[i][k] as f64).sum::<f64>() as f32)
                .collect()
        };
        vec![
            needed[0].then_some(dx),
            needed[1].then(|| total(0)),
            needed[2].then(|| total(1)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rel;
    use burn::module::Param;
    use burn::nn::LayerNormConfig;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn fused_layer_norm_matches_burn_forward_and_gradients() {
        let device = Device::flex().autodiff();
        for dims in [[3, 5, 7, 32], [2, 600, 1, 24]] {
            let d = dims[3];
            let mut ln = LayerNormConfig::new(d).init(&device);
            let rnd =
                |s: [usize; 1]| Tensor::<1>::random(s, Distribution::Normal(0.0, 1.0), &device);
            ln.gamma = Param::from_tensor(rnd([d]));
            ln.beta = Some(Param::from_tensor(rnd([d])));
            let x =
                Tensor::<4>::random(dims, Distribution::Normal(1.0, 2.0), &device).require_grad();
            let (y, y_ref) = (layer_norm(&ln, x.clone()), ln.forward(x.clone()));
            assert!(rel(y.clone(), y_ref.clone()) < 1e-5, "forward {dims:?}");
            let r = Tensor::<4>::random(dims, Distribution::Normal(0.0, 1.0), &device);
            let g = y.mul(r.clone()).sum().backward();
            let g_ref = y_ref.mul(r).sum().backward();
            assert!(
                rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap()) < 1e-4,
                "dx {dims:?}"
            );
            let (gm, bt) = (ln.gamma.val(), ln.beta.as_ref().unwrap().val());
            assert!(
                rel(gm.grad(&g).unwrap(), gm.grad(&g_ref).unwrap()) < 1e-4,
                "dγ {dims:?}"
            );
            assert!(
                rel(bt.grad(&g).unwrap(), bt.grad(&g_ref).unwrap()) < 1e-4,
                "dβ {dims:?}"
            );
        }
    }
}
