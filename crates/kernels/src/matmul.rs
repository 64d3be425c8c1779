//! A safe wrapper over the `gemm` crate (the GEMM burn's flex backend uses) for the
//! fused kernels: row-major operands given by pointer and strides. Shapes with a narrow side
//! take [`super::matmul_narrow`]'s vector loops instead.

pub use crate::matmul_narrow::NARROW;
use crate::matmul_narrow::try_narrow;

/// A row-major matrix operand for [`gemm`]: a slice and its row stride (column stride 1), or
/// its transpose (row stride 1, column stride `ld`). It borrows the slice, and [`gemm`] checks
/// that every element the shape addresses lies inside it, so no shape given from safe code can
/// read out of bounds.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    /// Rows of `ld` elements: element `(i, j)` at `s[i·ld + j]`.
    #[inline]
    pub fn rows(s: &'a [f32], ld: usize) -> Self {
        Self {
            data: s,
            rs: ld,
            cs: 1,
        }
    }

    /// The transpose of rows of `ld` elements: element `(i, j)` at `s[j·ld + i]`.
    #[inline]
    pub fn transposed(s: &'a [f32], ld: usize) -> Self {
        Self {
            data: s,
            rs: 1,
            cs: ld,
        }
    }

    #[inline]

    pub fn row_stride(&self) -> usize {
        self.rs
    }

    #[inline]

    pub fn col_stride(&self) -> usize {
        self.cs
    }

    /// Whether a `[rows, cols]` operand lies inside the slice.
    #[inline]
    pub fn covers(&self, rows: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (rows - 1).checked_mul(self.rs).and_then(|a| {
            (cols - 1)
                .checked_mul(self.cs)
                .and_then(|b| a.checked_add(b))
        });
        last.is_some_and(|last| last < self.data.len())
    }

    /// Element `(i, j)` (bounds-checked).
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }

    /// Row `i`, `len` elements, of an operand with column stride 1 (bounds-checked).
    #[inline]
    pub fn row(&self, i: usize, len: usize) -> &'a [f32] {
        assert_eq!(self.cs, 1, "rows are contiguous only with column stride 1");
        &self.data[i * self.rs..i * self.rs + len]
    }

    /// Column `j`, `len` elements, of an operand with row stride 1 (bounds-checked).
    #[inline]
    pub fn col(&self, j: usize, len: usize) -> &'a [f32] {
        assert_eq!(self.rs, 1, "columns are contiguous only with row stride 1");
        &self.data[j * self.cs..j * self.cs + len]
    }
}

/// Panics unless `dst` holds `m·n` elements and `lhs`, `rhs` cover `[m, k]` and `[k, n]`:
/// the checks that make [`gemm`] and [`product`] sound for any arguments.
fn check(dst_len: usize, [m, n, k]: [usize; 3], lhs: &Mat, rhs: &Mat) {
    let mn = m.checked_mul(n).expect("m·n overflows");
    assert!(
        dst_len >= mn,
        "dst holds {dst_len} elements, the product {m}x{n}"
    );
    assert!(lhs.covers(m, k), "lhs does not hold a {m}x{k} operand");
    assert!(rhs.covers(k, n), "rhs does not hold a {k}x{n} operand");
}

/// `dst[m, n] (+)= lhs[m, k] · rhs[k, n]` (accumulating when `accumulate`); `dst` is
/// row-major with row stride `n`. `parallel`: split the GEMM over rayon's threads (else one).
#[inline]
pub fn gemm(
    dst: &mut [f32],
    [m, n, k]: [usize; 3],
    lhs: Mat,
    rhs: Mat,
    accumulate: bool,
    parallel: bool,
) {
    check(dst.len(), [m, n, k], &lhs, &rhs);
    // SAFETY: `dst` holds `m·n` initialised elements and `lhs`/`rhs` cover their shapes
    // (checked above).
    unsafe { gemm_raw(dst.as_mut_ptr(), [m, n, k], lhs, rhs, accumulate, parallel) }
}

/// `lhs[m, k] · rhs[k, n]` as a new row-major `[m, n]`, written straight into fresh memory
/// (no zero fill first: the GEMMs below write every element without reading `dst` when they
/// do not accumulate).
#[inline]
pub fn product([m, n, k]: [usize; 3], lhs: Mat, rhs: Mat, parallel: bool) -> Vec<f32> {
    check(usize::MAX, [m, n, k], &lhs, &rhs);
    let mut out = Vec::with_capacity(m * n);
    // SAFETY: `out` has room for `m·n` elements, all written by `gemm_raw` (not accumulating:
    // the gemm crate sets α = 0 and never reads `dst`; the narrow loops zero it first); the
    // operands as in `gemm`.
    unsafe {
        gemm_raw(out.as_mut_ptr(), [m, n, k], lhs, rhs, false, parallel);
        out.set_len(m * n);
    }
    out
}

/// # Safety
/// `dst` has room for `m·n` elements (initialised when `accumulate`); `lhs`/`rhs` cover
/// `[m, k]` and `[k, n]` ([`Mat::covers`]).
unsafe fn gemm_raw(
    dst: *mut f32,
    [m, n, k]: [usize; 3],
    lhs: Mat,
    rhs: Mat,
    accumulate: bool,
    parallel: bool,
) {
    // SAFETY: the contract above.
    if !parallel && unsafe { try_narrow(dst, [m, n, k], lhs, rhs, accumulate) } {
        return;
    }
    let parallelism = if parallel {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    if super::isa::forced() {
        let call = super::gemm_forced::Call {
            m,
            n,
            k,
            dst,
            dst_cs: 1,
            dst_rs: n as isize,
            read_dst: accumulate,
            lhs: lhs.data.as_ptr(),
            lhs_cs: lhs.cs as isize,
            lhs_rs: lhs.rs as isize,
            rhs: rhs.data.as_ptr(),
            rhs_cs: rhs.cs as isize,
            rhs_rs: rhs.rs as isize,
            parallelism,
        };
        // SAFETY: the contract above.
        if unsafe { super::gemm_forced::gemm(super::isa::active(), call) } {
            return;
        }
    }
    // SAFETY: the contract above.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// The transpose `[cols, rows]` of a row-major `[rows, cols]` matrix, in 16×16 blocks.
pub fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const B: usize = 16;
    let mut t = vec![0.0f32; rows * cols];
    for i0 in (0..rows).step_by(B) {
        for j0 in (0..cols).step_by(B) {
            for i in i0..(i0 + B).min(rows) {
                for j in j0..(j0 + B).min(cols) {
                    t[j * rows + i] = a[i * cols + j];
                }
            }
        }
    }
    t
}

/// `Σ_rows m[row, ·]` of a row-major `[rows, n]` matrix: the bias gradient of `x·W + b`.
pub fn column_sums(m: &[f32], n: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; n];
    for row in m.chunks_exact(n) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    sums
}

#[cfg(test)]
mod tests {
    /// Every element lands at its mirrored place, for shapes that leave partial 16×16 blocks.
    #[test]
    fn transpose_mirrors_every_element() {
        for (rows, cols) in [(1, 1), (3, 40), (37, 17), (64, 64)] {
            let a: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let t = super::transpose(&a, rows, cols);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        t[j * rows + i],
                        a[i * cols + j],
                        "({i}, {j}) of {rows}x{cols}"
                    );
                }
            }
        }
    }
}
