//! Which instruction set the kernels run: the best the CPU has, capped by the environment
//! variable `FLOWDIFF_ISA` (`avx512`, `avx2` or `portable`) so that a slower path can be
//! tested and measured on a faster CPU (x86-64-v3 on an AVX-512 machine, say). Read once per
//! process; a cap above what the CPU has changes nothing, an unknown value is reported once
//! and ignored. Every kernel that picks a build at run time asks [`active`], so the cap
//! covers the GEMM (gemm's AVX2+FMA or scalar micro-kernels, called directly) as well as
//! vector math and the convolution tiles.

use std::sync::OnceLock;

/// An instruction-set level, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust, auto-vectorised for the build's baseline (SSE2 on x86-64).
    Portable,
    /// AVX2 with FMA (x86-64-v3).
    Avx2,
    /// AVX-512F (x86-64-v4).
    Avx512,
}

impl Isa {
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The level named `s` (`avx512`, `avx2`, `portable`).
    pub fn parse(s: &str) -> Option<Self> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .find(|isa| isa.name() == s.trim().to_ascii_lowercase())
    }
}

/// The best level this CPU supports.
pub fn detected() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// The level `cap` allows on a CPU that has `cpu`: never above the CPU's.
pub fn capped(cpu: Isa, cap: Option<Isa>) -> Isa {
    cap.map_or(cpu, |c| c.min(cpu))
}

/// The level the kernels run at: [`detected`] capped by `FLOWDIFF_ISA`.
pub fn active() -> Isa {
    static ACTIVE: OnceLock<Isa> = OnceLock::new();
    *ACTIVE.get_or_init(|| {
        let cap = std::env::var("FLOWDIFF_ISA").ok().and_then(|v| {
            let isa = Isa::parse(&v);
            if isa.is_none() {
                eprintln!(
                    "warning: FLOWDIFF_ISA={v:?} is not one of avx512, avx2, portable; ignored"
                );
            }
            isa
        });
        capped(detected(), cap)
    })
}

/// Whether the running level is below the CPU's (`FLOWDIFF_ISA` forced a slower path).
pub fn forced() -> bool {
    active() < detected()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_never_raises_the_level_and_names_parse_back() {
        for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
            assert_eq!(capped(Isa::Avx2, Some(isa)), isa.min(Isa::Avx2));
            assert_eq!(capped(isa, None), isa);
        }
        assert_eq!(Isa::parse(" AVX2 "), Some(Isa::Avx2));
        assert_eq!(Isa::parse("sse9"), None);
        assert!(active() <= detected());
    }
}
