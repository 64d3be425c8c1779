//! Training settings, saved as `config.json` in every run directory.

use super::Optimization;
use crate::data::DataSpec;
use crate::error::{Error, Result};
use crate::method::Method;
use crate::models::{MlpConfig, NetworkConfig, UNetConfig};
use serde::{Deserialize, Serialize};

/// The most diffusion timesteps a config may ask for (DDPM uses 1000; the schedule holds a
/// few `f64` per step).
pub const MAX_TIMESTEPS: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub data: DataSpec,
    pub method: Method,
    pub model: NetworkConfig,
    /// Steps, AdamW (Loshchilov & Hutter 2019) learning rate and its warm-up + cosine decay,
    /// weight decay, clipping, EMA, seed, checkpoint period.
    #[serde(flatten)]
    pub optim: Optimization,
    pub batch_size: usize,
    /// Probability of replacing a label by the null class (classifier-free guidance training,
    /// Ho & Salimans 2022 use 0.1–0.2).
    pub label_dropout: f64,
    /// Write a grid of samples every this many steps (images; 0 = never).
    pub sample_every: usize,
    /// Start from these weights instead of a random initialisation (a reflow student starts
    /// from its teacher's, as Liu et al. 2022 do); not read at resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_weights: Option<std::path::PathBuf>,
    /// Train by progressive distillation of this teacher instead of on the method's own
    /// objective ([`crate::flow::progressive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<Teacher>,
}

/// The teacher of a progressive-distillation student: a run (points or images) and the
/// Euler steps it samples with; the student learns to sample with half as many.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Teacher {
    pub run: std::path::PathBuf,
    pub steps: usize,
    /// For a class-conditional teacher: the classifier-free guidance weight of the field the
    /// student learns (Meng et al. 2023 distil the guided teacher; the student then samples
    /// with guidance 0). Rows whose label was dropped learn the unconditional field.
    #[serde(default)]
    pub guidance: f64,
}

impl TrainConfig {
    /// Defaults that train a good 2-D model in about a minute on two CPU cores.
    pub fn points(data: DataSpec, method: Method, dim: usize) -> Self {
        let heads = method.heads();
        Self {
            data,
            method,
            model: NetworkConfig::Mlp(MlpConfig {
                outputs: dim * heads,
                ..MlpConfig::new(dim)
            }),
            optim: Optimization {
                steps: 6000,
                lr: 2e-3,
                warmup_steps: 200,
                min_lr_ratio: 0.02,
                weight_decay: 1e-4,
                grad_clip: 1.0,
                ema_decay: 0.999,
                seed: 0,
                checkpoint_every: 1000,
                devices: 1,
                minutes: None,
            },
            batch_size: 512,
            label_dropout: 0.0,
            sample_every: 0,
            init_weights: None,
            teacher: None,
        }
    }

    /// Defaults for MNIST with the default U-Net (class-conditional when `conditional`).
    pub fn images(data: DataSpec, method: Method, conditional: bool) -> Self {
        Self::images_with(data, method, UNetConfig::mnist(conditional.then_some(10)))
    }

    /// Image defaults (batch 64, AdamW at 1e-3, EMA 0.995) with the U-Net `unet` (its heads set
    /// for the method), e.g. [`UNetConfig::for_images`] of the data's shape.
    pub fn images_with(data: DataSpec, method: Method, unet: UNetConfig) -> Self {
        let heads = method.heads();
        let conditional = unet.num_classes.is_some();
        Self {
            data,
            method,
            model: NetworkConfig::UNet(UNetConfig { heads, ..unet }),
            optim: Optimization {
                steps: 2000,
                lr: 1e-3,
                warmup_steps: 100,
                min_lr_ratio: 0.05,
                weight_decay: 0.0,
                grad_clip: 1.0,
                ema_decay: 0.995,
                seed: 0,
                checkpoint_every: 200,
                devices: 1,
                minutes: None,
            },
            batch_size: 64,
            label_dropout: if conditional { 0.1 } else { 0.0 },
            sample_every: 500,
            init_weights: None,
            teacher: None,
        }
    }

    /// Checks every field's range (also at resume, where the file may have been edited).
    pub fn validate(&self) -> Result<()> {
        self.optim.validate()?;
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        super::parallel::check_devices(self.optim.devices, self.batch_size)?;
        if !(0.0..=1.0).contains(&self.label_dropout) {
            return Err(Error::invalid(
                "label_dropout",
                format!("must be in [0, 1], got {}", self.label_dropout),
            ));
        }
        match &self.method {
            Method::Diffusion { timesteps, .. } if !(2..=MAX_TIMESTEPS).contains(timesteps) => {
                return Err(Error::invalid(
                    "timesteps",
                    format!("must be in [2, {MAX_TIMESTEPS}], got {timesteps}"),
                ));
            }
            Method::Diffusion {
                min_snr_gamma: Some(g),
                ..
            } if !(g.is_finite() && *g > 0.0) => {
                return Err(Error::invalid(
                    "min_snr_gamma",
                    format!("must be finite and positive, got {g}"),
                ));
            }
            Method::Hybrid { noise_weight, .. } if !(0.0..=1.0).contains(noise_weight) => {
                return Err(Error::invalid(
                    "noise_weight",
                    format!("must be in [0, 1], got {noise_weight}"),
                ));
            }
            _ => {}
        }
        if let Some(t) = &self.teacher {
            if t.steps < 2 || t.steps % 2 != 0 {
                return Err(Error::invalid(
                    "teacher.steps",
                    format!("must be even and at least 2, got {}", t.steps),
                ));
            }
            if self.method.prediction() != crate::convert::Prediction::Velocity
                || self.method.heads() != 1
            {
                return Err(Error::invalid(
                    "teacher",
                    "a progressive student is a one-head velocity field (method flow)",
                ));
            }
        }
        if let NetworkConfig::UNet(u) = &self.model {
            let halvings = u.mults.len().saturating_sub(1);
            if u.mults.is_empty() || u.base == 0 || u.groups == 0 {
                return Err(Error::invalid(
                    "model",
                    "a U-Net needs at least one level and positive base channels and groups",
                ));
            }
            if u.height % (1 << halvings) != 0 || u.width % (1 << halvings) != 0 {
                return Err(Error::invalid(
                    "model",
                    format!(
                        "{}×{} pictures cannot be halved {halvings} times by the U-Net's levels; choose an --image-size divisible by {}",
                        u.height,
                        u.width,
                        1 << halvings
                    ),
                ));
            }
            if let Some(c) = u
                .mults
                .iter()
                .map(|m| m * u.base)
                .find(|c| c % u.groups != 0)
            {
                return Err(Error::invalid(
                    "model",
                    format!("{c} channels do not split into {} groups", u.groups),
                ));
            }
        }
        if let NetworkConfig::Mlp(m) = &self.model {
            if m.dim == 0 || m.width == 0 || m.depth == 0 {
                return Err(Error::invalid(
                    "model",
                    format!(
                        "dim, width and depth must be at least 1 (got {}, {}, {})",
                        m.dim, m.width, m.depth
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The MLP's settings, for point runs.
    pub fn mlp_mut(&mut self) -> Option<&mut MlpConfig> {
        match &mut self.model {
            NetworkConfig::Mlp(m) => Some(m),
            NetworkConfig::UNet(_) => None,
        }
    }
}
