//! GEMMs with a narrow side, `k ≤ 4` or `n ≤ 4` (the first and last layer of a point MLP:
//! 3 inputs, 2 outputs), as plain vector loops. The `gemm` crate's
//! register-blocked kernels pack both operands and compute 64×6 output tiles, which wastes most
//! of each tile on such shapes (13 GFLOP/s for `[256, 256]·[256, 2]` against 113 on square
//! ones); here the narrow operand is copied to contiguous rows once (at most 4 of them) and the
//! wide side streams through 32-lane dot products or AXPYs.
//!
//! Shapes as in [`super::matmul::gemm`]: `dst[m, n] (+)= lhs[m, k] · rhs[k, n]`, `dst` row-major.

use crate::matmul::Mat;
use crate::vmath::dispatch;

/// The narrow side at most this wide takes these loops.
pub const NARROW: usize = 4;

/// Lanes of the dot-product accumulators (four AVX2 vectors: four independent FMA chains).
const LANES: usize = 32;

/// `dst (+)= lhs · rhs` when one of the shapes below applies, else `false` (nothing written).
///
/// * `k ≤ 4`: `dst[i, ·] (+)= Σ_p lhs[i, p]·rhs[p, ·]`, AXPYs over the rows of `rhs`;
/// * `n ≤ 4`, `lhs` rows contiguous: `dst[i, j] (+)= lhs[i, ·]·rhs[·, j]`, dot products;
/// * `n ≤ 4`, `lhs` columns contiguous (a transposed operand, e.g. `hᵀ` of a weight
///   gradient): `dst[·, j] (+)= Σ_p rhs[p, j]·lhs[·, p]`, AXPYs down the columns of `lhs`.
///
/// # Safety
/// `dst` has room for `m·n` elements, initialised when `accumulate` (else this zeroes them
/// before use). (`lhs` and `rhs` are read with bounds checks.)
pub(crate) unsafe fn try_narrow(
    dst: *mut f32,
    [m, n, k]: [usize; 3],
    lhs: Mat,
    rhs: Mat,
    accumulate: bool,
) -> bool {
    if m < LANES || n == 0 || k == 0 {
        return false;
    }
    let narrow_k = k <= NARROW && n >= LANES;
    let narrow_n = n <= NARROW && k >= LANES && (lhs.col_stride() == 1 || lhs.row_stride() == 1);
    if !narrow_k && !narrow_n {
        return false;
    }
    // SAFETY: room for `m·n` elements (the contract); zeroed unless they are initialised.
    let out = unsafe {
        if !accumulate {
            std::ptr::write_bytes(dst, 0, m * n);
        }
        std::slice::from_raw_parts_mut(dst, m * n)
    };
    let at = |a: Mat, i: usize, j: usize| a.get(i, j);
    if narrow_k {
        let rows: Vec<f32> = (0..k)
            .flat_map(|p| (0..n).map(move |j| (p, j)))
            .map(|(p, j)| at(rhs, p, j))
            .collect();
        let a: Vec<f32> = (0..m)
            .flat_map(|i| (0..k).map(move |p| (i, p)))
            .map(|(i, p)| at(lhs, i, p))
            .collect();
        combine_rows(&a, &rows, k, out);
        return true;
    }
    let cols: Vec<f32> = (0..n)
        .flat_map(|j| (0..k).map(move |p| (p, j)))
        .map(|(p, j)| at(rhs, p, j))
        .collect();
    let mut t = vec![0.0f32; n * m];
    if lhs.col_stride() == 1 {
        let rows = (0..m).map(|i| lhs.row(i, k));
        dot_rows(rows, &cols, k, m, &mut t);
    } else {
        let lhs_cols = (0..k).map(|p| lhs.col(p, m));
        axpy_cols(lhs_cols, &cols, k, m, &mut t);
    }
    for (i, row) in out.chunks_exact_mut(n).enumerate() {
        row.iter_mut()
            .enumerate()
            .for_each(|(j, d)| *d += t[j * m + i]);
    }
    true
}

/// `t[j·m + i] = a_i · cols_j` for the rows `a_i` of `lhs` (`cols`: `n` rows of `k`).
fn dot_rows<'a>(
    rows: impl Iterator<Item = &'a [f32]>,
    cols: &[f32],
    k: usize,
    m: usize,
    t: &mut [f32],
) {
    for (i, a) in rows.enumerate() {
        for (j, c) in cols.chunks_exact(k).enumerate() {
            t[j * m + i] = dot(a, c);
        }
    }
}

/// `t[j·m + ·] = Σ_p cols_j[p]·lhs_p` over the contiguous columns `lhs_p` of `lhs`.
fn axpy_cols<'a>(
    lhs_cols: impl Iterator<Item = &'a [f32]>,
    cols: &[f32],
    k: usize,
    m: usize,
    t: &mut [f32],
) {
    for (p, col) in lhs_cols.enumerate() {
        for (j, tj) in t.chunks_exact_mut(m).enumerate() {
            axpy(cols[j * k + p], col, tj);
        }
    }
}

#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let b = &b[..a.len()];
    let mut acc = [0.0f32; LANES];
    let full = a.len() / LANES * LANES;
    for (x, y) in a[..full]
        .chunks_exact(LANES)
        .zip(b[..full].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
    }
    let tail: f32 = a[full..].iter().zip(&b[full..]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn axpy_portable(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = alpha.mul_add(x, *y);
    }
}

/// `out[i, ·] += Σ_p a[i, p]·rows[p, ·]` (`a`: rows of `k`, `rows`: `k` rows of `n`).
#[inline(always)]
fn combine_rows_portable(a: &[f32], rows: &[f32], k: usize, out: &mut [f32]) {
    let n = rows.len() / k;
    for (ai, oi) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
        for (p, &s) in ai.iter().enumerate() {
            axpy_portable(s, &rows[p * n..(p + 1) * n], oi);
        }
    }
}

dispatch!(
    /// `a · b` in 32 lanes.
    dot = dot_portable(a: &[f32], b: &[f32]) -> f32
);
dispatch!(
    /// `y += α·x`.
    axpy = axpy_portable(alpha: f32, x: &[f32], y: &mut [f32])
);
dispatch!(
    /// `out[i, ·] += Σ_p a[i, p]·rows[p, ·]`.
    combine_rows = combine_rows_portable(a: &[f32], rows: &[f32], k: usize, out: &mut [f32])
);

#[cfg(test)]
mod tests {
    use super::*;

    /// `lhs · rhs` by the definition, `lhs`/`rhs` row-major.
    fn naive(lhs: &[f32], rhs: &[f32], [m, n, k]: [usize; 3]) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| lhs[i * k + p] * rhs[p * n + j]).sum();
            }
        }
        out
    }

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 37 + seed * 11) % 23) as f32 / 11.0 - 1.0)
            .collect()
    }

    /// Every narrow shape, both layouts of `lhs`, with and without accumulation, lengths that
    /// leave tails after the 32 lanes; wide shapes are declined.
    #[test]
    fn narrow_products_match_the_definition() {
        for [m, n, k] in [
            [300, 2, 256],
            [67, 3, 45],
            [300, 256, 3],
            [40, 33, 1],
            [64, 4, 200],
        ] {
            let (lhs, rhs) = (values(m * k, 1), values(k * n, 2));
            let lhs_t: Vec<f32> = (0..k * m).map(|q| lhs[(q % m) * k + q / m]).collect();
            let expected = naive(&lhs, &rhs, [m, n, k]);
            let start = values(m * n, 3);
            for accumulate in [false, true] {
                for transposed in [false, true] {
                    let a = if transposed {
                        Mat::transposed(&lhs_t, m)
                    } else {
                        Mat::rows(&lhs, k)
                    };
                    let mut dst = start.clone();
                    // SAFETY: the operands hold `m·k` and `k·n` elements.
                    let done = unsafe {
                        try_narrow(
                            dst.as_mut_ptr(),
                            [m, n, k],
                            a,
                            Mat::rows(&rhs, n),
                            accumulate,
                        )
                    };
                    assert!(done, "{m}x{n}x{k} taken");
                    for (q, (&d, &e)) in dst.iter().zip(&expected).enumerate() {
                        let e = if accumulate { e + start[q] } else { e };
                        assert!(
                            (d - e).abs() < 1e-4 * (1.0 + e.abs()),
                            "{m}x{n}x{k} [{q}]: {d} vs {e}"
                        );
                    }
                }
            }
        }
        let (lhs, rhs) = (values(64 * 64, 1), values(64 * 64, 2));
        let mut dst = vec![0.0; 64 * 64];
        // SAFETY: as above.
        let wide = unsafe {
            try_narrow(
                dst.as_mut_ptr(),
                [64, 64, 64],
                Mat::rows(&lhs, 64),
                Mat::rows(&rhs, 64),
                false,
            )
        };
        assert!(!wide, "square shapes stay with the gemm crate");
    }
}
