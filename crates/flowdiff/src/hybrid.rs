//! The hybrid of slide 12, done properly: one network with a shared trunk and two heads on
//! the same Gaussian path — a noise head trained with the diffusion loss (Ho et al. 2020,
//! eq. 14, on this path) and a velocity head trained with the flow-matching loss (Lipman et
//! al. 2022, eq. 9) — jointly, `L = w·L_noise + (1 − w)·L_velocity`. Because the path is
//! Gaussian, the noise head implies a velocity (`crate::convert`), so the model samples by
//! either head or by their average.

use crate::convert::{Prediction, convert};
use crate::flow::{Coupling, path_batch};
use crate::objective::{Objective, Regression};
use crate::path::{GaussianPath, PathKind};
use crate::rng::SeededRng;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The joint objective: targets `[z, alpha'·x1 + sigma'·z]`, weights `[w, 1 − w]`.
pub struct HybridObjective {
    pub path: Arc<dyn GaussianPath>,
    pub noise_weight: f64,
}

impl Objective for HybridObjective {
    fn batch(&self, x1: Tensor<2>, rng: &mut SeededRng) -> Regression {
        let b = path_batch(
            self.path.as_ref(),
            Coupling::Independent,
            crate::flow::TimeSampling::Uniform,
            x1,
            rng,
        );
        let target = Tensor::cat(vec![b.z.clone(), b.velocity()], 1);
        Regression {
            x: b.x,
            t: b.t,
            target,
            head_weights: vec![self.noise_weight, 1.0 - self.noise_weight],
            row_weights: None,
        }
    }

    fn prediction(&self) -> Prediction {
        Prediction::Velocity
    }
}

/// Which head a hybrid model samples with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Head {
    /// The velocity implied by the noise head.
    #[value(alias = "eps")]
    Noise,
    /// The velocity head.
    Velocity,
    /// The mean of the two velocities.
    #[value(alias = "both")]
    Mean,
}

crate::names::from_str_by_name!(Head, "head");

impl Head {
    /// Combines the two-head output `[n, 2d]` at `x: [n, d]` into one velocity `[n, d]`.
    pub fn velocity(self, out: Tensor<2>, x: Tensor<2>, path: PathKind, tau: f64) -> Tensor<2> {
        let [n, d] = x.dims();
        let c = path.build().coeffs(tau);
        let eps = out.clone().slice([0..n, 0..d]);
        let vel = out.slice([0..n, d..2 * d]);
        let from_noise = || {
            convert(
                eps.clone(),
                x.clone(),
                Prediction::Noise,
                Prediction::Velocity,
                c,
            )
        };
        match self {
            Head::Noise => from_noise(),
            Head::Velocity => vel,
            Head::Mean => from_noise().add(vel).mul_scalar(0.5),
        }
    }
}
