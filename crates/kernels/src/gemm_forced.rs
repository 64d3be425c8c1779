//! gemm's micro-kernels of a chosen level, for when `FLOWDIFF_ISA` caps the level below the
//! CPU's: gemm's own dispatch takes the best the CPU has, so the AVX2+FMA (x86-64-v3) and
//! scalar builds are called here through gemm-common's generic driver with gemm-f32's
//! micro-kernel tables — the same code gemm runs on a CPU without AVX-512.

use super::isa::Isa;
use gemm_common::gemm::gemm_basic_generic;
use gemm_common::simd::MixedSimd;

/// A raw GEMM call in gemm's convention: `dst = alpha·dst + beta·lhs·rhs` (`dst` not read when
/// `!read_dst`), strides in elements, all non-negative.
#[derive(Clone, Copy)]
pub(super) struct Call {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub dst: *mut f32,
    pub dst_cs: isize,
    pub dst_rs: isize,
    pub read_dst: bool,
    pub lhs: *const f32,
    pub lhs_cs: isize,
    pub lhs_rs: isize,
    pub rhs: *const f32,
    pub rhs_cs: isize,
    pub rhs_rs: isize,
    pub parallelism: gemm_common::Parallelism,
}

impl Call {
    /// The same product with the roles of rows and columns swapped (`dstᵀ = rhsᵀ·lhsᵀ`), as
    /// gemm does when the destination is row-major: its micro-kernels prefer column-major.
    fn oriented(self) -> Self {
        if self.dst_cs.abs() >= self.dst_rs.abs() {
            return self;
        }
        Self {
            m: self.n,
            n: self.m,
            dst_cs: self.dst_rs,
            dst_rs: self.dst_cs,
            lhs: self.rhs,
            lhs_cs: self.rhs_rs,
            lhs_rs: self.rhs_cs,
            rhs: self.lhs,
            rhs_cs: self.lhs_rs,
            rhs_rs: self.lhs_cs,
            ..self
        }
    }
}

macro_rules! run_with {
    ($simd:expr, $uk:path, $n:expr, $c:expr) => {{
        use $uk as uk;
        let c = $c;
        gemm_basic_generic::<
            _,
            f32,
            { $n },
            { uk::MR_DIV_N * $n },
            { uk::NR },
            { uk::MR_DIV_N },
            { uk::H_M },
            { uk::H_N },
        >(
            $simd,
            c.m,
            c.n,
            c.k,
            c.dst,
            c.dst_cs,
            c.dst_rs,
            c.read_dst,
            c.lhs,
            c.lhs_cs,
            c.lhs_rs,
            c.rhs,
            c.rhs_cs,
            c.rhs_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            |a, b, c| a * b + c,
            &uk::UKR,
            &uk::H_UKR,
            false,
            c.parallelism,
        )
    }};
}

/// Runs `call` with the micro-kernels of `isa` (AVX2+FMA or scalar); returns `false`, having
/// done nothing, for AVX-512 (gemm's own dispatch) or where the CPU lacks the level.
///
/// # Safety
/// `dst`, `lhs` and `rhs` cover `[m, n]`, `[m, k]` and `[k, n]` at their strides; `dst` is
/// initialised when `read_dst`.
pub(super) unsafe fn gemm(isa: Isa, call: Call) -> bool {
    let c = call.oriented();
    match isa {
        Isa::Avx512 => false,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => {
            let Some(simd) = <gemm_common::simd::V3 as MixedSimd<f32, f32, f32, f32>>::try_new()
            else {
                return false;
            };
            // SAFETY: the CPU has AVX2+FMA (`try_new` checked); the operands per the contract.
            unsafe { run_with!(simd, gemm_f32::microkernel::fma::f32, 8, c) };
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2 => false,
        Isa::Portable => {
            let Some(simd) =
                <gemm_common::simd::Scalar as MixedSimd<f32, f32, f32, f32>>::try_new()
            else {
                return false;
            };
            // SAFETY: scalar code runs anywhere; the operands per the contract.
            unsafe { run_with!(simd, gemm_f32::microkernel::scalar::f32, 1, c) };
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2654435761) ^ seed.wrapping_mul(40503)) >> 8)
            .map(|h| (h % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    /// Every level the CPU has computes `dst (+)= lhs·rhs` as the definition does, with
    /// either operand transposed and with and without accumulation, in one test run (no
    /// `FLOWDIFF_ISA` needed).
    #[test]
    fn each_level_matches_the_definition() {
        let cpu = crate::isa::detected();
        for isa in [Isa::Portable, Isa::Avx2].into_iter().filter(|&i| i <= cpu) {
            for [m, n, k] in [[1, 1, 1], [7, 5, 3], [33, 70, 19], [64, 9, 130]] {
                for (lt, rt, acc) in [
                    (false, false, false),
                    (true, false, true),
                    (false, true, true),
                ] {
                    let (a, b) = (values(m * k, 1), values(k * n, 2));
                    // lhs[i, p] at i·lrs + p·lcs; transposed storage swaps the strides.
                    let (lrs, lcs) = if lt { (1, m) } else { (k, 1) };
                    let (rrs, rcs) = if rt { (1, k) } else { (n, 1) };
                    let start = values(m * n, 3);
                    let mut dst = start.clone();
                    let call = Call {
                        m,
                        n,
                        k,
                        dst: dst.as_mut_ptr(),
                        dst_cs: 1,
                        dst_rs: n as isize,
                        read_dst: acc,
                        lhs: a.as_ptr(),
                        lhs_cs: lcs as isize,
                        lhs_rs: lrs as isize,
                        rhs: b.as_ptr(),
                        rhs_cs: rcs as isize,
                        rhs_rs: rrs as isize,
                        parallelism: gemm_common::Parallelism::None,
                    };
                    // SAFETY: `a`, `b` and `dst` hold m·k, k·n and m·n elements at these strides.
                    assert!(unsafe { gemm(isa, call) }, "{isa:?} runs on this CPU");
                    for i in 0..m {
                        for j in 0..n {
                            let mut want = if acc { start[i * n + j] as f64 } else { 0.0 };
                            for p in 0..k {
                                want += a[i * lrs + p * lcs] as f64 * b[p * rrs + j * rcs] as f64;
                            }
                            let got = dst[i * n + j] as f64;
                            assert!(
                                (got - want).abs() < 1e-4 * (1.0 + want.abs()),
                                "{isa:?} {m}x{n}x{k} lt{lt} rt{rt} acc{acc} [{i},{j}]: {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
        // SAFETY: nothing is read or written when the level is gemm's own.
        let none = Call {
            m: 0,
            n: 0,
            k: 0,
            dst: std::ptr::null_mut(),
            dst_cs: 1,
            dst_rs: 1,
            read_dst: false,
            lhs: std::ptr::null(),
            lhs_cs: 1,
            lhs_rs: 1,
            rhs: std::ptr::null(),
            rhs_cs: 1,
            rhs_rs: 1,
            parallelism: gemm_common::Parallelism::None,
        };
        assert!(!unsafe { gemm(Isa::Avx512, none) });
    }
}
