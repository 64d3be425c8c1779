//! How flow-matching training draws the time `tau` of each example.
//!
//! The loss of flow matching is an expectation over `tau`; drawing `tau` from a density
//! other than U[0, 1] reweights it towards the times that are hardest to learn. Esser et
//! al. 2024 (Stable Diffusion 3, §3.1, eq. 19) found the logit-normal density
//! `pi(tau) = 1/(s·sqrt(2π)) · 1/(tau(1 − tau)) · exp(−(logit(tau) − m)²/(2s²))`, which puts
//! more weight on the middle of the path, best among their candidates (m = 0, s = 1).

use crate::rng::SeededRng;
use serde::{Deserialize, Serialize};

/// The density `tau` is drawn from during training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TimeSampling {
    /// `tau ~ U[0, 1]` (Lipman et al. 2022).
    #[default]
    Uniform,
    /// `tau = sigmoid(mean + std·u)`, `u ~ N(0, 1)` (Esser et al. 2024, eq. 19).
    LogitNormal { mean: f64, std: f64 },
}

impl TimeSampling {
    /// Esser et al.'s choice: logit-normal with m = 0, s = 1.
    pub fn logit_normal() -> Self {
        TimeSampling::LogitNormal {
            mean: 0.0,
            std: 1.0,
        }
    }

    pub fn is_uniform(&self) -> bool {
        *self == TimeSampling::Uniform
    }

    /// One draw of `tau` in (0, 1) (in [0, 1) for the uniform).
    pub fn draw(&self, rng: &mut SeededRng) -> f64 {
        match *self {
            TimeSampling::Uniform => rng.uniform(),
            TimeSampling::LogitNormal { mean, std } => {
                let z = mean + std * rng.normal();
                1.0 / (1.0 + (-z).exp())
            }
        }
    }

    /// The density at `tau` ∈ (0, 1).
    pub fn density(&self, tau: f64) -> f64 {
        match *self {
            TimeSampling::Uniform => f64::from(u8::from((0.0..=1.0).contains(&tau))),
            TimeSampling::LogitNormal { mean, std } => {
                if tau <= 0.0 || tau >= 1.0 {
                    return 0.0;
                }
                let logit = (tau / (1.0 - tau)).ln();
                let g = (-(logit - mean).powi(2) / (2.0 * std * std)).exp();
                g / (std * (2.0 * std::f64::consts::PI).sqrt() * tau * (1.0 - tau))
            }
        }
    }

    /// The name as `--time-sampling` takes it.
    pub fn name(&self) -> String {
        match *self {
            TimeSampling::Uniform => "uniform".into(),
            TimeSampling::LogitNormal { mean, std } => format!("logit-normal:{mean},{std}"),
        }
    }
}

impl std::str::FromStr for TimeSampling {
    type Err = String;

    /// `uniform`, `logit-normal` (m = 0, s = 1) or `logit-normal:M,S` with S > 0.
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = "expected uniform, logit-normal or logit-normal:MEAN,STD";
        match s.split_once(':') {
            None if s == "uniform" => Ok(TimeSampling::Uniform),
            None if s == "logit-normal" => Ok(TimeSampling::logit_normal()),
            Some(("logit-normal", args)) => {
                let parts: Vec<&str> = args.split(',').collect();
                let [m, sd] = parts[..] else {
                    return Err(format!("{s:?}: {expected}"));
                };
                let mean: f64 = m.trim().parse().map_err(|_| format!("{s:?}: {expected}"))?;
                let std: f64 = sd
                    .trim()
                    .parse()
                    .map_err(|_| format!("{s:?}: {expected}"))?;
                if !(mean.is_finite() && std.is_finite() && std > 0.0) {
                    return Err(format!(
                        "{s:?}: the mean must be finite and the std positive"
                    ));
                }
                Ok(TimeSampling::LogitNormal { mean, std })
            }
            _ => Err(format!("{s:?}: {expected}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draws follow the stated density: a histogram over 20 bins against the density's
    /// integral over each bin (midpoint rule on 50 sub-points), and the logits' moments.
    #[test]
    fn logit_normal_draws_follow_their_density() {
        let ts = TimeSampling::LogitNormal {
            mean: 0.5,
            std: 0.8,
        };
        let mut rng = SeededRng::new(11);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| ts.draw(&mut rng)).collect();
        let logits: Vec<f64> = draws.iter().map(|t| (t / (1.0 - t)).ln()).collect();
        let mean = logits.iter().sum::<f64>() / n as f64;
        let var = logits.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "logit mean {mean}");
        assert!((var.sqrt() - 0.8).abs() < 0.01, "logit std {}", var.sqrt());
        let bins = 20;
        let mut counts = vec![0usize; bins];
        for t in &draws {
            counts[((t * bins as f64) as usize).min(bins - 1)] += 1;
        }
        for (b, &c) in counts.iter().enumerate() {
            let sub = 50;
            let p: f64 = (0..sub)
                .map(|k| {
                    let tau = (b as f64 + (k as f64 + 0.5) / sub as f64) / bins as f64;
                    ts.density(tau) / (bins * sub) as f64
                })
                .sum();
            let expected = p * n as f64;
            let sd = expected.sqrt().max(1.0);
            assert!(
                (c as f64 - expected).abs() < 5.0 * sd,
                "bin {b}: {c} draws, {expected:.0} expected"
            );
        }
    }

    #[test]
    fn uniform_draws_cover_the_unit_interval_evenly() {
        let mut rng = SeededRng::new(3);
        let draws: Vec<f64> = (0..100_000)
            .map(|_| TimeSampling::Uniform.draw(&mut rng))
            .collect();
        let below = draws.iter().filter(|&&t| t < 0.25).count() as f64 / 1e5;
        assert!((below - 0.25).abs() < 0.01, "{below}");
    }

    #[test]
    fn names_parse_back_and_bad_ones_are_refused() {
        for ts in [
            TimeSampling::Uniform,
            TimeSampling::logit_normal(),
            TimeSampling::LogitNormal {
                mean: -0.5,
                std: 1.5,
            },
        ] {
            assert_eq!(ts.name().parse::<TimeSampling>().unwrap(), ts);
        }
        for bad in [
            "",
            "normal",
            "logit-normal:1",
            "logit-normal:0,0",
            "logit-normal:a,1",
        ] {
            assert!(bad.parse::<TimeSampling>().is_err(), "{bad}");
        }
    }
}
