//! The QM9 training recipe: DiGress's settings (Vignac et al. 2023: marginal prior, cosine
//! schedule, T = 500) for discrete diffusion, the mask prior for discrete flow matching, and
//! the graph transformer sized for QM9.

use super::{MAX_ATOMS, marginals};
use crate::discrete::{DenseGraph, DiscreteMethod, Prior, PriorKind};
use crate::error::{Error, Result};
use crate::models::graph::GraphNetConfig;
use crate::train::engine::Optimization;
use crate::train::graph::GraphTrainConfig;
use std::path::Path;

/// The choices a user makes for a QM9 run; `None` takes the recipe's default.
#[derive(Clone, Debug)]
pub struct Qm9Recipe {
    pub method: DiscreteMethod,
    /// Default: marginal for diffusion, mask for flow.
    pub prior: Option<PriorKind>,
    /// Default 20,000.
    pub steps: Option<usize>,
    /// Default 0.
    pub seed: Option<u64>,
    /// Default 256.
    pub batch_size: Option<usize>,
    /// Default 1e-3.
    pub lr: Option<f64>,
    /// Graph transformer node width (a multiple of its attention heads) and layers.
    pub width: Option<usize>,
    pub depth: Option<usize>,
}

/// The config of a QM9 run on the training graphs `train` read from `data_dir`.
pub fn qm9_config(
    r: &Qm9Recipe,
    train: &[DenseGraph],
    data_dir: &Path,
) -> Result<GraphTrainConfig> {
    let method = r.method;
    if let DiscreteMethod::Diffusion { timesteps } = method {
        if timesteps < 2 {
            return Err(Error::invalid(
                "timesteps",
                format!("must be at least 2, got {timesteps}"),
            ));
        }
    }
    let prior = r.prior.unwrap_or(match method {
        DiscreteMethod::Diffusion { .. } => PriorKind::Marginal,
        DiscreteMethod::Flow => PriorKind::Mask,
    });
    let (nodes, edges, counts) = marginals(train, MAX_ATOMS);
    let node_prior = Prior::new(prior, &nodes);
    let edge_prior = Prior::new(prior, &edges);
    let mut model = GraphNetConfig::qm9(
        node_prior.states(),
        edge_prior.states(),
        node_prior.classes,
        edge_prior.classes,
    );
    model.node_width = r.width.unwrap_or(model.node_width);
    model.layers = r.depth.unwrap_or(model.layers);
    if model.node_width == 0 || !model.node_width.is_multiple_of(model.heads) {
        return Err(Error::invalid(
            "width",
            format!(
                "must be a positive multiple of {} (the attention heads)",
                model.heads
            ),
        ));
    }
    if model.layers == 0 {
        return Err(Error::invalid("depth", "must be at least 1"));
    }
    let cfg = GraphTrainConfig {
        data: "qm9".into(),
        data_dir: data_dir.to_path_buf(),
        method,
        node_prior,
        edge_prior,
        node_counts: counts,
        node_names: crate::chem::ATOM_CLASSES
            .iter()
            .map(|a| a.label())
            .collect(),
        model,
        optim: Optimization {
            steps: r.steps.unwrap_or(20_000),
            lr: r.lr.unwrap_or(1e-3),
            warmup_steps: 200,
            min_lr_ratio: 0.05,
            weight_decay: 1e-5,
            grad_clip: 1.0,
            ema_decay: 0.999,
            seed: r.seed.unwrap_or(0),
            checkpoint_every: 500,
            devices: 1,
            minutes: None,
        },
        batch_size: r.batch_size.unwrap_or(256),
        edge_weight: 5.0,
        sample_steps: match method {
            DiscreteMethod::Diffusion { timesteps } => timesteps,
            DiscreteMethod::Flow => 500,
        },
    };
    cfg.optim.validate()?;
    if cfg.batch_size == 0 {
        return Err(Error::invalid("batch_size", "must be at least 1"));
    }
    Ok(cfg)
}
