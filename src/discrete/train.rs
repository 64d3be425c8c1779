//! Training a graph denoiser: the foundation's loop (AdamW, warm-up + cosine learning rate,
//! gradient clipping, EMA, seeded, exactly resumable checkpoints, progress bar, NaN stop) on
//! the [`GraphObjective`]. A graph run directory holds `graph.json` (this config) beside the
//! usual `loss.csv`, `model.safetensors` (EMA weights) and `checkpoint/`.

use super::batch::DenseGraph;
use super::objective::GraphObjective;
use super::path::{DiscreteMethod, MixturePath};
use super::prior::Prior;
use super::sampler::GraphSampler;
use crate::io::write_json;
use crate::models::graph::{GraphNet, GraphNetConfig};
use crate::rng::SeededRng;
use crate::train::checkpoint::{self, TrainState};
use crate::train::{Outcome, RunDir, TrainOptions, ema, lr, progress_bar, save_checkpoint};
use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
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
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub warmup_steps: usize,
    pub min_lr_ratio: f64,
    pub weight_decay: f64,
    pub grad_clip: f64,
    pub ema_decay: f64,
    /// Weight of the edge cross-entropy (DiGress: 5).
    pub edge_weight: f64,
    pub seed: u64,
    pub checkpoint_every: usize,
    /// Steps the sampler takes by default (diffusion: at most `timesteps`).
    pub sample_steps: usize,
}

impl GraphTrainConfig {
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
        }
    }

    fn optimizer(&self) -> ModuleOptimizer {
        AdamWConfig::new()
            .with_weight_decay(self.weight_decay as f32)
            .with_grad_clipping(Some(GradientClippingConfig::Norm(self.grad_clip as f32)))
            .init()
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
    serde_json::from_str(&text).with_context(|| format!("{}: invalid run config", path.display()))
}

/// The trained network (EMA weights) of a graph run, on `device`.
pub fn load_model(dir: &Path, device: &Device) -> Result<(GraphTrainConfig, GraphNet)> {
    let cfg = load_config(dir)?;
    let net = checkpoint::load_weights(cfg.model.init(device), &RunDir(dir.into()).weights())?;
    Ok((cfg, net))
}

/// Steps that fit in `minutes`, from the time of a few steps on this machine.
pub fn steps_for_minutes(cfg: &GraphTrainConfig, data: &[DenseGraph], minutes: f64) -> usize {
    let device = crate::device::default().autodiff();
    let mut model = cfg.model.init(&device);
    let mut optim = cfg.optimizer();
    let objective = cfg.objective();
    let mut rng = SeededRng::new(cfg.seed).fork("calibrate");
    let mut timer = std::time::Instant::now();
    for k in 0..6 {
        if k == 1 {
            timer = std::time::Instant::now(); // the first step pays one-off costs
        }
        let batch = draw_batch(data, cfg.batch_size, &mut rng);
        let loss = objective.loss(&model, &batch, &mut rng, &device);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(cfg.lr, model, grads);
    }
    let per_step = timer.elapsed().as_secs_f64() / 5.0;
    ((minutes * 60.0 / per_step) as usize).max(1)
}

fn draw_batch<'a>(data: &'a [DenseGraph], size: usize, rng: &mut SeededRng) -> Vec<&'a DenseGraph> {
    (0..size).map(|_| &data[rng.below(data.len())]).collect()
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
) -> Result<Outcome> {
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
    let device = crate::device::default().autodiff();
    device.seed(cfg.seed);
    let mut model = checkpoint::stable_ids(cfg.model.init(&device));
    let mut optim = cfg.optimizer();
    let mut ema_model = model.valid();
    let mut rng = SeededRng::new(cfg.seed).fork("train");
    let mut losses = Vec::new();
    let mut start = 0;
    if opts.resume {
        let state = checkpoint::load_state(&run.ckpt("state.json"))?;
        model = checkpoint::load_weights(model, &run.ckpt("model.safetensors"))?;
        ema_model = checkpoint::load_weights(ema_model, &run.ckpt("ema.safetensors"))?;
        optim = checkpoint::load_optimizer(optim, &run.ckpt("optimizer.bpk"))?;
        rng = SeededRng::from_state(state.rng);
        losses = checkpoint::load_loss_log(&run.loss_log())?;
        losses.retain(|r| r.0 < state.step);
        start = state.step;
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_json(&config_path(dir), cfg)?;
    }
    let objective = cfg.objective();
    let end = opts
        .stop_after
        .map_or(cfg.steps, |k| (start + k).min(cfg.steps));
    let bar = progress_bar(opts.progress, cfg.steps as u64, start as u64);
    let timer = std::time::Instant::now();
    let mut last = f64::NAN;
    let mut end_step = end;
    for step in start..end {
        device.seed(cfg.seed ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let batch = draw_batch(data, cfg.batch_size, &mut rng);
        let loss = objective.loss(&model, &batch, &mut rng, &device);
        let value = loss.clone().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            bar.abandon();
            bail!(
                "training diverged: loss is {value} at step {step} (seed {}); lower --lr (now {})",
                cfg.seed,
                cfg.lr
            );
        }
        let rate = lr::warmup_cosine(step, cfg.steps, cfg.warmup_steps, cfg.lr, cfg.min_lr_ratio);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(rate, model, grads);
        ema_model = ema::update(ema_model, &model, ema::warmed_decay(cfg.ema_decay, step));
        losses.push((step, value, rate));
        last = value;
        bar.inc(1);
        if step % 10 == 0 {
            bar.set_message(format!("loss {value:.4}"));
        }
        let done = step + 1;
        let out_of_time = opts
            .time_limit
            .is_some_and(|l| timer.elapsed().as_secs_f64() >= l);
        if done % cfg.checkpoint_every == 0 || done == end || out_of_time {
            let state = TrainState {
                step: done,
                rng: rng.state(),
            };
            save_checkpoint(&run, &model, &ema_model, &optim, &state, &losses)?;
        }
        if every > 0 && (done % every == 0 || done == cfg.steps) {
            bar.suspend(|| hook(done, &ema_model))?;
        }
        if out_of_time {
            end_step = done;
            break;
        }
    }
    bar.finish_and_clear();
    if end_step < end {
        println!(
            "stopped at step {end_step} of {}: the {:.0}-second limit is reached (checkpoint saved)",
            cfg.steps,
            opts.time_limit.unwrap_or_default()
        );
    }
    Ok(Outcome {
        steps: end_step,
        steps_run: end_step - start,
        final_loss: last,
        seconds: timer.elapsed().as_secs_f64(),
        losses,
    })
}
