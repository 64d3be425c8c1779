//! What a training step regresses: a batch of inputs, their times, and the targets.

use crate::convert::Prediction;
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor, TensorData};

/// One regression batch: the network sees `(x, t)` and is trained towards `target`.
/// Shapes: `x: [n, d]`, `t: [n, 1]` flow times, `target: [n, heads·d]` — one block of `d`
/// columns per output head, weighted by `head_weights` in the loss; `row_weights: [n, 1]`,
/// when set, weighs each row's squared error (e.g. min-SNR-γ, Hang et al. 2023).
pub struct Regression {
    pub x: Tensor<2>,
    pub t: Tensor<2>,
    pub target: Tensor<2>,
    pub head_weights: Vec<f64>,
    pub row_weights: Option<Tensor<2>>,
}

impl Regression {
    /// A single-head regression.
    pub fn single(x: Tensor<2>, t: Tensor<2>, target: Tensor<2>) -> Self {
        Self {
            x,
            t,
            target,
            head_weights: vec![1.0],
            row_weights: None,
        }
    }

    /// The batch with each row's squared error weighted by `weights` (`[n, 1]`).
    pub fn weighted(self, weights: Tensor<2>) -> Self {
        Self {
            row_weights: Some(weights),
            ..self
        }
    }

    /// Rows `rows` of the batch (one data-parallel replica's share).
    pub fn rows(self, rows: std::ops::Range<usize>) -> Self {
        let (start, len) = (rows.start, rows.len());
        Self {
            x: self.x.narrow(0, start, len),
            t: self.t.narrow(0, start, len),
            target: self.target.narrow(0, start, len),
            head_weights: self.head_weights,
            row_weights: self.row_weights.map(|w| w.narrow(0, start, len)),
        }
    }

    /// `Σ_k w_k · mean(r ⊙ (pred_k − target_k)²)` over the heads, `r` the row weights
    /// (1 when unset).
    pub fn loss(&self, pred: Tensor<2>) -> Tensor<1> {
        let [n, d] = self.x.dims();
        let mut diff = pred.sub(self.target.clone()).square();
        if let Some(w) = &self.row_weights {
            diff = diff.mul(w.clone());
        }
        if self.head_weights.len() == 1 {
            return diff.mean();
        }
        let mut total: Option<Tensor<1>> = None;
        for (k, w) in self.head_weights.iter().enumerate() {
            let term = diff
                .clone()
                .slice([0..n, k * d..(k + 1) * d])
                .mean()
                .mul_scalar(*w);
            total = Some(match total {
                Some(t) => t.add(term),
                None => term,
            });
        }
        total.expect("at least one head")
    }
}

/// A training objective: turns clean data into a regression batch.
pub trait Objective {
    fn batch(&self, x1: Tensor<2>, rng: &mut SeededRng) -> Regression;
    /// [`Objective::batch`] for a class-conditional network, given each row's label (the
    /// null class where it was dropped); objectives whose targets do not depend on the label
    /// ignore it.
    fn batch_labeled(
        &self,
        x1: Tensor<2>,
        _labels: Option<&[i64]>,
        rng: &mut SeededRng,
    ) -> Regression {
        self.batch(x1, rng)
    }
    /// What the network learns to predict.
    fn prediction(&self) -> Prediction;
}

/// A `[n, 1]` column tensor from host values.
pub fn column(values: Vec<f64>, device: &Device) -> Tensor<2> {
    let n = values.len();
    let v: Vec<f32> = values.into_iter().map(|x| x as f32).collect();
    Tensor::from_data(TensorData::new(v, [n, 1]), device)
}
