//! A thin safe-ish wrapper over the `gemm` crate (the GEMM burn's flex backend uses) for the
//! fused kernels: row-major operands given by pointer and strides.

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
    // SAFETY: `dst` holds `m·n` elements; `lhs`/`rhs` were built from slices holding the
    // `m·k` / `k·n` elements their strides address (checked by the callers' slice lengths).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
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

/// `Σ_rows m[row, ·]` of a row-major `[rows, n]` matrix: the bias gradient of `x·W + b`.
pub fn column_sums(m: &[f32], n: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; n];
    for row in m.chunks_exact(n) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    sums
}
