//! Training settings, saved as `config.json` in every run directory.

use crate::data::DataSpec;
use crate::method::Method;
use crate::models::MlpConfig;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub data: DataSpec,
    pub method: Method,
    pub model: MlpConfig,
    pub steps: usize,
    pub batch_size: usize,
    /// Peak learning rate of AdamW (Loshchilov & Hutter 2019).
    pub lr: f64,
    pub warmup_steps: usize,
    /// Final learning rate as a fraction of the peak (cosine decay).
    pub min_lr_ratio: f64,
    pub weight_decay: f64,
    /// Global gradient-norm clip.
    pub grad_clip: f64,
    pub ema_decay: f64,
    pub seed: u64,
    pub checkpoint_every: usize,
}

impl TrainConfig {
    /// Defaults that train a good 2-D model in about a minute on two CPU cores.
    pub fn points(data: DataSpec, method: Method, dim: usize) -> Self {
        Self {
            data,
            method,
            model: MlpConfig::new(dim),
            steps: 6000,
            batch_size: 512,
            lr: 2e-3,
            warmup_steps: 200,
            min_lr_ratio: 0.02,
            weight_decay: 1e-4,
            grad_clip: 1.0,
            ema_decay: 0.999,
            seed: 0,
            checkpoint_every: 1000,
        }
    }
}
