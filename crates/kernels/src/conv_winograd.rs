//! Winograd F(2×2, 3×3) convolution for 3×3, stride-1, padding-1 layers (Lavin & Gray 2016,
//! "Fast Algorithms for Convolutional Neural Networks", §4). Each 2×2 output tile of a channel
//! pair is `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` (their eq. 8) with `d` the 4×4 input patch under it
//! and `g` the 3×3 kernel:
//!
//! ```text
//! Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//! Aᵀ = [1 1 1 0; 0 1 −1 −1].
//! ```
//!
//! Summed over input channels, each of the 16 transformed points ξ is one GEMM
//! `M[ξ] = U[ξ] · V[ξ]` with `U[ξ]: [O, C]` (transformed weights) and `V[ξ]: [C, tiles]`
//! (transformed input): 16·O·C multiplies per tile instead of the 36·O·C of direct or im2col
//! convolution (2.25× fewer), and the transformed input is 4× the input where the im2col matrix
//! is 9×.
//!
//! The weight gradient is the adjoint of the same formula: `∂g = Gᵀ [(A ∂Y Aᵀ) ⊙ V] G`, summed
//! over tiles, i.e. 16 GEMMs `∂U[ξ] = Z[ξ] · V[ξ]ᵀ` with `Z[ξ]: [O, tiles]` the transformed
//! output gradient. (The input gradient of such a layer is again a 3×3, stride-1, padding-1
//! convolution, of `∂y` with the flipped kernel, so it comes through [`forward`] too.)
//!
//! Layout: every transformed buffer is `[16][channels][tiles]`, tiles numbered
//! `(sample, ty, tx)` row-major over a group of samples; output sizes need not be even (the
//! last tile row and column are cut); the transforms are in [`super::winograd_tiles`]. Parallel
//! over runs of samples like [`super::conv_kernel`].

use super::conv_im2col::Geometry;
use super::conv_kernel::{add_partials, gemm, per_task};
use super::matmul::Mat;
use super::vmath;
use super::winograd_tiles::{
    XI, inverse_output, inverse_weight, tiles, transform_grad, transform_input, transform_weight,
};
use rayon::prelude::*;

/// Channels on each side below which im2col is used (the GEMMs' inner size here is `C`).
const MIN_CHANNELS: usize = 16;

/// Tiles per group of samples (one 28×28 sample has 196): bounds the transformed buffers.
const GROUP_TILES: usize = 256;

/// Whether `g` is a convolution this module computes: 3×3, stride 1, padding 1, and at least
/// [`MIN_CHANNELS`] input and output channels.
pub fn applies(g: &Geometry) -> bool {
    g.kernel == [3, 3]
        && g.stride == [1, 1]
        && g.pad == [1, 1]
        && g.c >= MIN_CHANNELS
        && g.o >= MIN_CHANNELS
}

/// Samples per group.
fn per_group(g: &Geometry) -> usize {
    let (th, tw) = tiles(g);
    GROUP_TILES.div_ceil(th * tw).max(1)
}

/// Forward pass: `x: [B, C, H, W]`, `weight: [O, C, 3, 3]`, `bias: [O]` → `[B, O, H, W]`
/// (`g` must satisfy [`applies`] but for the channel counts).
pub fn forward(g: &Geometry, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let (xl, yl) = (g.input_len(), g.o * g.pixels());
    let batch = x.len() / xl;
    let u = transform_weight(g, weight);
    let (oc, per) = (g.o * g.c, per_group(g));
    let mut y = vec![0.0f32; batch * yl];
    let chunk = per_task(batch);
    y.par_chunks_mut(chunk * yl)
        .zip(x.par_chunks(chunk * xl))
        .for_each(|(ys, xs)| {
            let (mut v, mut m) = (Vec::new(), Vec::new());
            for (ys, xs) in ys.chunks_mut(per * yl).zip(xs.chunks(per * xl)) {
                transform_input(g, xs, &mut v);
                let p = v.len() / (XI * g.c);
                m.resize(XI * g.o * p, 0.0);
                for (xi, mx) in m.chunks_exact_mut(g.o * p).enumerate() {
                    let (uxi, vxi) = (&u[xi * oc..][..oc], &v[xi * g.c * p..][..g.c * p]);
                    gemm(
                        mx,
                        [g.o, p, g.c],
                        Mat::rows(uxi, g.c),
                        Mat::rows(vxi, p),
                        false,
                    );
                }
                inverse_output(g, &m, bias, ys);
            }
        });
    y
}

/// Weight and bias gradients given `x: [B, C, H, W]` and `dy: [B, O, H, W]`:
/// `(∂W: [O, C, 3, 3], ∂bias: [O])`.
pub fn weight_grad(g: &Geometry, x: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (xl, yl, oc, per) = (g.input_len(), g.o * g.pixels(), g.o * g.c, per_group(g));
    let chunk = per_task(x.len() / xl);
    let partials: Vec<(Vec<f32>, Vec<f32>)> = x
        .par_chunks(chunk * xl)
        .zip(dy.par_chunks(chunk * yl))
        .map(|(xs, dys)| {
            let mut du = vec![0.0f32; XI * oc];
            let (mut v, mut z) = (Vec::new(), Vec::new());
            for (xs, dys) in xs.chunks(per * xl).zip(dys.chunks(per * yl)) {
                transform_input(g, xs, &mut v);
                transform_grad(g, dys, &mut z);
                let p = v.len() / (XI * g.c);
                for (xi, dux) in du.chunks_exact_mut(oc).enumerate() {
                    let (zxi, vxi) = (&z[xi * g.o * p..][..g.o * p], &v[xi * g.c * p..][..g.c * p]);
                    gemm(
                        dux,
                        [g.o, g.c, p],
                        Mat::rows(zxi, p),
                        Mat::transposed(vxi, p),
                        true,
                    );
                }
            }
            let mut db = vec![0.0f32; g.o];
            for dy in dys.chunks_exact(yl) {
                for (d, plane) in db.iter_mut().zip(dy.chunks_exact(g.pixels())) {
                    *d += vmath::sum(plane) as f32;
                }
            }
            (du, db)
        })
        .collect();
    let (du, db) = add_partials(partials, [XI * oc, g.o]);
    (inverse_weight(g, &du), db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv_kernel;
    use crate::testing::{rel, values};

    /// Forward, ∂W and ∂bias against the im2col kernels, on even and odd map sizes.
    #[test]
    fn matches_im2col() {
        for (n, c, o, h, w) in [
            (3, 16, 16, 28, 28),
            (5, 20, 17, 7, 7),
            (2, 16, 24, 9, 11),
            (1, 3, 2, 5, 4),
        ] {
            let g = Geometry::new([c, h, w], o, [3, 3], [1, 1], [1, 1]).unwrap();
            let (x, wt, b) = (values(n * c * h * w, 1), values(o * c * 9, 2), values(o, 3));
            let dy = values(n * o * h * w, 4);
            let ours = forward(&g, &x, &wt, Some(&b));
            let reference = conv_kernel::forward_im2col(&g, &x, &wt, Some(&b));
            let e = rel(&ours, &reference);
            assert!(e < 1e-5, "forward n{n} c{c} o{o} {h}x{w}: {e}");
            let (dw, db) = weight_grad(&g, &x, &dy);
            let (_, dw_ref, db_ref) = conv_kernel::backward_im2col(&g, &x, &wt, &dy, false, false);
            let e = rel(&dw, &dw_ref);
            assert!(e < 1e-5, "dW n{n} c{c} o{o} {h}x{w}: {e}");
            assert!(rel(&db, &db_ref) < 1e-5);
        }
    }
}
