//! The diffusion training objective (Ho et al. 2020, Alg. 1 and eq. 14, "L_simple"):
//! `i ~ U{0..T-1}`, `x_i = sqrt(alpha_bar_i) x0 + sqrt(1-alpha_bar_i) eps`, and an MSE to the
//! chosen target: `eps` (Ho et al.), `x0`, or `v = sqrt(ab)·eps − sqrt(1-ab)·x0`
//! (Salimans & Ho 2022, §4). The network sees the step as flow time `tau_of_index(i)`.
//! Optionally each row's error is weighted by min-SNR-γ (Hang et al. 2023, §3.4).

use crate::convert::Prediction;
use crate::objective::{Objective, Regression, column};
use crate::rng::SeededRng;
use crate::schedule::NoiseSchedule;
use burn::tensor::Tensor;

pub struct DiffusionObjective {
    pub schedule: NoiseSchedule,
    pub prediction: Prediction,
    /// Min-SNR-γ loss weighting; `None` trains on L_simple (every step weighted alike).
    pub min_snr_gamma: Option<f64>,
}

/// The min-SNR-γ weight of a step with signal-to-noise ratio `snr = ab/(1 − ab)` (Hang et al.
/// 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy", eq. 12 and §3.4): the
/// x0-loss weight `min(SNR, γ)`, divided by what the prediction's own MSE already carries —
/// `SNR` for ε, `SNR + 1` for v, 1 for x0 — so that no step dominates the gradient.
pub fn min_snr_weight(snr: f64, gamma: f64, prediction: Prediction) -> f64 {
    let clipped = snr.min(gamma);
    match prediction {
        Prediction::Noise => clipped / snr,
        Prediction::V => clipped / (snr + 1.0),
        _ => clipped,
    }
}

impl Objective for DiffusionObjective {
    fn batch(&self, x0: Tensor<2>, rng: &mut SeededRng) -> Regression {
        let [n, d] = x0.dims();
        let device = x0.device();
        let steps: Vec<usize> = (0..n).map(|_| rng.below(self.schedule.len())).collect();
        let eps = rng.normal_tensor(n, d, &device);
        let ab: Vec<f64> = steps.iter().map(|&i| self.schedule.alpha_bars[i]).collect();
        let a = column(ab.iter().map(|v| v.sqrt()).collect(), &device);
        let s = column(ab.iter().map(|v| (1.0 - v).sqrt()).collect(), &device);
        let t = column(
            steps
                .iter()
                .map(|&i| self.schedule.tau_of_index(i as isize))
                .collect(),
            &device,
        );
        let x = x0.clone().mul(a.clone()).add(eps.clone().mul(s.clone()));
        let target = match self.prediction {
            Prediction::Noise => eps,
            Prediction::Data => x0,
            Prediction::V => eps.mul(a).sub(x0.mul(s)),
            other => panic!("diffusion cannot be trained to predict {other:?}"),
        };
        let batch = Regression::single(x, t, target);
        match self.min_snr_gamma {
            None => batch,
            Some(gamma) => {
                let w = ab
                    .iter()
                    .map(|&ab| min_snr_weight(ab / (1.0 - ab), gamma, self.prediction))
                    .collect();
                batch.weighted(column(w, &device))
            }
        }
    }

    fn prediction(&self) -> Prediction {
        self.prediction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleKind;

    #[test]
    fn min_snr_weights_are_one_x0_weight_seen_through_each_prediction() {
        // An ε-error is sqrt(SNR) times the x0-error and a v-error sqrt(SNR + 1) times it, so
        // each prediction's weight times what its MSE carries is the x0 weight min(SNR, γ).
        for snr in [1e-3, 0.5, 5.0, 40.0] {
            let want = f64::min(snr, 5.0);
            let eps = min_snr_weight(snr, 5.0, Prediction::Noise) * snr;
            let v = min_snr_weight(snr, 5.0, Prediction::V) * (snr + 1.0);
            let x0 = min_snr_weight(snr, 5.0, Prediction::Data);
            for (name, got) in [("eps", eps), ("v", v), ("x0", x0)] {
                assert!(
                    (got - want).abs() < 1e-12 * want.max(1.0),
                    "{name} at SNR {snr}: {got}"
                );
            }
        }
    }

    #[test]
    fn the_weighted_loss_is_the_mean_of_each_rows_weighted_error() {
        let device = crate::device::default();
        let objective = DiffusionObjective {
            schedule: NoiseSchedule::new(ScheduleKind::Linear, 100),
            prediction: Prediction::Noise,
            min_snr_gamma: Some(5.0),
        };
        let x0 = crate::device::tensor2(vec![0.5; 64 * 3], 64, 3, &device);
        let batch = objective.batch(x0, &mut SeededRng::new(2));
        let pred = batch.target.clone().mul_scalar(0.0);
        let weights = crate::device::to_vec(batch.row_weights.clone().expect("weighted"));
        assert!(weights.iter().all(|w| *w > 0.0 && *w <= 1.0), "{weights:?}");
        assert!(
            weights.iter().any(|w| *w < 0.5),
            "the clean steps are weighted down"
        );
        let target = crate::device::to_vec(batch.target.clone());
        let want: f64 = target
            .chunks(3)
            .zip(&weights)
            .map(|(row, w)| row.iter().map(|t| (t * t) as f64).sum::<f64>() * *w as f64)
            .sum::<f64>()
            / (64.0 * 3.0);
        let got = batch.loss(pred).into_scalar::<f32>() as f64;
        assert!((got - want).abs() < 1e-5 * want, "{got} vs {want}");
    }
}
