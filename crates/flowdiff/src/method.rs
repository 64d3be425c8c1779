//! The methods and their settings, as stored in a run's config.

use crate::convert::Prediction;
use crate::diffusion::DiffusionObjective;
use crate::flow::{Coupling, FlowObjective, TimeSampling};
use crate::hybrid::HybridObjective;
use crate::objective::Objective;
use crate::path::{DiffusionPath, GaussianPath, PathKind};
use crate::schedule::{NoiseSchedule, ScheduleKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Diffusion, flow matching or their hybrid, with the choices each one makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "method")]
pub enum Method {
    Diffusion {
        schedule: ScheduleKind,
        timesteps: usize,
        prediction: Prediction,
        /// Min-SNR-γ loss weighting (Hang et al. 2023); L_simple when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_snr_gamma: Option<f64>,
    },
    Flow {
        path: PathKind,
        coupling: Coupling,
        /// How training draws `tau` ([`TimeSampling`]; uniform when absent).
        #[serde(default, skip_serializing_if = "TimeSampling::is_uniform")]
        time_sampling: TimeSampling,
    },
    /// Two heads on one trunk: noise (diffusion loss) and velocity (flow-matching loss) on the
    /// same path, `L = noise_weight·L_noise + (1 − noise_weight)·L_velocity` ([`crate::hybrid`]).
    Hybrid { path: PathKind, noise_weight: f64 },
}

impl Method {
    /// DDPM defaults: linear schedule, T = 1000, noise prediction (Ho et al. 2020).
    pub fn diffusion() -> Self {
        Method::Diffusion {
            schedule: ScheduleKind::Linear,
            timesteps: 1000,
            prediction: Prediction::Noise,
            min_snr_gamma: None,
        }
    }

    /// Flow-matching defaults: conditional-OT path, independent coupling.
    pub fn flow() -> Self {
        Method::Flow {
            path: PathKind::cond_ot(),
            coupling: Coupling::Independent,
            time_sampling: TimeSampling::Uniform,
        }
    }

    /// Hybrid defaults: the variance-preserving path (where the noise head's implied velocity
    /// is finite at tau = 0), equal loss weights.
    pub fn hybrid() -> Self {
        Method::Hybrid {
            path: PathKind::vp(),
            noise_weight: 0.5,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Method::Diffusion { .. } => "diffusion",
            Method::Flow { .. } => "flow",
            Method::Hybrid { .. } => "hybrid",
        }
    }

    /// Output heads of the network (2 for the hybrid).
    pub fn heads(&self) -> usize {
        if matches!(self, Method::Hybrid { .. }) {
            2
        } else {
            1
        }
    }

    /// What the sampled model predicts (the hybrid's heads are combined into a velocity).
    pub fn prediction(&self) -> Prediction {
        match self {
            Method::Diffusion { prediction, .. } => *prediction,
            Method::Flow { .. } | Method::Hybrid { .. } => Prediction::Velocity,
        }
    }

    /// The diffusion schedule, for diffusion runs.
    pub fn schedule(&self) -> Option<NoiseSchedule> {
        match self {
            Method::Diffusion {
                schedule,
                timesteps,
                ..
            } => Some(NoiseSchedule::new(*schedule, *timesteps)),
            _ => None,
        }
    }

    /// The Gaussian path the model's predictions refer to.
    pub fn path(&self) -> Arc<dyn GaussianPath> {
        match self {
            Method::Diffusion { .. } => Arc::new(DiffusionPath {
                schedule: self.schedule().unwrap(),
            }),
            Method::Flow { path, .. } | Method::Hybrid { path, .. } => Arc::from(path.build()),
        }
    }

    /// Columns of a training data row for a `dim`-dimensional model: `2·dim` when the data
    /// holds noise–data pairs ([`Coupling::Pairs`]), else `dim`.
    pub fn data_columns(&self, dim: usize) -> usize {
        match self {
            Method::Flow { coupling, .. } => coupling.data_columns(dim),
            _ => dim,
        }
    }

    pub fn objective(&self) -> Box<dyn Objective> {
        match self {
            Method::Diffusion {
                prediction,
                min_snr_gamma,
                ..
            } => Box::new(DiffusionObjective {
                schedule: self.schedule().unwrap(),
                prediction: *prediction,
                min_snr_gamma: *min_snr_gamma,
            }),
            Method::Flow {
                coupling,
                time_sampling,
                ..
            } => Box::new(FlowObjective {
                path: self.path(),
                coupling: *coupling,
                times: *time_sampling,
            }),
            Method::Hybrid { noise_weight, .. } => Box::new(HybridObjective {
                path: self.path(),
                noise_weight: *noise_weight,
            }),
        }
    }
}
