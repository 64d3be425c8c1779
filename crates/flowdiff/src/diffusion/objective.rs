//! The diffusion training objective (Ho et al. 2020, Alg. 1 and eq. 14, "L_simple"):
//! `i ~ U{0..T-1}`, `x_i = sqrt(alpha_bar_i) x0 + sqrt(1-alpha_bar_i) eps`, and an MSE to the
//! chosen target: `eps` (Ho et al.), `x0`, or `v = sqrt(ab)·eps − sqrt(1-ab)·x0`
//! (Salimans & Ho 2022, §4). The network sees the step as flow time `tau_of_index(i)`.

use crate::convert::Prediction;
use crate::objective::{Objective, Regression, column};
use crate::rng::SeededRng;
use crate::schedule::NoiseSchedule;
use burn::tensor::Tensor;

pub struct DiffusionObjective {
    pub schedule: NoiseSchedule,
    pub prediction: Prediction,
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
        Regression::single(x, t, target)
    }

    fn prediction(&self) -> Prediction {
        self.prediction
    }
}
