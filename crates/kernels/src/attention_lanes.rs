//! The two per-head operations of [`crate::attention`] — a dot product and `y += w·x` over
//! the `d_h` columns of a head — in eight f32 lanes. A head is one or a few vectors long, too
//! short for the compiler's own vectorised loops (they leave it to their scalar remainder or
//! vectorise across heads with gathers), so the AVX2 build writes its vectors out.

/// A build of the per-head operations.
pub(crate) trait Lanes {
    /// `Σ a·b` (`b` at least as long as `a`).
    fn dot(a: &[f32], b: &[f32]) -> f32;
    /// `y += w·x` (`y` at least as long as `x`).
    fn axpy(w: f32, x: &[f32], y: &mut [f32]);
}

/// Plain code: eight accumulators, added as a tree.
pub(crate) struct Portable;

impl Lanes for Portable {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        let ((ac, at), (bc, bt)) = (a.as_chunks::<8>(), b[..a.len()].as_chunks::<8>());
        let mut acc = [0.0f32; 8];
        for (x, y) in ac.iter().zip(bc) {
            for l in 0..8 {
                acc[l] += x[l] * y[l];
            }
        }
        let tail: f32 = at.iter().zip(bt).map(|(x, y)| x * y).sum();
        let q = [
            acc[0] + acc[4],
            acc[1] + acc[5],
            acc[2] + acc[6],
            acc[3] + acc[7],
        ];
        (q[0] + q[2]) + (q[1] + q[3]) + tail
    }

    #[inline(always)]
    fn axpy(w: f32, x: &[f32], y: &mut [f32]) {
        for (y, x) in y[..x.len()].iter_mut().zip(x) {
            *y += w * x;
        }
    }
}

/// AVX2+FMA intrinsics. Only the kernels of [`crate::attention`] name this type, and only
/// inside functions entered after checking that the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        let b = &b[..a.len()];
        // SAFETY: reached only from `attention`'s AVX2 builds, entered after checking the CPU
        // (see the type's docs); the slices have equal lengths.
        unsafe { avx2::dot(a, b) }
    }

    #[inline(always)]
    fn axpy(w: f32, x: &[f32], y: &mut [f32]) {
        let y = &mut y[..x.len()];
        // SAFETY: as in `dot`; the slices have equal lengths.
        unsafe { avx2::axpy(w, x, y) }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU has AVX2 and FMA; `a.len() == b.len()`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let full = a.len() / 8 * 8;
        let mut acc = _mm256_setzero_ps();
        for c in (0..full).step_by(8) {
            // SAFETY: `c + 8 <= full <= len` for both slices.
            let (x, y) = unsafe {
                (
                    _mm256_loadu_ps(a.as_ptr().add(c)),
                    _mm256_loadu_ps(b.as_ptr().add(c)),
                )
            };
            acc = _mm256_fmadd_ps(x, y, acc);
        }
        let q = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
        let q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
        let tail: f32 = a[full..].iter().zip(&b[full..]).map(|(x, y)| x * y).sum();
        _mm_cvtss_f32(q) + tail
    }

    /// # Safety
    /// The CPU has AVX2 and FMA; `x.len() == y.len()`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) unsafe fn axpy(w: f32, x: &[f32], y: &mut [f32]) {
        let full = x.len() / 8 * 8;
        let wv = _mm256_set1_ps(w);
        for c in (0..full).step_by(8) {
            // SAFETY: `c + 8 <= full <= len` for both slices.
            unsafe {
                let p = y.as_mut_ptr().add(c);
                let v = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x.as_ptr().add(c)), _mm256_loadu_ps(p));
                _mm256_storeu_ps(p, v);
            }
        }
        for (y, x) in y[full..].iter_mut().zip(&x[full..]) {
            *y += w * x;
        }
    }
}
