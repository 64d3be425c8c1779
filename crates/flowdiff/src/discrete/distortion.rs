//! Time distortions of the sampling grid of discrete flow matching (DeFoG, Qin et al. 2025,
//! §4 "sample-time distortion"): the sampler takes its `K` steps at `tau_k = f(k/K)` instead of
//! `k/K`, for a monotone `f` with `f(0) = 0` and `f(1) = 1`, so steps crowd where the chain
//! makes its decisive moves. DeFoG's QM9 setting is `polydec`, whose steps shrink towards the
//! data (`f'(1) = 0`), where bonds are fixed one by one and valence errors are made.

use crate::error::{Error, Result};
use std::f64::consts::PI;

/// A monotone map of `[0, 1]` onto itself (times in the project convention: 0 = prior,
/// 1 = data).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeDistortion {
    /// `f(t) = t`: evenly spaced steps.
    #[default]
    Identity,
    /// `f(t) = 2t − t²`: steps shrink towards the data.
    PolyDec,
    /// `f(t) = t²`: steps shrink towards the prior.
    PolyInc,
    /// `f(t) = (1 − cos πt)/2`: steps shrink at both ends.
    Cos,
    /// `f(t) = 2t − (1 − cos πt)/2`: steps grow at both ends.
    RevCos,
}

impl TimeDistortion {
    pub const NAMES: [&'static str; 5] = ["identity", "polydec", "polyinc", "cos", "revcos"];

    /// `f(t)` for `t` in `[0, 1]`.
    pub fn apply(self, t: f64) -> f64 {
        let f = match self {
            Self::Identity => t,
            Self::PolyDec => 2.0 * t - t * t,
            Self::PolyInc => t * t,
            Self::Cos => (1.0 - (PI * t).cos()) / 2.0,
            Self::RevCos => 2.0 * t - (1.0 - (PI * t).cos()) / 2.0,
        };
        f.clamp(0.0, 1.0)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The distortion called `name` (one of [`Self::NAMES`]).
    pub fn parse(name: &str) -> Result<Self> {
        let all = [
            Self::Identity,
            Self::PolyDec,
            Self::PolyInc,
            Self::Cos,
            Self::RevCos,
        ];
        all.into_iter().find(|d| d.name() == name).ok_or_else(|| {
            Error::invalid(
                "time_distortion",
                format!("unknown '{name}' (one of {})", Self::NAMES.join(", ")),
            )
        })
    }
}
