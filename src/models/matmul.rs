//! A thin safe-ish wrapper over the `gemm` crate (the GEMM burn's flex backend uses) for the
//! fused kernels: row-major operands given by pointer and strides. Shapes with a narrow side
//! take [`super::matmul_narrow`]'s vector loops instead.

use super::matmul_narrow::try_narrow;

/// A row-major matrix operand for [`gemm`]: pointer and row stride (column stride 1), or its
/// transpose (row stride 1, column stride `ld`).
#[derive(Clone, Copy)]
pub struct Mat {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

impl Mat {
    pub fn rows(s: &[f32], ld: usize) -> Self {
        Self {
            ptr: s.as_ptr(),
            rs: ld as isize,
            cs: 1,
        }
    }

    pub fn transposed(s: &[f32], ld: usize) -> Self {
        Self {
            ptr: s.as_ptr(),
            rs: 1,
            cs: ld as isize,
        }
    }

    pub fn row_stride(&self) -> isize {
        self.rs
    }

    pub fn col_stride(&self) -> isize {
        self.cs
    }

    /// Element `(i, j)`.
    ///
    /// # Safety
    /// In bounds of the slice the operand was built from.
    pub unsafe fn get(&self, i: usize, j: usize) -> f32 {
        // SAFETY: the caller's contract.
        unsafe { *self.ptr.offset(i as isize * self.rs + j as isize * self.cs) }
    }

    /// Row `i`, `len` elements, of an operand with column stride 1.
    ///
    /// # Safety
    /// `cs == 1` and in bounds of the slice the operand was built from.
    pub unsafe fn row(&self, i: usize, len: usize) -> &[f32] {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.offset(i as isize * self.rs), len) }
    }

    /// Column `j`, `len` elements, of an operand with row stride 1.
    ///
    /// # Safety
    /// `rs == 1` and in bounds of the slice the operand was built from.
    pub unsafe fn col(&self, j: usize, len: usize) -> &[f32] {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr.offset(j as isize * self.cs), len) }
    }
}

/// `dst[m, n] (+)= lhs[m, k] · rhs[k, n]` (accumulating when `accumulate`); `dst` is
/// row-major with row stride `n`. `parallel`: split the GEMM over rayon's threads (else one).
pub fn gemm(
    dst: &mut [f32],
    [m, n, k]: [usize; 3],
    lhs: Mat,
    rhs: Mat,
    accumulate: bool,
    parallel: bool,
) {
    assert!(dst.len() >= m * n);
    // SAFETY: `dst` holds `m·n` initialised elements; `lhs`/`rhs` were built from slices
    // holding the `m·k` / `k·n` elements their strides address (checked by the callers' slice
    // lengths).
    unsafe { gemm_raw(dst.as_mut_ptr(), [m, n, k], lhs, rhs, accumulate, parallel) }
}

/// `lhs[m, k] · rhs[k, n]` as a new row-major `[m, n]`, written straight into fresh memory
/// (no zero fill first: the GEMMs below write every element without reading `dst` when they
/// do not accumulate).
pub fn product([m, n, k]: [usize; 3], lhs: Mat, rhs: Mat, parallel: bool) -> Vec<f32> {
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
/// `dst` has room for `m·n` elements (initialised when `accumulate`); `lhs`/`rhs` address
/// `m·k` and `k·n` elements through their strides.
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
            lhs.ptr,
            lhs.cs,
            lhs.rs,
            rhs.ptr,
            rhs.cs,
            rhs.rs,
            1.0,
            1.0,
            false,
            false,
            false,
            if parallel {
                gemm::Parallelism::Rayon(0)
            } else {
                gemm::Parallelism::None
            },
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
