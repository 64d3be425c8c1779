//! Models (the layer above [`crate::nn`]): anything that maps a batch `x: [n, d]` at flow time `tau` to a prediction of a
//! stated kind ([`Prediction`]). Networks and the exact closed-form models used in tests sit
//! behind the same [`Model`] trait, so every sampler runs on both.

pub mod classifier;
pub mod exact;
pub mod graph;
pub mod graph_features;
pub mod mlp;
pub mod network;
pub mod unet;

use crate::convert::Prediction;
use burn::tensor::{Device, Tensor};

pub use exact::{ExactModel, GaussianMixture};
pub use mlp::{Mlp, MlpConfig};
pub use network::{Network, NetworkConfig};
pub use unet::{UNet, UNetConfig};

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
    /// autodiff, in the likelihood module).
    fn exact_velocity_divergence(
        &self,
        _x: &Tensor<2>,
        _tau: f64,
    ) -> Option<(Tensor<2>, Tensor<2>)> {
        None
    }
    /// For class-conditional models: the same model generating `labels` (one per row of
    /// the next call; the null class asks for the unconditional prediction). `None` for
    /// models without classes.
    fn with_labels(&self, _labels: Vec<i64>) -> Option<Box<dyn Model>> {
        None
    }
}
