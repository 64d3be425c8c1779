//! Gaussian probability paths (Lipman et al. 2022, §4): for data `x1` and noise `z`,
//!
//! ```text
//! x_tau = alpha(tau) · x1 + sigma(tau) · z,     tau ∈ [0, 1], 0 = noise, 1 = data
//! ```
//!
//! with conditional velocity `u_tau(x | x1, z) = alpha'(tau) x1 + sigma'(tau) z`
//! (Lipman et al. eq. 15, written in terms of the noise). Diffusion's discrete forward
//! process is one such path ([`DiffusionPath`]), which is what lets one set of solvers and
//! conversions serve both methods.

use crate::schedule::NoiseSchedule;
use serde::{Deserialize, Serialize};

/// The coefficients of a Gaussian path at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathCoeffs {
    pub alpha: f64,
    pub sigma: f64,
    pub d_alpha: f64,
    pub d_sigma: f64,
}

/// A Gaussian probability path `x_tau = alpha(tau) x1 + sigma(tau) z`.
pub trait GaussianPath: Send + Sync {
    /// `alpha`, `sigma` and their `tau`-derivatives at `tau`.
    fn coeffs(&self, tau: f64) -> PathCoeffs;
    /// A short human-readable name.
    fn name(&self) -> String;
}

/// Which flow-matching path, as stored in a run's config.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PathKind {
    /// Conditional optimal transport (Lipman et al. eq. 20): `alpha = tau`,
    /// `sigma = 1 - (1 - sigma_min) tau`.
    CondOt { sigma_min: f64 },
    /// Variance preserving (Lipman et al. eq. 18–19, from Song et al. 2021's VP SDE):
    /// `alpha = exp(-T(s)/2)`, `sigma = sqrt(1 - alpha²)`, `T(s) = s·b_min + s²(b_max-b_min)/2`,
    /// at `s = 1 - (1 - s_min)·tau` so that `tau = 1` stops at `s_min` (as Song et al. stop
    /// at `eps = 1e-3`) where sigma' is still finite.
    Vp {
        beta_min: f64,
        beta_max: f64,
        s_min: f64,
    },
}

/// `cond-ot` (aliases `ot`, `linear`) or `vp`, with their default parameters.
impl std::str::FromStr for PathKind {
    type Err = crate::error::Error;
    fn from_str(name: &str) -> crate::error::Result<Self> {
        match name {
            "cond-ot" | "ot" | "linear" => Ok(Self::cond_ot()),
            "vp" => Ok(Self::vp()),
            other => Err(crate::error::Error::invalid(
                "path",
                format!("unknown path {other:?} (known: cond-ot, vp)"),
            )),
        }
    }
}

impl PathKind {
    pub fn cond_ot() -> Self {
        PathKind::CondOt { sigma_min: 0.0 }
    }

    pub fn vp() -> Self {
        PathKind::Vp {
            beta_min: 0.1,
            beta_max: 20.0,
            s_min: 1e-3,
        }
    }

    pub fn build(self) -> Box<dyn GaussianPath> {
        match self {
            PathKind::CondOt { sigma_min } => Box::new(CondOtPath { sigma_min }),
            PathKind::Vp {
                beta_min,
                beta_max,
                s_min,
            } => Box::new(VpPath {
                beta_min,
                beta_max,
                s_min,
            }),
        }
    }
}

/// Conditional-OT (linear) path.
#[derive(Clone, Copy, Debug)]
pub struct CondOtPath {
    pub sigma_min: f64,
}

impl GaussianPath for CondOtPath {
    fn coeffs(&self, tau: f64) -> PathCoeffs {
        PathCoeffs {
            alpha: tau,
            sigma: 1.0 - (1.0 - self.sigma_min) * tau,
            d_alpha: 1.0,
            d_sigma: -(1.0 - self.sigma_min),
        }
    }
    fn name(&self) -> String {
        "cond-ot".into()
    }
}

/// Variance-preserving path.
#[derive(Clone, Copy, Debug)]
pub struct VpPath {
    pub beta_min: f64,
    pub beta_max: f64,
    pub s_min: f64,
}

impl GaussianPath for VpPath {
    fn coeffs(&self, tau: f64) -> PathCoeffs {
        let s = 1.0 - (1.0 - self.s_min) * tau;
        let ds = -(1.0 - self.s_min);
        let big_t = s * self.beta_min + 0.5 * s * s * (self.beta_max - self.beta_min);
        let beta = self.beta_min + s * (self.beta_max - self.beta_min);
        let alpha = (-0.5 * big_t).exp();
        let d_alpha = -0.5 * beta * alpha * ds;
        let sigma = (1.0 - alpha * alpha).sqrt();
        PathCoeffs {
            alpha,
            sigma,
            d_alpha,
            d_sigma: -alpha * d_alpha / sigma,
        }
    }
    fn name(&self) -> String {
        "vp".into()
    }
}

/// The diffusion forward process as a Gaussian path: `alpha = sqrt(alpha_bar)`,
/// `sigma = sqrt(1 - alpha_bar)` at the continuous index `s = T(1 - tau) - 1`, with
/// `log alpha_bar` linear between integer indices (exact at every integer step).
#[derive(Clone, Debug)]
pub struct DiffusionPath {
    pub schedule: NoiseSchedule,
}

impl GaussianPath for DiffusionPath {
    fn coeffs(&self, tau: f64) -> PathCoeffs {
        let s = self.schedule.index_of_tau(tau);
        let (log_ab, slope) = self.schedule.log_alpha_bar_continuous(s);
        let ds = -(self.schedule.len() as f64);
        let ab = log_ab.exp();
        let alpha = ab.sqrt();
        let sigma = (1.0 - ab).max(0.0).sqrt();
        let d_ab = ab * slope * ds;
        PathCoeffs {
            alpha,
            sigma,
            d_alpha: 0.5 * d_ab / alpha,
            d_sigma: if sigma > 0.0 {
                -0.5 * d_ab / sigma
            } else {
                f64::INFINITY
            },
        }
    }
    fn name(&self) -> String {
        format!("diffusion-{:?}", self.schedule.kind).to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleKind;

    fn check_derivatives(path: &dyn GaussianPath, taus: &[f64]) {
        let h = 1e-6;
        for &t in taus {
            let (lo, hi, c) = (path.coeffs(t - h), path.coeffs(t + h), path.coeffs(t));
            let da = (hi.alpha - lo.alpha) / (2.0 * h);
            let ds = (hi.sigma - lo.sigma) / (2.0 * h);
            assert!(
                (da - c.d_alpha).abs() < 1e-4 * (1.0 + da.abs()),
                "{} alpha' at {t}: {da} vs {}",
                path.name(),
                c.d_alpha
            );
            assert!(
                (ds - c.d_sigma).abs() < 1e-4 * (1.0 + ds.abs()),
                "{} sigma' at {t}: {ds} vs {}",
                path.name(),
                c.d_sigma
            );
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        check_derivatives(&CondOtPath { sigma_min: 0.01 }, &[0.1, 0.5, 0.9]);
        check_derivatives(PathKind::vp().build().as_ref(), &[0.05, 0.5, 0.95, 0.999]);
        // Inside one segment of the diffusion path (derivative is piecewise smooth).
        let d = DiffusionPath {
            schedule: NoiseSchedule::new(ScheduleKind::Linear, 1000),
        };
        check_derivatives(&d, &[0.1005, 0.5005, 0.9005]);
    }

    #[test]
    fn endpoints_are_noise_and_data() {
        let ot = PathKind::cond_ot().build();
        assert_eq!((ot.coeffs(0.0).alpha, ot.coeffs(0.0).sigma), (0.0, 1.0));
        assert_eq!((ot.coeffs(1.0).alpha, ot.coeffs(1.0).sigma), (1.0, 0.0));
        let vp = PathKind::vp().build();
        assert!(vp.coeffs(0.0).alpha < 0.01 && vp.coeffs(1.0).alpha > 0.999);
        let d = DiffusionPath {
            schedule: NoiseSchedule::new(ScheduleKind::Cosine, 1000),
        };
        let c = d.coeffs(d.schedule.tau_of_index(400));
        assert!((c.alpha * c.alpha - d.schedule.alpha_bars[400]).abs() < 1e-12);
        assert_eq!(d.coeffs(1.0).sigma, 0.0);
    }
}
