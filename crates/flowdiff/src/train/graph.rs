//! Training a graph denoiser: the shared loop of [`crate::train::engine`] on the
//! [`GraphObjective`]. A graph run directory holds `graph.json` (this config) beside the
//! usual `loss.csv`, `model.safetensors` (EMA weights) and `checkpoint/`.

use super::checkpoint;
use super::engine::{self, Optimization};
use super::parallel::Shard;
use super::{RunDir, TrainOptions, Trained};
use crate::discrete::batch::DenseGraph;
use crate::discrete::objective::GraphObjective;
use crate::discrete::path::{DiscreteMethod, MixturePath};
use crate::discrete::prior::Prior;
use crate::discrete::sampler::GraphSampler;
use crate::error::{Context, Result, bail};
use crate::io::write_json;
use crate::models::graph::{GraphNet, GraphNetConfig};
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Everything that defines a graph training run (saved as `graph.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphTrainConfig {
    /// Data set name and directory it was read from.
    pub data: String,
    pub data_dir: PathBuf,
    pub method: DiscreteMethod,
    pub node_prior: Prior,
    pub edge_prior: Prior,
    /// `node_counts[n]`: training frequency of `n`-node graphs (the sampler draws sizes here).
    pub node_counts: Vec<f64>,
    /// Display names of the node and edge classes.
    pub node_names: Vec<String>,
    pub model: GraphNetConfig,
    /// Steps, learning rate and its schedule, clipping, EMA, seed, checkpoint period.
    #[serde(flatten)]
    pub optim: Optimization,
    pub batch_size: usize,
    /// Weight of the edge cross-entropy (DiGress: 5).
    pub edge_weight: f64,
    /// Steps the sampler takes by default (diffusion: at most `timesteps`).
    pub sample_steps: usize,
}

impl GraphTrainConfig {
    /// A small run for tests and quick checks: a 2-layer graph transformer (node width 32,
    /// edge width 16, 4 heads), batch 32, peak learning rate 3e-3, short warm-up, EMA 0.9.
    pub fn tiny(
        method: DiscreteMethod,
        node_prior: Prior,
        edge_prior: Prior,
        node_counts: Vec<f64>,
        steps: usize,
    ) -> Self {
        let model = GraphNetConfig {
            layers: 2,
            node_width: 32,
            edge_width: 16,
            heads: 4,
            ..GraphNetConfig::qm9(
                node_prior.states(),
                edge_prior.states(),
                node_prior.classes,
                edge_prior.classes,
            )
        };
        Self {
            data: "tiny".into(),
            data_dir: "unused".into(),
            method,
            node_prior,
            edge_prior,
            node_counts,
            node_names: vec![],
            model,
            optim: Optimization {
                steps,
                lr: 3e-3,
                warmup_steps: 5,
                min_lr_ratio: 0.1,
                weight_decay: 0.0,
                grad_clip: 1.0,
                ema_decay: 0.9,
                seed: 0,
                checkpoint_every: 1000,
                devices: 1,
                minutes: None,
            },
            batch_size: 32,
            edge_weight: 5.0,
            sample_steps: 20,
        }
    }

    pub fn objective(&self) -> GraphObjective {
        GraphObjective {
            path: MixturePath::new(self.method),
            node_prior: self.node_prior.clone(),
            edge_prior: self.edge_prior.clone(),
            edge_weight: self.edge_weight,
            max_nodes: self.model.max_nodes,
        }
    }

    pub fn sampler(&self) -> GraphSampler {
        GraphSampler {
            path: MixturePath::new(self.method),
            node_prior: self.node_prior.clone(),
            edge_prior: self.edge_prior.clone(),
            node_counts: self.node_counts.clone(),
            max_nodes: self.model.max_nodes,
            noise: 0.0,
            guidance: 0.0,
            distortion: Default::default(),
        }
    }
}

impl GraphTrainConfig {
    /// Checks every field against its range, naming the field; run at load and before
    /// training, so an edited `graph.json` is refused before any work.
    pub fn validate(&self) -> Result<()> {
        use crate::error::Error;
        let bad = |field: &str, reason: String| Err(Error::invalid(field, reason));
        self.optim.validate()?;
        let m = &self.model;
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        super::parallel::check_devices(self.optim.devices, self.batch_size)?;
        if let DiscreteMethod::Diffusion { timesteps } = self.method {
            if !(2..=super::config::MAX_TIMESTEPS).contains(&timesteps) {
                return bad(
                    "method.timesteps",
                    format!(
                        "must be in [2, {}], got {timesteps}",
                        super::config::MAX_TIMESTEPS
                    ),
                );
            }
        }
        let sizes = [
            ("model.node_in", m.node_in),
            ("model.edge_in", m.edge_in),
            ("model.node_out", m.node_out),
            ("model.edge_out", m.edge_out),
            ("model.max_nodes", m.max_nodes),
            ("model.node_width", m.node_width),
            ("model.edge_width", m.edge_width),
            ("model.layers", m.layers),
            ("model.heads", m.heads),
            ("model.time_dim", m.time_dim),
            ("sample_steps", self.sample_steps),
        ];
        if let Some((field, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return bad(field, "must be at least 1".into());
        }
        if m.node_width % m.heads != 0 {
            return bad(
                "model.heads",
                format!(
                    "must divide model.node_width {} (got {})",
                    m.node_width, m.heads
                ),
            );
        }
        if !(0.0..1.0).contains(&m.dropout) {
            return bad(
                "model.dropout",
                format!("must be in [0, 1), got {}", m.dropout),
            );
        }
        if !(self.edge_weight.is_finite() && self.edge_weight >= 0.0) {
            return bad(
                "edge_weight",
                format!("must be finite and ≥ 0, got {}", self.edge_weight),
            );
        }
        let weights_ok =
            |w: &[f64]| w.iter().all(|p| p.is_finite() && *p >= 0.0) && w.iter().sum::<f64>() > 0.0;
        if self.node_counts.len() > m.max_nodes + 1 || !weights_ok(&self.node_counts) {
            return bad(
                "node_counts",
                format!(
                    "must be at most {} finite, non-negative frequencies with a positive sum",
                    m.max_nodes + 1
                ),
            );
        }
        for (field, prior, states) in [
            ("node_prior", &self.node_prior, m.node_in),
            ("edge_prior", &self.edge_prior, m.edge_in),
        ] {
            if prior.states() != states || !weights_ok(&prior.probs) {
                return bad(
                    field,
                    format!(
                        "needs {states} finite, non-negative probabilities with a positive sum (the model's inputs); found {}",
                        prior.states()
                    ),
                );
            }
        }
        if self.node_names.len() > m.node_out {
            return bad(
                "node_names",
                format!(
                    "names {} classes; the model predicts {}",
                    self.node_names.len(),
                    m.node_out
                ),
            );
        }
        crate::memory::check(
            "batch_size",
            &format!("training a graph network with batch {}", self.batch_size),
            self.min_training_bytes(),
        )
    }

    /// A lower bound on a training step's memory: the edge features of every layer, kept for
    /// the backward pass, for a batch of graphs of `max_nodes` nodes, and the weights with
    /// AdamW's state.
    fn min_training_bytes(&self) -> f64 {
        let m = &self.model;
        let weights = m.layers as f64 * (m.node_width as f64).powi(2);
        let edges = self.batch_size as f64
            * (m.max_nodes as f64).powi(2)
            * m.edge_width as f64
            * m.layers as f64;
        crate::memory::floats(4.0 * weights + edges)
    }
}

/// The config file of a graph run, if `dir` is one.
pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("graph.json")
}

pub fn load_config(dir: &Path) -> Result<GraphTrainConfig> {
    let path = config_path(dir);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is not a graph run (no graph.json)", dir.display()))?;
    let cfg: GraphTrainConfig = serde_json::from_str(&text)
        .with_context(|| format!("{}: invalid run config", path.display()))?;
    cfg.validate()
        .with_context(|| format!("{}: invalid run config", path.display()))?;
    Ok(cfg)
}

/// The trained network (EMA weights) of a graph run, on `device`.
pub fn load_model(dir: &Path, device: &Device) -> Result<(GraphTrainConfig, GraphNet)> {
    let cfg = load_config(dir)?;
    let net = checkpoint::load_weights(cfg.model.init(device), &RunDir(dir.into()).weights())?;
    Ok((cfg, net))
}

/// The loss of one step on a batch drawn from `data` (a shard's share of it).
fn batch_loss<'a>(
    cfg: &GraphTrainConfig,
    data: &'a [DenseGraph],
    device: &'a Device,
) -> impl FnMut(&GraphNet, &mut SeededRng, Shard) -> Tensor<1> + 'a {
    let objective = cfg.objective();
    let size = cfg.batch_size;
    move |net, rng, shard| {
        let batch: Vec<&DenseGraph> = (0..size).map(|_| &data[rng.below(data.len())]).collect();
        objective.loss_of_rows(net, &batch, rng, shard.rows(size), device)
    }
}

/// Steps that fit in `minutes`, from the time of a few steps on `device`.
pub fn steps_for_minutes(
    cfg: &GraphTrainConfig,
    data: &[DenseGraph],
    minutes: f64,
    device: &Device,
) -> usize {
    let device = device.clone().autodiff();
    let mut loss = batch_loss(cfg, data, &device);
    engine::steps_for_minutes(
        &cfg.optim,
        &device,
        cfg.model.init(&device),
        &mut loss,
        minutes,
    )
}

/// Trains on `data` (clean training graphs), writing the run to `dir`; `hook(step, ema)` runs
/// every `every` steps (0: never) and at the end.
pub fn train(
    cfg: &GraphTrainConfig,
    data: &[DenseGraph],
    dir: &Path,
    opts: TrainOptions,
    every: usize,
    hook: &mut dyn FnMut(usize, &GraphNet) -> Result<()>,
) -> Result<Trained<GraphNet>> {
    cfg.validate()?;
    if data.is_empty() {
        bail!("no training graphs");
    }
    if let Some(g) = data.iter().find(|g| g.n() > cfg.model.max_nodes) {
        bail!(
            "a training graph has {} nodes; the model takes at most {}",
            g.n(),
            cfg.model.max_nodes
        );
    }
    let run = RunDir(dir.to_path_buf());
    let device = opts.device.clone().autodiff();
    let mut loss = batch_loss(cfg, data, &device);
    let write_config = || write_json(&config_path(dir), cfg);
    engine::run(
        &cfg.optim,
        Some(&run),
        &device,
        &|d| cfg.model.init(d),
        opts,
        &write_config,
        &mut loss,
        engine::Hook::new(every, hook),
    )
}
