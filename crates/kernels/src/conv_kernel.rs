//! Raw f32 kernels of a 2-D convolution (groups 1, dilation 1) on contiguous NCHW buffers, as
//! GEMMs over im2col matrices ([`Geometry::im2col`], Chellapilla et al. 2006):
//!
//! - forward `y[b] = W · cols(x[b]) + bias` with `W: [O, C·kh·kw]`,
//! - weight gradient `∂W = Σ_b ∂y[b] · cols(x[b])ᵀ`, bias gradient `∂bias[o] = Σ_{b,p} ∂y[b, o, p]`,
//! - input gradient: for stride 1 the convolution `∂x = conv(∂y, W′)` of
//!   [`Geometry::transposed`] (a GEMM with `K = O·kh·kw`); otherwise `∂x[b] = col2im(Wᵀ · ∂y[b])`.
//!
//! The batch is split into one contiguous run of samples per rayon thread; each thread keeps its
//! im2col scratch (a few MB at most, so it stays in cache) and its own `∂W` partial sum, and
//! calls single-threaded GEMMs on groups of samples placed side by side (so that 7×7 and 14×14
//! maps still give wide GEMMs). Nothing of size `batch × cols` is ever materialised.

pub use super::conv_im2col::Geometry;
use super::conv_winograd;
use super::matmul::{Mat, gemm as gemm_par, transpose};
use rayon::prelude::*;

/// A single-threaded GEMM (the kernels here parallelise over samples).
pub(super) fn gemm(dst: &mut [f32], dims: [usize; 3], lhs: Mat, rhs: Mat, accumulate: bool) {
    gemm_par(dst, dims, lhs, rhs, accumulate, false);
}

/// Samples per rayon task: the batch in one contiguous run per thread.
pub(super) fn per_task(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Samples per GEMM: enough for about [`GEMM_COLUMNS`] columns, since every GEMM call packs
/// the whole weight matrix again (7×7 maps alone would give 49-column GEMMs).
fn per_gemm(g: &Geometry) -> usize {
    GEMM_COLUMNS.div_ceil(g.pixels()).max(1)
}

const GEMM_COLUMNS: usize = 512;

/// Whether the weight gradient is accumulated as `∂Wᵀ[rows, O] += cols · ∂yᵀ` (transposed at
/// the end) rather than `∂W[O, rows] += ∂y · colsᵀ`. gemm lays its micro-tiles along the
/// destination's rows: the transposed form streams the im2col matrix without packing it, the
/// plain one packs it but fills 64-row tiles along `rows`. Timed per layer (`time_unet_convs`,
/// one thread): transposed is 10–20% faster for `O ≤ 64` (e.g. 96→32 on 28×28: 121 → 97 ms)
/// and 10–20% slower for `O = 128`.
fn dw_transposed(g: &Geometry) -> bool {
    g.o <= 64
}

/// Runs `f(samples, cols, ld)` for each group of up to [`per_gemm`] samples of `xs` (a run of
/// `[C, H, W]` samples), `cols` being the group's im2col matrices side by side (`[rows, ld]`,
/// `ld = samples·pixels`); a single pointwise sample is its own im2col matrix.
fn for_groups(g: &Geometry, xs: &[f32], mut f: impl FnMut(std::ops::Range<usize>, &[f32], usize)) {
    let (xl, n, per) = (g.input_len(), g.pixels(), per_gemm(g));
    let batch = xs.len() / xl;
    let mut cols = Vec::new();
    for start in (0..batch).step_by(per) {
        let k = per.min(batch - start);
        let ld = k * n;
        if g.pointwise() && k == 1 {
            f(start..start + 1, &xs[start * xl..][..xl], ld);
            continue;
        }
        cols.resize(g.rows() * ld, 0.0);
        for s in 0..k {
            g.im2col(&xs[(start + s) * xl..][..xl], &mut cols[s * n..], ld);
        }
        f(start..start + k, &cols, ld);
    }
}

/// The autotuning key of a convolution step `op` on `batch` samples of shape `g`.
fn tune_key(op: &str, g: &Geometry, batch: usize) -> String {
    format!(
        "{op} c{} {}x{} o{} k{}x{} s{}x{} p{}x{} b{batch} t{}",
        g.c,
        g.h,
        g.w,
        g.o,
        g.kernel[0],
        g.kernel[1],
        g.stride[0],
        g.stride[1],
        g.pad[0],
        g.pad[1],
        rayon::current_num_threads()
    )
}

/// Forward pass: `x: [B, C, H, W]`, `weight: [O, C, kh, kw]`, `bias: [O]` → `[B, O, Ho, Wo]`;
/// where Winograd ([`conv_winograd`]) applies, it or im2col as [`crate::tune`] measured
/// (Winograd when tuning is off), else im2col.
pub fn forward(g: &Geometry, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    if !conv_winograd::applies(g) {
        return forward_im2col(g, x, weight, bias);
    }
    let key = tune_key("conv-forward", g, x.len() / g.input_len().max(1));
    crate::tune::Tuner::global().run(
        &key,
        0,
        &[&|| conv_winograd::forward(g, x, weight, bias), &|| {
            forward_im2col(g, x, weight, bias)
        }],
    )
}

/// [`forward`] as GEMMs over im2col matrices.
pub(super) fn forward_im2col(
    g: &Geometry,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let (rows, n, xl, yl) = (g.rows(), g.pixels(), g.input_len(), g.o * g.pixels());
    let batch = x.len() / xl;
    let mut y = vec![0.0f32; batch * yl];
    let chunk = per_task(batch);
    y.par_chunks_mut(chunk * yl)
        .zip(x.par_chunks(chunk * xl))
        .for_each(|(ys, xs)| {
            let mut out = Vec::new();
            for_groups(g, xs, |samples, cols, ld| {
                let k = samples.len();
                let dst = if k == 1 {
                    &mut ys[samples.start * yl..][..yl]
                } else {
                    out.resize(g.o * ld, 0.0);
                    &mut out[..]
                };
                if let Some(bias) = bias {
                    for (row, &b) in dst.chunks_exact_mut(ld).zip(bias) {
                        row.fill(b);
                    }
                }
                let lhs = Mat::rows(weight, rows);
                gemm(
                    dst,
                    [g.o, ld, rows],
                    lhs,
                    Mat::rows(cols, ld),
                    bias.is_some(),
                );
                if k > 1 {
                    // [O, k·pixels] → k samples of [O, pixels].
                    for (s, yb) in ys[samples.start * yl..][..k * yl]
                        .chunks_exact_mut(yl)
                        .enumerate()
                    {
                        for (o, row) in yb.chunks_exact_mut(n).enumerate() {
                            row.copy_from_slice(&out[o * ld + s * n..][..n]);
                        }
                    }
                }
            });
        });
    y
}

/// Gradients of [`forward`] given `dy: [B, O, Ho, Wo]`: `(∂x if want_dx, ∂W, ∂bias)`.
/// Where Winograd applies, `∂W` and `∂bias` come from [`conv_winograd::weight_grad`] and `∂x`
/// from the transposed convolution (itself a Winograd forward).
///
/// The candidates — Winograd's weight gradient (where it applies), im2col with `∂W`
/// accumulated transposed, and plain — are chosen per shape by [`crate::tune`]; with tuning
/// off, Winograd where it applies, else the layout [`dw_transposed`] guesses.
pub fn backward(
    g: &Geometry,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    want_dx: bool,
) -> (Option<Vec<f32>>, Vec<f32>, Vec<f32>) {
    let transposed = || backward_im2col(g, x, weight, dy, want_dx, true);
    let plain = || backward_im2col(g, x, weight, dy, want_dx, false);
    let key = tune_key(
        if want_dx {
            "conv-backward"
        } else {
            "conv-backward-w"
        },
        g,
        x.len() / g.input_len().max(1),
    );
    let tuner = crate::tune::Tuner::global();
    if let Some(t) = g.transposed().filter(|_| conv_winograd::applies(g)) {
        let by_winograd = || {
            let dx = want_dx.then(|| forward(&t, dy, &g.flip_weight(weight), None));
            let (dw, db) = conv_winograd::weight_grad(g, x, dy);
            (dx, dw, db)
        };
        return tuner.run(&key, 0, &[&by_winograd, &transposed, &plain]);
    }
    tuner.run(&key, usize::from(!dw_transposed(g)), &[&transposed, &plain])
}

/// [`backward`] as GEMMs over im2col matrices; `dw_transposed`: accumulate `∂Wᵀ[rows, O]`
/// (see [`dw_transposed`]) rather than `∂W[O, rows]`.
pub(super) fn backward_im2col(
    g: &Geometry,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    want_dx: bool,
    dw_transposed: bool,
) -> (Option<Vec<f32>>, Vec<f32>, Vec<f32>) {
    let (rows, n, xl, yl) = (g.rows(), g.pixels(), g.input_len(), g.o * g.pixels());
    let batch = x.len() / xl;
    let chunk = per_task(batch);
    // Stride 1: ∂x is itself a convolution of ∂y, a GEMM with K = O·kh·kw (instead of the
    // K = O GEMM and col2im scatter below).
    let as_conv = want_dx.then(|| g.transposed()).flatten();
    let dx_as_conv = as_conv.map(|t| forward(&t, dy, &g.flip_weight(weight), None));
    let want_dx = want_dx && dx_as_conv.is_none();
    let mut dx = vec![0.0f32; if want_dx { batch * xl } else { 0 }];
    // One `(∂W, ∂bias)` partial sum per task.
    let task = |xs: &[f32], dys: &[f32], mut dxs: Option<&mut [f32]>| {
        let mut dw = vec![0.0f32; g.o * rows];
        let mut db = vec![0.0f32; g.o];
        let (mut dyg, mut dcols) = (Vec::new(), Vec::new());
        for_groups(g, xs, |samples, cols, ld| {
            let k = samples.len();
            let dyb = &dys[samples.start * yl..][..k * yl];
            // ∂y of the group as one [O, k·pixels] matrix.
            let lhs: &[f32] = if k == 1 {
                dyb
            } else {
                dyg.resize(g.o * ld, 0.0);
                for (s, ys) in dyb.chunks_exact(yl).enumerate() {
                    for (o, row) in ys.chunks_exact(n).enumerate() {
                        dyg[o * ld + s * n..][..n].copy_from_slice(row);
                    }
                }
                &dyg
            };
            if dw_transposed {
                gemm(
                    &mut dw,
                    [rows, g.o, ld],
                    Mat::rows(cols, ld),
                    Mat::transposed(lhs, ld),
                    true,
                );
            } else {
                gemm(
                    &mut dw,
                    [g.o, rows, ld],
                    Mat::rows(lhs, ld),
                    Mat::transposed(cols, ld),
                    true,
                );
            }
            for (d, row) in db.iter_mut().zip(lhs.chunks_exact(ld)) {
                *d += row.iter().sum::<f32>();
            }
            if let Some(dxs) = dxs.as_deref_mut() {
                let dxg = &mut dxs[samples.start * xl..][..k * xl];
                let (wt, rhs) = (Mat::transposed(weight, rows), Mat::rows(lhs, ld));
                if g.pointwise() && k == 1 {
                    gemm(dxg, [rows, ld, g.o], wt, rhs, false);
                } else {
                    dcols.resize(rows * ld, 0.0);
                    gemm(&mut dcols, [rows, ld, g.o], wt, rhs, false);
                    for (s, dxb) in dxg.chunks_exact_mut(xl).enumerate() {
                        g.col2im(&dcols[s * n..], ld, dxb);
                    }
                }
            }
        });
        (dw, db)
    };
    let partials: Vec<(Vec<f32>, Vec<f32>)> = if want_dx {
        dx.par_chunks_mut(chunk * xl)
            .zip(x.par_chunks(chunk * xl).zip(dy.par_chunks(chunk * yl)))
            .map(|(dxs, (xs, dys))| task(xs, dys, Some(dxs)))
            .collect()
    } else {
        x.par_chunks(chunk * xl)
            .zip(dy.par_chunks(chunk * yl))
            .map(|(xs, dys)| task(xs, dys, None))
            .collect()
    };
    let (mut dw, db) = add_partials(partials, [g.o * rows, g.o]);
    if dw_transposed {
        // The summed ∂Wᵀ[rows, O] → ∂W[O, rows], once.
        dw = transpose(&dw, rows, g.o);
    }
    (dx_as_conv.or(want_dx.then_some(dx)), dw, db)
}

/// The sum of the per-task `(∂W, ∂bias)` partial sums (zeros of `lens` for an empty batch).
pub(super) fn add_partials(
    partials: Vec<(Vec<f32>, Vec<f32>)>,
    lens: [usize; 2],
) -> (Vec<f32>, Vec<f32>) {
    let mut parts = partials.into_iter();
    let (mut dw, mut db) = parts
        .next()
        .unwrap_or_else(|| (vec![0.0; lens[0]], vec![0.0; lens[1]]));
    for (w, b) in parts {
        dw.iter_mut().zip(&w).for_each(|(a, v)| *a += v);
        db.iter_mut().zip(&b).for_each(|(a, v)| *a += v);
    }
    (dw, db)
}
