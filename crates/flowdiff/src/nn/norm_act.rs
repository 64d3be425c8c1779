//! Fused SiLU and GroupNorm for the flex CPU backend, each one pass forward and one backward
//! ([`super::flex_op`]); burn composes them from 2 and 8 generic tensor ops (whose backward
//! again recomputes the sigmoid with scalar `expf`). Other backends and dtypes fall back to
//! burn's own implementation.
//!
//! - `silu(x) = x·σ(x)`, `σ(x) = 1 / (1 + e^{−x})`; `∂x = ∂y·σ(x)·(1 + x·(1 − σ(x)))`.
//! - GroupNorm (Wu & He 2018) over `x: [N, C, …]` with `G` groups of `C/G` channels: per
//!   sample and group, `x̂ = (x − μ) / √(σ² + ε)` with the group's mean `μ` and biased
//!   variance `σ²`, then `y = γ_c·x̂ + β_c`. Backward with `M` elements per group and
//!   `g = γ_c·∂y`: `∂x = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε)`, `∂γ_c = Σ ∂y·x̂`,
//!   `∂β_c = Σ ∂y` (sums over the batch and the channel's pixels).
//! - [`GroupNorm::forward_silu`]: `silu(GroupNorm(x))` as one op; its backward recomputes the
//!   pre-activation `z` from `x` and the group statistics and runs the GroupNorm backward on
//!   `∂z = ∂y·silu′(z)` (one pass and one tensor of the activations' size fewer each way).

use super::flex_op::{self, FlexOp};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use flowdiff_kernels::vmath;
use rayon::prelude::*;

/// Elements per rayon task of the elementwise kernels.
const CHUNK: usize = 1 << 15;

/// `x·σ(x)` elementwise.
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let op = SiluOp(x.dims().to_vec());
    flex_op::apply(op, &[x.clone().into_dispatch()])
        .unwrap_or_else(|| burn::tensor::activation::silu(x))
}

#[derive(Clone, Debug)]
struct SiluOp(Vec<usize>);

impl FlexOp for SiluOp {
    fn kind(&self) -> &'static str {
        "silu"
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let x = inputs[0];
        let mut y = vec![0.0f32; x.len()];
        y.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(y, x)| vmath::silu(x, y));
        Some((y, self.0.clone()))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], _: &[bool]) -> Vec<Option<Vec<f32>>> {
        let x = inputs[0];
        let mut dx = vec![0.0f32; x.len()];
        dx.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(grad.par_chunks(CHUNK)))
            .for_each(|(dx, (x, dy))| vmath::silu_backward(x, dy, dx));
        vec![Some(dx)]
    }
}

/// Configuration of a [`GroupNorm`]: burn's `GroupNormConfig` (same defaults: ε = 1e-5,
/// affine with γ = 1 and β = 0).
#[derive(Clone, Debug)]
pub struct GroupNormConfig(burn::nn::GroupNormConfig);

impl GroupNormConfig {
    pub fn new(num_groups: usize, num_channels: usize) -> Self {
        Self(burn::nn::GroupNormConfig::new(num_groups, num_channels))
    }

    pub fn init(&self, device: &Device) -> GroupNorm {
        let n = self.0.init(device);
        GroupNorm {
            gamma: n.gamma,
            beta: n.beta,
            num_groups: n.num_groups,
            num_channels: n.num_channels,
            epsilon: n.epsilon,
            affine: n.affine,
        }
    }
}

/// Group normalisation with burn's `GroupNorm` fields and record layout.
#[derive(Module, Debug)]
pub struct GroupNorm {
    pub gamma: Option<Param<Tensor<1>>>,
    pub beta: Option<Param<Tensor<1>>>,
    pub num_groups: usize,
    pub num_channels: usize,
    pub epsilon: f64,
    pub affine: bool,
}

impl GroupNorm {
    /// `x: [N, C, …]` → same shape.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.run(x, false)
    }

    /// `silu(self.forward(x))`, fused on flex.
    pub fn forward_silu<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.run(x, true)
    }

    fn run<const D: usize>(&self, x: Tensor<D>, with_silu: bool) -> Tensor<D> {
        let dims = x.dims().to_vec();
        let (gamma, beta) = (self.gamma.as_ref(), self.beta.as_ref());
        let mut inputs = vec![x.clone().into_dispatch()];
        if let (true, Some(g), Some(b)) = (self.affine, gamma, beta) {
            inputs.extend([g.val().into_dispatch(), b.val().into_dispatch()]);
        }
        let fits =
            D >= 3 && dims[1] == self.num_channels && dims[1].is_multiple_of(self.num_groups);
        let op = GroupNormOp {
            dims,
            groups: self.num_groups,
            epsilon: self.epsilon,
            silu: with_silu,
        };
        fits.then(|| flex_op::apply(op, &inputs))
            .flatten()
            .unwrap_or_else(|| {
                let burn_norm = burn::nn::GroupNorm {
                    gamma: self.gamma.clone(),
                    beta: self.beta.clone(),
                    num_groups: self.num_groups,
                    num_channels: self.num_channels,
                    epsilon: self.epsilon,
                    affine: self.affine,
                };
                let y = burn_norm.forward(x);
                if with_silu { silu(y) } else { y }
            })
    }
}

/// GroupNorm on `[x, (γ, β)]`, `x` of shape `dims = [N, C, …]`.
#[derive(Clone, Debug)]
struct GroupNormOp {
    dims: Vec<usize>,
    groups: usize,
    epsilon: f64,
    /// Followed by SiLU.
    silu: bool,
}

impl GroupNormOp {
    /// `(C, pixels per channel, elements per sample)`.
    fn sizes(&self) -> (usize, usize, usize) {
        let c = self.dims[1];
        let pixels: usize = self.dims[2..].iter().product();
        (c, pixels, c * pixels)
    }

    /// Mean and `1/√(σ² + ε)` of one group's elements.
    fn stats(&self, x: &[f32]) -> (f32, f32) {
        let m = x.len() as f64;
        let mean = (vmath::sum(x) / m) as f32;
        let var = vmath::sum_sq_dev(x, mean) / m;
        (mean, (1.0 / (var + self.epsilon).sqrt()) as f32)
    }
}

impl FlexOp for GroupNormOp {
    fn kind(&self) -> &'static str {
        "group-norm"
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let (x, affine) = (inputs[0], inputs.get(1).zip(inputs.get(2)));
        let (c, pixels, sample) = self.sizes();
        let cg = c / self.groups;
        let fits = x.len() == self.dims.iter().product::<usize>()
            && affine.is_none_or(|(g, b)| g.len() == c && b.len() == c);
        if !fits {
            return None;
        }
        let mut y = vec![0.0f32; x.len()];
        y.par_chunks_mut(sample)
            .zip(x.par_chunks(sample))
            .for_each(|(y, x)| {
                let mut s = vec![0.0f32; if self.silu { pixels } else { 0 }];
                for (g, (y, x)) in y
                    .chunks_mut(cg * pixels)
                    .zip(x.chunks(cg * pixels))
                    .enumerate()
                {
                    let (mean, rstd) = self.stats(x);
                    for (k, (y, x)) in y.chunks_mut(pixels).zip(x.chunks(pixels)).enumerate() {
                        let ch = g * cg + k;
                        let (scale, shift) = affine.map_or((1.0, 0.0), |(gm, bt)| (gm[ch], bt[ch]));
                        let (a, b) = (rstd * scale, shift - mean * rstd * scale);
                        y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * a + b);
                        if self.silu {
                            vmath::silu_keep(y, &mut s);
                        }
                    }
                }
            });
        Some((y, self.dims.clone()))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let (x, gamma, beta) = (inputs[0], inputs.get(1).copied(), inputs.get(2).copied());
        let (c, pixels, sample) = self.sizes();
        let (cg, n) = (c / self.groups, x.len() / sample);
        let mut dx = vec![0.0f32; x.len()];
        // Per sample and channel: Σ ∂y and Σ ∂y·x̂ (summed over the batch for ∂β, ∂γ).
        let mut sums = vec![[0.0f64; 2]; n * c];
        dx.par_chunks_mut(sample)
            .zip(x.par_chunks(sample).zip(grad.par_chunks(sample)))
            .zip(sums.par_chunks_mut(c))
            .for_each(|((dx, (x, dy)), sums)| {
                let (mut z, mut dz) = (Vec::new(), Vec::new());
                let groups = dx.chunks_mut(cg * pixels).zip(x.chunks(cg * pixels));
                for (g, (dx, x)) in groups.enumerate() {
                    let (mean, rstd) = self.stats(x);
                    let mut dy = &dy[g * cg * pixels..][..cg * pixels];
                    if self.silu {
                        // ∂z = ∂y·silu′(z), z = γ·x̂ + β recomputed.
                        z.resize(cg * pixels, 0.0);
                        dz.resize(cg * pixels, 0.0);
                        for k in 0..cg {
                            let ch = g * cg + k;
                            let scale = gamma.map_or(1.0, |gm| gm[ch]);
                            let shift = beta.map_or(0.0, |bt| bt[ch]);
                            let (a, b) = (rstd * scale, shift - mean * rstd * scale);
                            let range = k * pixels..(k + 1) * pixels;
                            let zs = z[range.clone()].iter_mut().zip(&x[range]);
                            zs.for_each(|(z, &x)| *z = x * a + b);
                        }
                        vmath::silu_backward(&z, dy, &mut dz);
                        dy = &dz;
                    }
                    let (mut mg, mut mgx) = (0.0f64, 0.0f64);
                    for k in 0..cg {
                        let ch = g * cg + k;
                        let (xs, dys) = (&x[k * pixels..][..pixels], &dy[k * pixels..][..pixels]);
                        let sdy = vmath::sum(dys);
                        let sdyx = vmath::dot_dev(xs, dys, mean) * rstd as f64;
                        sums[ch] = [sdy, sdyx];
                        let scale = gamma.map_or(1.0, |gm| gm[ch]) as f64;
                        mg += scale * sdy;
                        mgx += scale * sdyx;
                    }
                    let m = (cg * pixels) as f64;
                    let (mg, mgx) = ((mg / m) as f32, (mgx / m) as f32);
                    for k in 0..cg {
                        let scale = gamma.map_or(1.0, |gm| gm[g * cg + k]);
                        let range = k * pixels..(k + 1) * pixels;
                        let it = dx[range.clone()].iter_mut().zip(&x[range.clone()]);
                        for ((d, &x), &dy) in it.zip(&dy[range]) {
                            let xhat = (x - mean) * rstd;
                            *d = rstd * (scale * dy - mg - xhat * mgx);
                        }
                    }
                }
            });
        let total = |i: usize| -> Vec<f32> {
            (0..c)
                .map(|ch| (0..n).map(|s| sums[s * c + ch][i]).sum::<f64>() as f32)
                .collect()
        };
        let mut out = vec![needed[0].then_some(dx)];
        if inputs.len() == 3 {
            out.push(needed[1].then(|| total(1)));
            out.push(needed[2].then(|| total(0)));
        }
        out
    }
}

#[cfg(test)]
#[path = "norm_act_tests.rs"]
mod tests;
