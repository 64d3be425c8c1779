//! Any Gaussian-path model seen as an EDM denoiser (Karras et al. 2022, §2 and Table 1):
//! in scaled coordinates `x̃ = x / alpha` the path is `x̃ = x1 + σ z` with `σ = sigma/alpha`,
//! and `D(x̃; σ) = E[x1 | x̃]`. Samplers written in `σ` (Karras et al.'s Euler/Heun and
//! stochastic sampler, DPM-Solver++) then serve diffusion and flow models alike.

use crate::convert::{Prediction, convert};
use crate::models::Model;
use crate::path::GaussianPath;
use burn::tensor::Tensor;

/// A model and its path, evaluated by noise level `σ = sigma(tau)/alpha(tau)`.
pub struct SigmaDenoiser<'a> {
    pub model: &'a dyn Model,
    pub path: &'a dyn GaussianPath,
    /// The flow-time range the sampler may use: `σ_max = σ(tau_lo)`, `σ_min = σ(tau_hi)`.
    pub tau_lo: f64,
    pub tau_hi: f64,
}

impl<'a> SigmaDenoiser<'a> {
    pub fn new(model: &'a dyn Model, path: &'a dyn GaussianPath, tau_lo: f64, tau_hi: f64) -> Self {
        assert!(tau_lo < tau_hi, "empty flow-time range");
        Self {
            model,
            path,
            tau_lo,
            tau_hi,
        }
    }

    /// `σ(tau) = sigma/alpha`, decreasing in `tau`.
    pub fn sigma_of_tau(&self, tau: f64) -> f64 {
        let c = self.path.coeffs(tau);
        c.sigma / c.alpha
    }

    pub fn sigma_max(&self) -> f64 {
        self.sigma_of_tau(self.tau_lo)
    }

    pub fn sigma_min(&self) -> f64 {
        self.sigma_of_tau(self.tau_hi)
    }

    /// The flow time with `σ(tau) = sigma` (bisection; `σ` is monotone along every path).
    pub fn tau_of_sigma(&self, sigma: f64) -> f64 {
        let (mut lo, mut hi) = (self.tau_lo, self.tau_hi);
        if sigma >= self.sigma_of_tau(lo) {
            return lo;
        }
        if sigma <= self.sigma_of_tau(hi) {
            return hi;
        }
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if self.sigma_of_tau(mid) > sigma {
                lo = mid
            } else {
                hi = mid
            }
        }
        0.5 * (lo + hi)
    }

    /// `D(x̃; σ)`: the model's clean-data estimate at scaled input `x̃: [n, d]`. One NFE.
    pub fn denoise(&self, x: &Tensor<2>, sigma: f64) -> Tensor<2> {
        let tau = self.tau_of_sigma(sigma);
        let c = self.path.coeffs(tau);
        let xs = x.clone().mul_scalar(c.alpha);
        let pred = self.model.predict(xs.clone(), tau);
        convert(pred, xs, self.model.prediction(), Prediction::Data, c)
    }
}

/// The noise levels of Karras et al. 2022, eq. 5: `steps` levels from `σ_max` to `σ_min`
/// evenly spaced in `σ^(1/ρ)`, then a final 0.
pub fn karras_sigmas(steps: usize, sigma_min: f64, sigma_max: f64, rho: f64) -> Vec<f64> {
    let (a, b) = (sigma_max.powf(1.0 / rho), sigma_min.powf(1.0 / rho));
    let mut s: Vec<f64> = (0..steps)
        .map(|i| {
            let f = if steps == 1 {
                0.0
            } else {
                i as f64 / (steps - 1) as f64
            };
            (a + f * (b - a)).powf(rho)
        })
        .collect();
    s.push(0.0);
    s
}

/// `steps` noise levels from `σ_max` to `σ_min` uniform in `log σ` (uniform in logSNR
/// `λ = −log σ`, Lu et al. 2022's choice for DPM-Solver), then a final 0.
pub fn logsnr_sigmas(steps: usize, sigma_min: f64, sigma_max: f64) -> Vec<f64> {
    let (a, b) = (sigma_max.ln(), sigma_min.ln());
    let mut s: Vec<f64> = (0..steps)
        .map(|i| {
            if steps == 1 {
                sigma_max
            } else {
                (a + (b - a) * i as f64 / (steps - 1) as f64).exp()
            }
        })
        .collect();
    s.push(0.0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karras_schedule_endpoints_and_monotonicity() {
        let s = karras_sigmas(10, 0.002, 80.0, 7.0);
        assert_eq!(s.len(), 11);
        assert!((s[0] - 80.0).abs() < 1e-9 && (s[9] - 0.002).abs() < 1e-12 && s[10] == 0.0);
        assert!(s.windows(2).all(|w| w[1] < w[0]));
        let l = logsnr_sigmas(5, 0.01, 100.0);
        assert_eq!(l.len(), 6);
        assert!((l[2] - 1.0).abs() < 1e-12 && (l[4] - 0.01).abs() < 1e-12 && l[5] == 0.0);
    }

    #[test]
    fn tau_of_sigma_inverts_sigma_of_tau() {
        let path = crate::path::PathKind::cond_ot().build();
        let model = crate::models::ExactModel {
            data: crate::models::GaussianMixture::eight_gaussians(),
            path: std::sync::Arc::from(crate::path::PathKind::cond_ot().build()),
            prediction: Prediction::Velocity,
            device: burn::tensor::Device::flex(),
        };
        let d = SigmaDenoiser::new(&model, path.as_ref(), 1e-3, 1.0 - 1e-3);
        for tau in [0.01, 0.3, 0.77, 0.99] {
            assert!((d.tau_of_sigma(d.sigma_of_tau(tau)) - tau).abs() < 1e-9);
        }
    }
}
