//! The tile transforms of the Winograd F(2×2, 3×3) convolution ([`super::conv_winograd`];
//! Lavin & Gray 2016, §4.1, matrices `Bᵀ`, `G`, `Aᵀ` of F(2, 3)) and their adjoints, on whole
//! planes of tiles. Every transformed buffer is `[16][channels][tiles]`; tiles are numbered
//! `(sample, ty, tx)` row-major, so that each step is a vector operation over all tiles of a
//! plane ([`map`]); each transform is compiled for AVX2+FMA where the CPU has it.

use super::conv_im2col::Geometry;
use super::vmath::dispatch;

/// Transformed points per tile (4×4).
pub(super) const XI: usize = 16;

/// `Bᵀ d` along one axis: the input transform.
#[inline(always)]
fn bt([d0, d1, d2, d3]: [f32; 4]) -> [f32; 4] {
    [d0 - d2, d1 + d2, d2 - d1, d1 - d3]
}

/// `Aᵀ m` along one axis: the output transform.
#[inline(always)]
fn at4([m0, m1, m2, m3]: [f32; 4]) -> [f32; 2] {
    [m0 + m1 + m2, m1 - m2 - m3]
}

/// `A z` along one axis: the output-gradient transform (adjoint of [`at`]).
#[inline(always)]
fn a([z0, z1]: [f32; 2]) -> [f32; 4] {
    [z0, z0 + z1, z0 - z1, -z1]
}

/// `G g` along one axis: the kernel transform.
#[inline(always)]
fn gk([g0, g1, g2]: [f32; 3]) -> [f32; 4] {
    [g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2]
}

/// `Gᵀ u` along one axis: the kernel-gradient transform (adjoint of [`gk`]).
#[inline(always)]
fn gt([u0, u1, u2, u3]: [f32; 4]) -> [f32; 3] {
    [u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3]
}

/// Tile rows and columns: `(⌈Ho/2⌉, ⌈Wo/2⌉)`.
pub(super) fn tiles(g: &Geometry) -> (usize, usize) {
    (g.ho.div_ceil(2), g.wo.div_ceil(2))
}

/// `U = G g Gᵀ` of every kernel: `weight: [O, C, 3, 3]` → `[16][O][C]`.
pub(super) fn transform_weight(g: &Geometry, weight: &[f32]) -> Vec<f32> {
    let oc = g.o * g.c;
    let mut u = vec![0.0f32; XI * oc];
    for (k, w) in weight.chunks_exact(9).enumerate() {
        // G g: the transform down each of the 3 columns → 4×3.
        let cols: [[f32; 4]; 3] = std::array::from_fn(|j| gk([w[j], w[3 + j], w[6 + j]]));
        for r in 0..4 {
            for (q, v) in gk([cols[0][r], cols[1][r], cols[2][r]])
                .into_iter()
                .enumerate()
            {
                u[(r * 4 + q) * oc + k] = v;
            }
        }
    }
    u
}

/// `∂g = Gᵀ ∂U G` of every kernel: `[16][O][C]` → `[O, C, 3, 3]`.
pub(super) fn inverse_weight(g: &Geometry, du: &[f32]) -> Vec<f32> {
    let oc = g.o * g.c;
    let mut dw = vec![0.0f32; 9 * oc];
    for (k, w) in dw.chunks_exact_mut(9).enumerate() {
        let at = |r: usize, q: usize| du[(r * 4 + q) * oc + k];
        // Gᵀ ∂U: the adjoint down each of the 4 columns → 3×4.
        let cols: [[f32; 3]; 4] =
            std::array::from_fn(|q| gt([at(0, q), at(1, q), at(2, q), at(3, q)]));
        for i in 0..3 {
            let row = gt([cols[0][i], cols[1][i], cols[2][i], cols[3][i]]);
            w[i * 3..][..3].copy_from_slice(&row);
        }
    }
    dw
}

/// Vector lanes of [`map`].
const LANES: usize = 16;

/// `outs[k][p] = f([ins[0][p], …])[k]` over equal-length slices, [`LANES`] elements at a time
/// through local arrays (so the loop vectorises without aliasing checks between the slices).
#[inline(always)]
fn map<const I: usize, const O: usize>(
    ins: [&[f32]; I],
    outs: [&mut [f32]; O],
    f: impl Fn([f32; I]) -> [f32; O],
) {
    let n = outs[0].len();
    let mut p = 0;
    while p + LANES <= n {
        let x: [[f32; LANES]; I] =
            std::array::from_fn(|i| ins[i][p..p + LANES].try_into().unwrap());
        let mut y = [[0.0f32; LANES]; O];
        for l in 0..LANES {
            let r = f(std::array::from_fn(|i| x[i][l]));
            for k in 0..O {
                y[k][l] = r[k];
            }
        }
        for k in 0..O {
            outs[k][p..p + LANES].copy_from_slice(&y[k]);
        }
        p += LANES;
    }
    for q in p..n {
        let r = f(std::array::from_fn(|i| ins[i][q]));
        for k in 0..O {
            outs[k][q] = r[k];
        }
    }
}

/// `n`-element pieces `[k·n, (k+1)·n)` of a buffer, as `K` disjoint mutable slices.
fn pieces<const K: usize>(buf: &mut [f32], n: usize) -> [&mut [f32]; K] {
    let mut it = buf.chunks_exact_mut(n);
    std::array::from_fn(|_| it.next().expect("buffer holds K pieces"))
}

/// The 16 `[channels · tiles]` blocks of a transformed buffer `[16][channels][tiles]`.
fn blocks(buf: &mut [f32]) -> Vec<&mut [f32]> {
    let len = buf.len() / XI;
    buf.chunks_exact_mut(len).collect()
}

/// The `t` elements at `at` of the blocks `ξ = i·4 + j`, `i = 0 … 3` (of [`blocks`]): where
/// the 1-D transform down the rows of tile column `j` writes.
fn column<'a>(blocks: &'a mut [&mut [f32]], j: usize, at: usize, t: usize) -> [&'a mut [f32]; 4] {
    let mut it = blocks.iter_mut().skip(j).step_by(4);
    std::array::from_fn(|_| &mut it.next().expect("16 blocks")[at..][..t])
}

/// Row `y` of a plane of width `w` (zeros outside `0..h`), split by column parity after
/// shifting it right by `shift` (0 or 1): `even[k] = row[2k − shift]`, `odd[k] = row[2k + 1 −
/// shift]`, zero outside `0..w`.
#[inline(always)]
fn split_row(
    plane: &[f32],
    [h, w]: [usize; 2],
    y: usize,
    shift: usize,
    even: &mut [f32],
    odd: &mut [f32],
) {
    even.fill(0.0);
    odd.fill(0.0);
    if y >= h {
        return;
    }
    let row = &plane[y * w..][..w];
    let (first, second) = if shift == 0 {
        (&mut even[..], &mut odd[..])
    } else {
        (&mut odd[..], &mut even[1..])
    };
    let pairs = row.chunks_exact(2);
    if let [last] = pairs.remainder() {
        first[w / 2] = *last;
    }
    for ((pair, a), b) in pairs.zip(first.iter_mut()).zip(second.iter_mut()) {
        (*a, *b) = (pair[0], pair[1]);
    }
}

/// `V = Bᵀ d B` of every tile of a group of samples `xs: k × [C, H, W]` → `[16][C][k·tiles]`.
///
/// Per plane, with `P` the plane padded by one zero row and column on each side:
/// `S[a][q][ty′·tw + tx] = P[2ty′ + a][2tx + q]` (row parity `a`, column phase `q`), then `Bᵀ`
/// across `q` and `Bᵀ` down the rows `2ty … 2ty+3` = `(a, ty′) ∈ {(0, ty), (1, ty), (0, ty+1),
/// (1, ty+1)}`: every step a vector operation over all tiles of the plane.
#[inline(always)]
fn transform_input_portable(g: &Geometry, xs: &[f32], v: &mut Vec<f32>) {
    let (th, tw) = tiles(g);
    let (t, plane, samples) = (th * tw, g.h * g.w, xs.len() / g.input_len());
    let p_all = samples * t;
    v.resize(XI * g.c * p_all, 0.0);
    let mut vs = blocks(v);
    let n = (th + 1) * tw;
    let (mut s, mut x4) = (vec![0.0f32; 8 * n], vec![0.0f32; 8 * n]);
    let (mut even, mut odd) = (vec![0.0f32; tw + 1], vec![0.0f32; tw + 1]);
    for (si, x) in xs.chunks_exact(g.input_len()).enumerate() {
        for (c, x) in x.chunks_exact(plane).enumerate() {
            for r in 0..2 * th + 2 {
                split_row(x, [g.h, g.w], r.wrapping_sub(1), 1, &mut even, &mut odd);
                let at = (r % 2) * 4 * n + (r / 2) * tw;
                s[at..][..tw].copy_from_slice(&even[..tw]);
                s[at + n..][..tw].copy_from_slice(&odd[..tw]);
                s[at + 2 * n..][..tw].copy_from_slice(&even[1..]);
                s[at + 3 * n..][..tw].copy_from_slice(&odd[1..]);
            }
            for (sa, xa) in s.chunks_exact(4 * n).zip(x4.chunks_exact_mut(4 * n)) {
                let ins: [&[f32]; 4] = std::array::from_fn(|q| &sa[q * n..][..n]);
                map(ins, pieces(xa, n), bt);
            }
            let at = c * p_all + si * t;
            for j in 0..4 {
                let (x0, x1) = (&x4[j * n..][..n], &x4[(4 + j) * n..][..n]);
                let ins = [&x0[..t], &x1[..t], &x0[tw..][..t], &x1[tw..][..t]];
                map(ins, column(&mut vs, j, at, t), bt);
            }
        }
    }
}

dispatch!(
    /// [`transform_input_portable`].
    transform_input = transform_input_portable(g: &Geometry, xs: &[f32], v: &mut Vec<f32>));

/// `Z = A ∂Y Aᵀ` of every 2×2 output-gradient tile of `dys: k × [O, Ho, Wo]` →
/// `[16][O][k·tiles]`: per plane `R[a][b][ty·tw + tx] = ∂y[2ty + a][2tx + b]`, then `A` across
/// `b` and `A` down `a`.
#[inline(always)]
fn transform_grad_portable(g: &Geometry, dys: &[f32], z: &mut Vec<f32>) {
    let (th, tw) = tiles(g);
    let (t, plane, yl) = (th * tw, g.pixels(), g.o * g.pixels());
    let p_all = dys.len() / yl * t;
    z.resize(XI * g.o * p_all, 0.0);
    let mut zs = blocks(z);
    let (mut r, mut w4) = (vec![0.0f32; 4 * t], vec![0.0f32; 8 * t]);
    for (si, dy) in dys.chunks_exact(yl).enumerate() {
        for (o, dy) in dy.chunks_exact(plane).enumerate() {
            for ty in 0..th {
                for a in 0..2 {
                    let (ra, rest) = r[a * 2 * t..][..2 * t].split_at_mut(t);
                    let (even, odd) = (&mut ra[ty * tw..][..tw], &mut rest[ty * tw..][..tw]);
                    split_row(dy, [g.ho, g.wo], 2 * ty + a, 0, even, odd);
                }
            }
            for (ra, wa) in r.chunks_exact(2 * t).zip(w4.chunks_exact_mut(4 * t)) {
                map([&ra[..t], &ra[t..]], pieces(wa, t), a);
            }
            let at = o * p_all + si * t;
            for j in 0..4 {
                let ins = [&w4[j * t..][..t], &w4[(4 + j) * t..][..t]];
                map(ins, column(&mut zs, j, at, t), a);
            }
        }
    }
}

dispatch!(
    /// [`transform_grad_portable`].
    transform_grad = transform_grad_portable(g: &Geometry, dys: &[f32], z: &mut Vec<f32>));

/// `Y = Aᵀ M A` of every tile, plus bias: `m: [16][O][k·tiles]` → `ys: k × [O, Ho, Wo]`
/// (`Aᵀ` down the rows, then across the columns, over all tiles of a plane; then the 2×2 tiles
/// are written out row by row).
#[inline(always)]
fn inverse_output_portable(g: &Geometry, m: &[f32], bias: Option<&[f32]>, ys: &mut [f32]) {
    let (th, tw) = tiles(g);
    let (t, plane, yl) = (th * tw, g.pixels(), g.o * g.pixels());
    let p_all = ys.len() / yl * t;
    let ms: Vec<&[f32]> = m.chunks_exact(m.len() / XI).collect();
    let (mut q, mut y4) = (vec![0.0f32; 8 * t], vec![0.0f32; 4 * t]);
    for (si, y) in ys.chunks_exact_mut(yl).enumerate() {
        for (o, y) in y.chunks_exact_mut(plane).enumerate() {
            let at = o * p_all + si * t;
            for j in 0..4 {
                let ins: [&[f32]; 4] = std::array::from_fn(|i| &ms[i * 4 + j][at..][..t]);
                let (q0, q1) = q.split_at_mut(4 * t);
                map(ins, [&mut q0[j * t..][..t], &mut q1[j * t..][..t]], at4);
            }
            for (qa, ya) in q.chunks_exact(4 * t).zip(y4.chunks_exact_mut(2 * t)) {
                let ins: [&[f32]; 4] = std::array::from_fn(|j| &qa[j * t..][..t]);
                map(ins, pieces(ya, t), at4);
            }
            let b = bias.map_or(0.0, |b| b[o]);
            for (yy, dst) in y.chunks_exact_mut(g.wo).enumerate() {
                let ya = &y4[(yy % 2) * 2 * t..][..2 * t];
                let (e, od) = (&ya[(yy / 2) * tw..][..tw], &ya[t + (yy / 2) * tw..][..tw]);
                let mut pairs = dst.chunks_exact_mut(2);
                for ((pair, &e), &od) in (&mut pairs).zip(e).zip(od) {
                    (pair[0], pair[1]) = (e + b, od + b);
                }
                if let [last] = pairs.into_remainder() {
                    *last = e[g.wo / 2] + b;
                }
            }
        }
    }
}

dispatch!(
    /// [`inverse_output_portable`].
    inverse_output =
        inverse_output_portable(g: &Geometry, m: &[f32], bias: Option<&[f32]>, ys: &mut [f32])
);
