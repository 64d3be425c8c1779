//! What a training step regresses: a batch of inputs, their times, and the targets.

use crate::convert::Prediction;
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor, TensorData};

/// One regression batch: the network sees `(x, t)` and is trained towards `target`.
/// Shapes: `x, target: [n, d]`, `t: [n, 1]` flow times.
pub struct Regression {
    pub x: Tensor<2>,
    pub t: Tensor<2>,
    pub target: Tensor<2>,
}

/// A training objective: turns clean data into a regression batch.
pub trait Objective {
    fn batch(&self, x1: Tensor<2>, rng: &mut SeededRng) -> Regression;
    /// What the network learns to predict.
    fn prediction(&self) -> Prediction;
}

/// A `[n, 1]` column tensor from host values.
pub fn column(values: Vec<f64>, device: &Device) -> Tensor<2> {
    let n = values.len();
    let v: Vec<f32> = values.into_iter().map(|x| x as f32).collect();
    Tensor::from_data(TensorData::new(v, [n, 1]), device)
}
