//! Conversions between the parameterisations of a Gaussian path (Kingma et al. 2021;
//! Salimans & Ho 2022; Lipman et al. 2022). At `x = alpha·x1 + sigma·z` every prediction is
//! a linear function of the data estimate `D = E[x1|x]` and the noise estimate `E = E[z|x]`:
//!
//! | kind | value |
//! |---|---|
//! | noise (epsilon) | `E` |
//! | data (x0 in DDPM's notation) | `D` |
//! | v (Salimans & Ho eq. for VP paths) | `alpha·E − sigma·D` |
//! | velocity (flow matching) | `alpha'·D + sigma'·E` |
//! | score | `−E / sigma` |
//!
//! so converting one into another is `out = c_x · x + c_p · prediction` with two scalars.

use crate::path::PathCoeffs;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// What a model's output means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Prediction {
    /// The noise `z` (Ho et al. 2020's epsilon-prediction).
    #[value(alias = "eps", alias = "epsilon")]
    Noise,
    /// The clean data `x1` (DDPM's `x0`-prediction).
    #[value(alias = "x0", alias = "sample")]
    Data,
    /// `v = alpha·z − sigma·x1` (Salimans & Ho 2022).
    V,
    /// The flow-matching velocity `alpha'·x1 + sigma'·z`.
    Velocity,
    /// The score `∇ log p_tau(x) = −E[z|x]/sigma` (output only).
    Score,
}

crate::names::from_str_by_name!(Prediction, "prediction");

impl Prediction {
    /// The row `[k_D, k_E]` with `value = k_D·D + k_E·E` at these coefficients.
    fn row(self, c: PathCoeffs) -> [f64; 2] {
        match self {
            Prediction::Noise => [0.0, 1.0],
            Prediction::Data => [1.0, 0.0],
            Prediction::V => [-c.sigma, c.alpha],
            Prediction::Velocity => [c.d_alpha, c.d_sigma],
            Prediction::Score => [0.0, -1.0 / c.sigma],
        }
    }

    /// The value of this kind given data and noise estimates.
    pub fn combine(self, c: PathCoeffs, data: f64, noise: f64) -> f64 {
        let [kd, ke] = self.row(c);
        kd * data + ke * noise
    }
}

/// Scalars `(c_x, c_p)` with `to = c_x·x + c_p·from_value` at path coefficients `c`.
///
/// Solves `[x; p] = M [D; E]` with `M = [[alpha, sigma], row(from)]`, then applies `row(to)`.
/// Panics if `from` does not determine `D` and `E` at `c` (e.g. noise-prediction at sigma = 0).
pub fn coefficients(from: Prediction, to: Prediction, c: PathCoeffs) -> (f64, f64) {
    if from == to {
        return (0.0, 1.0);
    }
    let [pd, pe] = from.row(c);
    let det = c.alpha * pe - c.sigma * pd;
    assert!(
        det.abs() > 1e-300 && det.is_finite(),
        "{from:?} does not determine {to:?} at alpha={}, sigma={}",
        c.alpha,
        c.sigma
    );
    // M^{-1} = [[pe, -sigma], [-pd, alpha]] / det.
    let (dx, dp) = (pe / det, -c.sigma / det);
    let (ex, ep) = (-pd / det, c.alpha / det);
    let [td, te] = to.row(c);
    (td * dx + te * ex, td * dp + te * ep)
}

/// Converts a batch of predictions `pred: [n, d]` at `x: [n, d]` from one kind to another.
pub fn convert(
    pred: Tensor<2>,
    x: Tensor<2>,
    from: Prediction,
    to: Prediction,
    c: PathCoeffs,
) -> Tensor<2> {
    let (cx, cp) = coefficients(from, to, c);
    match (cx == 0.0, cp == 1.0) {
        (true, true) => pred,
        (true, false) => pred.mul_scalar(cp),
        _ => x.mul_scalar(cx).add(pred.mul_scalar(cp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::PathKind;

    #[test]
    fn every_conversion_recovers_the_truth() {
        let kinds = [
            Prediction::Noise,
            Prediction::Data,
            Prediction::V,
            Prediction::Velocity,
        ];
        for path in [PathKind::cond_ot().build(), PathKind::vp().build()] {
            for tau in [0.1, 0.5, 0.9] {
                let c = path.coeffs(tau);
                let (d, e) = (0.7, -1.3);
                let x = c.alpha * d + c.sigma * e;
                for from in kinds {
                    for to in kinds.iter().copied().chain([Prediction::Score]) {
                        let (cx, cp) = coefficients(from, to, c);
                        let got = cx * x + cp * from.combine(c, d, e);
                        let want = to.combine(c, d, e);
                        assert!(
                            (got - want).abs() < 1e-9,
                            "{} {from:?}->{to:?} at {tau}",
                            path.name()
                        );
                    }
                }
            }
        }
    }
}
