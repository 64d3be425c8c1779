//! Discrete noise schedules for diffusion (Ho et al. 2020, §2 and §4).
//!
//! A schedule is the sequence `beta_i`, `i = 0..T-1`; `alpha_bar_i = Π_{j≤i} (1 - beta_j)`
//! gives the closed form `q(x_i | x_0) = N(sqrt(alpha_bar_i) x_0, (1 - alpha_bar_i) I)`
//! (Ho et al. eq. 4).
//!
//! **Time conversion (the one place).** Diffusion index `i` and flow time `tau` (0 = noise,
//! 1 = data) are related by `tau = 1 - (i + 1) / T`: index `T-1` is `tau = 0`, and the
//! clean data (`alpha_bar = 1`, "index -1") is `tau = 1`.

use serde::{Deserialize, Serialize};

/// Which beta schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// `beta` linear from 1e-4 to 0.02 (Ho et al. 2020, §4).
    Linear,
    /// `alpha_bar(t) = f(t)/f(0)`, `f(t) = cos²(((t/T + s)/(1 + s))·π/2)`, `s = 0.008`,
    /// betas clipped at 0.999 (Nichol & Dhariwal 2021, eq. 17).
    Cosine,
    /// `beta = 1e-4 + (0.02 - 1e-4)·sigmoid(linspace(-6, 6, T))` (Xu et al. 2022, GeoDiff).
    Sigmoid,
}

crate::names::from_str_by_name!(ScheduleKind, "schedule");

/// `f(u) = cos²(((u + s)/(1 + s))·π/2)` with `s = 0.008`, at diffusion time `u = t/T ∈ [0, 1]`
/// (Nichol & Dhariwal 2021, eq. 17): the cosine schedule's `ᾱ(u) = f(u)/f(0)`, used by the
/// Gaussian schedule here and by the discrete mixture path.
pub fn cosine_f(u: f64) -> f64 {
    ((u + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
        .cos()
        .powi(2)
}

/// The cosine schedule's `ᾱ(u) = f(u)/f(0)` ([`cosine_f`]) for `u ∈ [0, 1]`.
pub fn cosine_alpha_bar(u: f64) -> f64 {
    (cosine_f(u) / cosine_f(0.0)).clamp(0.0, 1.0)
}

/// A discrete diffusion noise schedule with `T` steps.
#[derive(Clone, Debug)]
pub struct NoiseSchedule {
    pub kind: ScheduleKind,
    pub betas: Vec<f64>,
    pub alpha_bars: Vec<f64>,
}

impl NoiseSchedule {
    pub fn new(kind: ScheduleKind, steps: usize) -> Self {
        assert!(steps >= 2, "a schedule needs at least two steps");
        let t = steps as f64;
        let betas: Vec<f64> = match kind {
            ScheduleKind::Linear => (0..steps)
                .map(|i| 1e-4 + (0.02 - 1e-4) * i as f64 / (t - 1.0))
                .collect(),
            ScheduleKind::Cosine => {
                let f = |u: f64| cosine_f(u / t);
                (0..steps)
                    .map(|i| (1.0 - f(i as f64 + 1.0) / f(i as f64)).min(0.999))
                    .collect()
            }
            ScheduleKind::Sigmoid => (0..steps)
                .map(|i| {
                    let z = -6.0 + 12.0 * i as f64 / (t - 1.0);
                    1e-4 + (0.02 - 1e-4) / (1.0 + (-z).exp())
                })
                .collect(),
        };
        let mut alpha_bars = Vec::with_capacity(steps);
        let mut acc = 1.0;
        for b in &betas {
            acc *= 1.0 - b;
            alpha_bars.push(acc);
        }
        Self {
            kind,
            betas,
            alpha_bars,
        }
    }

    /// Number of diffusion steps `T`.
    pub fn len(&self) -> usize {
        self.betas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.betas.is_empty()
    }

    /// `alpha_bar` at index `i`, with `alpha_bar(-1) = 1` (clean data).
    pub fn alpha_bar(&self, i: isize) -> f64 {
        if i < 0 {
            1.0
        } else {
            self.alpha_bars[i as usize]
        }
    }

    /// Flow time of diffusion index `i`: `tau = 1 - (i + 1)/T`.
    pub fn tau_of_index(&self, i: isize) -> f64 {
        1.0 - (i + 1) as f64 / self.len() as f64
    }

    /// Continuous diffusion index of flow time `tau`: `s = T(1 - tau) - 1 ∈ [-1, T-1]`.
    pub fn index_of_tau(&self, tau: f64) -> f64 {
        self.len() as f64 * (1.0 - tau) - 1.0
    }

    /// `log alpha_bar` at a continuous index `s ∈ [-1, T-1]`, linear between integers, and
    /// its derivative `d log alpha_bar / ds` on that segment.
    pub fn log_alpha_bar_continuous(&self, s: f64) -> (f64, f64) {
        let s = s.clamp(-1.0, self.len() as f64 - 1.0);
        let lo = (s.floor() as isize).min(self.len() as isize - 2);
        let (a, b) = (self.alpha_bar(lo).ln(), self.alpha_bar(lo + 1).ln());
        let frac = s - lo as f64;
        (a + (b - a) * frac, b - a)
    }

    /// `n` timesteps evenly spaced from `T-1` down to 0 (DDIM's strided sub-sequence,
    /// Song et al. 2021 §4.2), in sampling order.
    pub fn strided(&self, n: usize) -> Vec<usize> {
        let n = n.clamp(1, self.len());
        if n == 1 {
            return vec![self.len() - 1];
        }
        let last = (self.len() - 1) as f64;
        let mut v: Vec<usize> = (0..n)
            .map(|k| (last - last * k as f64 / (n - 1) as f64).round() as usize)
            .collect();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_matches_ho_et_al() {
        let s = NoiseSchedule::new(ScheduleKind::Linear, 1000);
        assert!((s.betas[0] - 1e-4).abs() < 1e-12 && (s.betas[999] - 0.02).abs() < 1e-12);
        // alpha_bar_T for the linear schedule is ~4.0e-5 (signal almost gone).
        assert!(s.alpha_bars[999] < 1e-4 && s.alpha_bars[999] > 1e-5);
    }

    #[test]
    fn every_schedule_decreases_from_one_to_near_zero() {
        for kind in [
            ScheduleKind::Linear,
            ScheduleKind::Cosine,
            ScheduleKind::Sigmoid,
        ] {
            let s = NoiseSchedule::new(kind, 1000);
            assert!(s.alpha_bars.windows(2).all(|w| w[1] < w[0]), "{kind:?}");
            assert!(
                s.alpha_bars[0] > 0.99 && *s.alpha_bars.last().unwrap() < 0.01,
                "{kind:?}"
            );
        }
        // The cosine schedule keeps more signal at mid-time than the linear one.
        let (l, c) = (
            NoiseSchedule::new(ScheduleKind::Linear, 1000),
            NoiseSchedule::new(ScheduleKind::Cosine, 1000),
        );
        assert!(c.alpha_bars[500] > l.alpha_bars[500]);
    }

    #[test]
    fn time_conversion_is_consistent() {
        let s = NoiseSchedule::new(ScheduleKind::Linear, 100);
        for i in [-1isize, 0, 10, 99] {
            let tau = s.tau_of_index(i);
            assert!((s.index_of_tau(tau) - i as f64).abs() < 1e-9);
            let (la, _) = s.log_alpha_bar_continuous(i as f64);
            assert!((la - s.alpha_bar(i).ln()).abs() < 1e-12);
        }
        assert_eq!(s.tau_of_index(99), 0.0);
        assert_eq!(s.tau_of_index(-1), 1.0);
        assert_eq!(s.strided(5), vec![99, 74, 50, 25, 0]);
    }
}
