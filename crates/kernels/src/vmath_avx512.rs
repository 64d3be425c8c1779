//! AVX-512 builds of [`super::vmath`]'s SiLU with kept `σ` (the forward of the fused MLP chain
//! and of GroupNorm+SiLU), written with intrinsics: the same Cody–Waite `exp` as vmath's, with
//! fused multiply-adds, and `1/(1 + e^{−z})` as the 14-bit reciprocal estimate refined by one
//! Newton step (`r ← r + r·(1 − d·r)`, relative error below 2⁻²⁴) instead of a division, which
//! bounded the AVX2 build. With the `exp` argument clamped to ±87 the denominator stays finite
//! on both sides, so no `|z|` split and blend is needed.

use std::arch::x86_64::*;

/// Whether these kernels run: the CPU has AVX-512F and `FLOWDIFF_ISA` allows it.
pub fn available() -> bool {
    crate::isa::active() >= crate::isa::Isa::Avx512
}

/// `e^{−z}` for 16 lanes, `z` clamped to `[−87, 87]`: Cody–Waite range reduction
/// `−z = n·ln 2 + r` and Cephes' polynomial `e^r = 1 + r + r²·P(r)` (as vmath's scalar
/// `exp_nonpositive`), its last two steps as fused multiply-adds `1 + r·(1 + r·P)`.
#[target_feature(enable = "avx512f")]
fn exp_neg(z: __m512) -> __m512 {
    let z = _mm512_min_ps(
        _mm512_max_ps(z, _mm512_set1_ps(-87.0)),
        _mm512_set1_ps(87.0),
    );
    let round = _mm512_set1_ps(12_582_912.0);
    let t = _mm512_fnmadd_ps(z, _mm512_set1_ps(std::f32::consts::LOG2_E), round);
    let n = _mm512_sub_ps(t, round);
    let u = _mm512_fmadd_ps(n, _mm512_set1_ps(0.693_359_4), z);
    let r = _mm512_fnmsub_ps(n, _mm512_set1_ps(-2.121_944_4e-4), u);
    let mut p = _mm512_set1_ps(1.987_569_1e-4);
    for c in [
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
        1.0,
        1.0,
    ] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    _mm512_scalef_ps(p, n)
}

/// `σ(z) = 1/(1 + e^{−z})` for 16 lanes (for `z ≤ −87` the `σ(−87)` of the clamped `exp`,
/// about 1.6·10⁻³⁸, as vmath's scalar sigmoid).
#[target_feature(enable = "avx512f")]
fn sigmoid(z: __m512) -> __m512 {
    let one = _mm512_set1_ps(1.0);
    let d = _mm512_add_ps(one, exp_neg(z));
    let r = _mm512_rcp14_ps(d);
    _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, one), r, r)
}

/// In place `x ← z·σ(z)` with `z = x + bias` (the bias added along rows of `bias.len()`;
/// an empty `bias` adds nothing), writing `σ(z)` to `s[..x.len()]` unless `s` is null.
///
/// # Safety
/// The CPU has AVX-512F ([`available`]); `s` is null or has room for `x.len()` elements
/// (which need not be initialised); `x.len()` is a multiple of a non-empty `bias.len()`.
#[target_feature(enable = "avx512f")]
pub unsafe fn silu_keep(x: &mut [f32], bias: &[f32], s: *mut f32) {
    let row = if bias.is_empty() { x.len() } else { bias.len() };
    let (xp, sp, bp) = (x.as_mut_ptr(), s, bias.as_ptr());
    let mut start = 0;
    while start < x.len() {
        let mut j = 0;
        while j < row {
            let lanes = (row - j).min(16);
            let mask: __mmask16 = (((1u32 << lanes) - 1) & 0xFFFF) as u16;
            let i = start + j;
            // SAFETY: lanes `i..i + lanes` are in bounds of `x` and `s`, `j..j + lanes` of a
            // non-empty `bias` (masked beyond).
            unsafe {
                let mut z = _mm512_maskz_loadu_ps(mask, xp.add(i));
                if !bias.is_empty() {
                    z = _mm512_add_ps(z, _mm512_maskz_loadu_ps(mask, bp.add(j)));
                }
                let sig = sigmoid(z);
                if !sp.is_null() {
                    _mm512_mask_storeu_ps(sp.add(i), mask, sig);
                }
                _mm512_mask_storeu_ps(xp.add(i), mask, _mm512_mul_ps(z, sig));
            }
            j += lanes;
        }
        start += row;
    }
}

#[cfg(test)]
mod tests {
    /// Against the portable kernel: the same values to a few ulp (the clamped extremes too),
    /// tails of every length.
    #[test]
    fn silu_keep_matches_the_portable_kernel() {
        if !super::available() {
            eprintln!("skipped: no AVX-512F on this CPU");
            return;
        }
        for len in [1, 15, 16, 17, 100, 4099] {
            let mut x: Vec<f32> = (0..len)
                .map(|i| (i as f32 * 0.37).sin() * 40.0 - 3.0)
                .collect();
            let extremes = [-200.0, -88.0, -87.0, -0.0, 0.0, 87.0, 88.0, 200.0];
            x.iter_mut().zip(extremes).for_each(|(x, e)| *x = e);
            let (mut a, mut sa) = (x.clone(), vec![0.0f32; len]);
            let (mut b, mut sb) = (x.clone(), vec![0.0f32; len]);
            // SAFETY: available() checked above.
            unsafe { super::silu_keep(&mut a, &[], sa.as_mut_ptr()) };
            super::super::vmath::silu_keep_reference(&mut b, &mut sb);
            for k in 0..len {
                let close = |p: f32, q: f32| (p - q).abs() <= 4e-7 * q.abs() + 1e-30;
                assert!(close(sa[k], sb[k]), "σ({}) {} vs {}", x[k], sa[k], sb[k]);
                assert!(close(a[k], b[k]), "silu({}) {} vs {}", x[k], a[k], b[k]);
            }
        }
    }

    /// With a bias along rows of 37 (two full vectors and a tail per row).
    #[test]
    fn silu_keep_adds_the_bias_per_column() {
        if !super::available() {
            eprintln!("skipped: no AVX-512F on this CPU");
            return;
        }
        let bias: Vec<f32> = (0..37).map(|j| j as f32 * 0.1 - 2.0).collect();
        let x: Vec<f32> = (0..37 * 5).map(|i| (i as f32 * 0.61).cos() * 6.0).collect();
        let mut z: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + bias[i % 37])
            .collect();
        let (mut a, mut sa) = (x, vec![0.0f32; 37 * 5]);
        let mut sz = vec![0.0f32; 37 * 5];
        // SAFETY: available() checked above; 37·5 is a multiple of 37.
        unsafe {
            super::silu_keep(&mut a, &bias, sa.as_mut_ptr());
            super::silu_keep(&mut z, &[], sz.as_mut_ptr());
        }
        assert_eq!(a, z);
        assert_eq!(sa, sz);
    }
}
