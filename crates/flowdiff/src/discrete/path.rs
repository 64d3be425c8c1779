//! The mixture path `p_tau(x | x1) = kappa(tau)·δ(x1) + (1 − kappa(tau))·p0` and its two
//! schedules (see the [module docs](super)).

use super::distortion::TimeDistortion;
use super::prior::Prior;
use crate::rng::SeededRng;
use serde::{Deserialize, Serialize};

/// Which family trains and samples the discrete model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum DiscreteMethod {
    /// Discrete diffusion with `timesteps` steps `t = 1..=T`: `kappa = ᾱ_t`, cosine schedule;
    /// step `t` is `tau = 1 − t/T` (the project's one conversion, as in `schedule.rs` with
    /// `i = t − 1`).
    Diffusion { timesteps: usize },
    /// Discrete flow matching on the linear mixture path `kappa = tau` (Gat et al. 2024 eq. 9).
    Flow,
}

impl DiscreteMethod {
    /// The method's name in reports and messages.
    pub fn display_name(self) -> &'static str {
        match self {
            DiscreteMethod::Diffusion { .. } => "discrete diffusion (DiGress)",
            DiscreteMethod::Flow => "discrete flow matching",
        }
    }
}

/// The path of a [`DiscreteMethod`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MixturePath {
    pub method: DiscreteMethod,
}

impl MixturePath {
    pub fn new(method: DiscreteMethod) -> Self {
        Self { method }
    }

    /// Weight of the data in the mixture at `tau` (0 at `tau = 0`, 1 at `tau = 1`).
    pub fn kappa(&self, tau: f64) -> f64 {
        match self.method {
            DiscreteMethod::Flow => tau.clamp(0.0, 1.0),
            DiscreteMethod::Diffusion { .. } => cosine_alpha_bar(1.0 - tau.clamp(0.0, 1.0)),
        }
    }

    /// A training time: uniform on `[0, 1)` for the flow, `tau = 1 − t/T` with `t` uniform
    /// on `1..=T` for diffusion.
    pub fn draw_tau(&self, rng: &mut SeededRng) -> f64 {
        match self.method {
            DiscreteMethod::Flow => rng.uniform(),
            DiscreteMethod::Diffusion { timesteps } => {
                let t = 1 + rng.below(timesteps);
                1.0 - t as f64 / timesteps as f64
            }
        }
    }

    /// The sampling grid, `steps + 1` increasing times from 0 (prior) to 1 (data). For
    /// diffusion the times are rounded to the training steps `t = T(1 − k/K)`.
    pub fn grid(&self, steps: usize) -> Vec<f64> {
        let steps = steps.max(1);
        (0..=steps)
            .map(|k| {
                let tau = k as f64 / steps as f64;
                match self.method {
                    DiscreteMethod::Flow => tau,
                    DiscreteMethod::Diffusion { timesteps } => {
                        let t = ((1.0 - tau) * timesteps as f64).round();
                        1.0 - t / timesteps as f64
                    }
                }
            })
            .collect()
    }

    /// [`Self::grid`] with the flow's times mapped through `distortion` (DeFoG's sample-time
    /// distortion); diffusion keeps its training timesteps.
    pub fn distorted_grid(&self, steps: usize, distortion: TimeDistortion) -> Vec<f64> {
        let grid = self.grid(steps);
        match self.method {
            DiscreteMethod::Flow => grid.into_iter().map(|t| distortion.apply(t)).collect(),
            DiscreteMethod::Diffusion { .. } => grid,
        }
    }

    /// A draw of `x_tau` given the clean class `x1`: `x1` with probability `kappa`, else a
    /// draw from the prior.
    pub fn corrupt(&self, x1: usize, kappa: f64, prior: &Prior, rng: &mut SeededRng) -> usize {
        if rng.uniform() < kappa {
            x1
        } else {
            prior.draw(rng.uniform())
        }
    }
}

/// The cosine schedule's `ᾱ(u)`, shared with the Gaussian schedule.
pub use crate::schedule::cosine_alpha_bar;
