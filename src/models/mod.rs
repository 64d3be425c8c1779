//! Models: anything that maps a batch `x: [n, d]` at flow time `tau` to a prediction of a
//! stated kind ([`Prediction`]). Networks and the exact closed-form models used in tests sit
//! behind the same [`Model`] trait, so every sampler runs on both.

pub mod embedding;
pub mod exact;
pub mod mlp;

use crate::convert::Prediction;
use burn::tensor::{Device, Tensor};

pub use exact::{ExactModel, GaussianMixture};
pub use mlp::{Mlp, MlpConfig};

/// A model of a Gaussian-path generative process, evaluated at one shared time.
pub trait Model {
    /// Data dimension `d`.
    fn dim(&self) -> usize;
    /// What [`Model::predict`] returns.
    fn prediction(&self) -> Prediction;
    /// `x: [n, d]` at flow time `tau` (0 = noise, 1 = data) → prediction `[n, d]`.
    fn predict(&self, x: Tensor<2>, tau: f64) -> Tensor<2>;
    /// The device the model computes on.
    fn device(&self) -> Device;
    /// For closed-form models: the velocity `[n, d]` and its exact divergence `[n, 1]` at
    /// `tau` on the model's own path. Networks return `None` (their divergence comes from
    /// autodiff, see [`crate::likelihood`]).
    fn exact_velocity_divergence(
        &self,
        _x: &Tensor<2>,
        _tau: f64,
    ) -> Option<(Tensor<2>, Tensor<2>)> {
        None
    }
}

/// A trained network together with what it predicts.
#[derive(Clone, Debug)]
pub struct NetModel {
    pub net: Mlp,
    pub prediction: Prediction,
}

impl Model for NetModel {
    fn dim(&self) -> usize {
        self.net.dim()
    }
    fn prediction(&self) -> Prediction {
        self.prediction
    }
    fn predict(&self, x: Tensor<2>, tau: f64) -> Tensor<2> {
        let n = x.dims()[0];
        let t = Tensor::full([n, 1], tau as f32, &x.device());
        self.net.forward(x, t)
    }
    fn device(&self) -> Device {
        self.net.devices()[0].clone()
    }
}

use burn::module::Module as _;
