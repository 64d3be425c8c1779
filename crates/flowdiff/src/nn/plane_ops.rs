//! Two per-plane ops of the U-Nets on NCHW tensors, fused for the flex CPU backend
//! ([`super::flex_op`]) and parallel over the `N·C` planes:
//!
//! - [`shift_channels`]: `y[n, c, ·] = x[n, c, ·] + s[n, c]` (the time embedding added to a
//!   block's channels, Ho et al. 2020 App. B); backward `∂x = ∂y`, `∂s[n, c] = Σ_pixels ∂y`.
//!   burn runs a broadcasting add and, backward, a reduction over the two pixel axes.
//! - [`upsample2`]: nearest-neighbour ×2 upsampling, `y[n, c, 2i + a, 2j + b] = x[n, c, i, j]`;
//!   backward sums each 2×2 block. burn runs its general interpolation.
//!
//! Other backends run burn's own ops.

use super::flex_op::{self, FlexOp};
use burn::tensor::Tensor;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use flowdiff_kernels::vmath;
use rayon::prelude::*;

/// `x: [N, C, H, W]` plus `s: [N, C]` broadcast over each plane.
pub fn shift_channels(x: Tensor<4>, s: Tensor<2>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let op = Shift { dims: [n, c, h, w] };
    let inputs = [x.clone().into_dispatch(), s.clone().into_dispatch()];
    flex_op::apply(op, &inputs).unwrap_or_else(|| x.add(s.reshape([n, c, 1, 1])))
}

/// `x: [N, C, H, W]` → `[N, C, 2H, 2W]`, nearest neighbour.
pub fn upsample2(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let op = Upsample2 { dims: [n, c, h, w] };
    flex_op::apply(op, &[x.clone().into_dispatch()]).unwrap_or_else(|| {
        let options =
            InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * h, 2 * w]);
        interpolate(x, options)
    })
}

#[derive(Clone, Debug)]
struct Shift {
    dims: [usize; 4],
}

impl FlexOp for Shift {
    fn kind(&self) -> &'static str {
        "plane-shift"
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let [n, c, h, w] = self.dims;
        let (x, s, plane) = (inputs[0], inputs[1], h * w);
        if x.len() != n * c * plane || s.len() != n * c || plane == 0 {
            return None;
        }
        let mut y = x.to_vec();
        y.par_chunks_mut(plane)
            .zip(s.par_iter())
            .for_each(|(y, &s)| y.iter_mut().for_each(|v| *v += s));
        Some((y, self.dims.to_vec()))
    }

    fn backward(&self, _: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let plane = self.dims[2] * self.dims[3];
        let ds = needed[1].then(|| {
            let sums = grad.par_chunks(plane).map(|p| vmath::sum(p) as f32);
            sums.collect()
        });
        vec![needed[0].then(|| grad.to_vec()), ds]
    }
}

#[derive(Clone, Debug)]
struct Upsample2 {
    dims: [usize; 4],
}

impl FlexOp for Upsample2 {
    fn kind(&self) -> &'static str {
        "upsample"
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let [n, c, h, w] = self.dims;
        let x = inputs[0];
        if x.len() != n * c * h * w || h * w == 0 {
            return None;
        }
        let mut y = vec![0.0f32; 4 * x.len()];
        y.par_chunks_mut(4 * h * w)
            .zip(x.par_chunks(h * w))
            .for_each(|(y, x)| {
                for (rows, src) in y.chunks_exact_mut(4 * w).zip(x.chunks_exact(w)) {
                    let (top, bottom) = rows.split_at_mut(2 * w);
                    for (pair, &v) in top.chunks_exact_mut(2).zip(src) {
                        pair.fill(v);
                    }
                    bottom.copy_from_slice(top);
                }
            });
        Some((y, vec![n, c, 2 * h, 2 * w]))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], _: &[bool]) -> Vec<Option<Vec<f32>>> {
        let [_, _, h, w] = self.dims;
        let mut dx = vec![0.0f32; inputs[0].len()];
        dx.par_chunks_mut(h * w)
            .zip(grad.par_chunks(4 * h * w))
            .for_each(|(dx, g)| {
                for (d, rows) in dx.chunks_exact_mut(w).zip(g.chunks_exact(4 * w)) {
                    let (top, bottom) = rows.split_at(2 * w);
                    let pairs = top.chunks_exact(2).zip(bottom.chunks_exact(2));
                    for (d, (t, b)) in d.iter_mut().zip(pairs) {
                        *d = t[0] + t[1] + b[0] + b[1];
                    }
                }
            });
        vec![Some(dx)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rel;
    use burn::tensor::{Device, Distribution};

    fn normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), device).require_grad()
    }

    #[test]
    fn fused_shift_and_upsample_match_burn_forward_and_gradients() {
        let device = Device::flex().autodiff();
        let (x, s) = (normal([3, 4, 5, 7], &device), normal([3, 4], &device));
        let op = Shift { dims: [3, 4, 5, 7] };
        let inputs = [x.clone().into_dispatch(), s.clone().into_dispatch()];
        assert!(
            flex_op::apply::<4>(op, &inputs).is_some(),
            "the fused shift runs"
        );
        let up = Upsample2 { dims: [3, 4, 5, 7] };
        let inputs = [x.clone().into_dispatch()];
        assert!(
            flex_op::apply::<4>(up, &inputs).is_some(),
            "the fused upsampling runs"
        );
        let y = upsample2(shift_channels(x.clone(), s.clone()));
        let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([10, 14]);
        let y_ref = interpolate(x.clone().add(s.clone().reshape([3, 4, 1, 1])), options);
        assert_eq!(y.dims(), [3, 4, 10, 14]);
        assert!(rel(y.clone(), y_ref.clone()) < 1e-6, "forward");
        let r = normal([3, 4, 10, 14], &device);
        let g = y.mul(r.clone()).sum().backward();
        let g_ref = y_ref.mul(r).sum().backward();
        assert!(
            rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap()) < 1e-5,
            "dx"
        );
        assert!(
            rel(s.grad(&g).unwrap(), s.grad(&g_ref).unwrap()) < 1e-5,
            "ds"
        );
    }
}
