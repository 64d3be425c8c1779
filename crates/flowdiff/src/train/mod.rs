//! The training loop: AdamW with warm-up + cosine learning rate, gradient-norm clipping, EMA
//! of weights, seeded and exactly resumable, with a progress bar and a NaN stop.
//!
//! A run directory holds `config.json`, `loss.csv`, `model.safetensors` (the EMA weights,
//! used for sampling) and `checkpoint/` (`model.safetensors`, `ema.safetensors`,
//! `optimizer.bpk`, `loss.csv`, `state.json`), swapped in whole (see [`checkpoint`]).

pub mod adamw;
pub mod checkpoint;
pub mod config;
pub mod ema;
pub mod engine;
pub mod graph;
pub mod lr;
pub mod parallel;
mod progress;

use crate::data::DataSource;
use crate::error::{Context, Error, Result, bail};
use crate::io::write_json;
use crate::models::Network;
use crate::objective::Objective;
use crate::rng::SeededRng;
use crate::sampling::NetModel;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor, TensorData};
use checkpoint::TrainState;
pub use config::{Teacher, TrainConfig};
pub use engine::Optimization;
use parallel::Shard;
pub use progress::{progress_bar, time_bar};
use std::path::{Path, PathBuf};

/// Paths inside a run directory.
pub struct RunDir(pub PathBuf);

/// What a run directory holds, from its config file: one place decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// An MLP on points (`config.json`).
    Points,
    /// A U-Net on images (`config.json`).
    Images,
    /// A graph transformer on molecules (`graph.json`).
    Graphs,
}

impl RunKind {
    pub fn name(self) -> &'static str {
        match self {
            RunKind::Points => "point",
            RunKind::Images => "image",
            RunKind::Graphs => "molecule",
        }
    }
}

impl RunDir {
    /// The kind of run in this directory, or an error naming the directory when it holds none.
    pub fn kind(&self) -> Result<RunKind> {
        if graph::config_path(&self.0).exists() {
            return Ok(RunKind::Graphs);
        }
        if !self.config().exists() {
            return Err(Error::invalid(
                "run",
                format!(
                    "{} is not a run directory (no config.json or graph.json)",
                    self.0.display()
                ),
            ));
        }
        Ok(match self.load_config()?.model {
            crate::models::NetworkConfig::Mlp(_) => RunKind::Points,
            crate::models::NetworkConfig::UNet(_) => RunKind::Images,
        })
    }

    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    pub fn loss_log(&self) -> PathBuf {
        self.0.join("loss.csv")
    }
    pub fn weights(&self) -> PathBuf {
        self.0.join("model.safetensors")
    }
    /// Whether the run holds a complete checkpoint, after repairing one a crash interrupted
    /// ([`checkpoint::recover`]).
    pub fn has_checkpoint(&self) -> Result<bool> {
        checkpoint::recover(&self.0)
    }
    pub fn ckpt(&self, name: &str) -> PathBuf {
        self.0.join("checkpoint").join(name)
    }

    pub fn load_config(&self) -> Result<TrainConfig> {
        let path = self.config();
        let text = std::fs::read_to_string(&path).with_context(|| {
            if path.exists() {
                // There, but unreadable (permissions, not UTF-8 text): name the file.
                format!("reading {}", path.display())
            } else {
                format!(
                    "{} is not a run directory (no config.json)",
                    self.0.display()
                )
            }
        })?;
        let cfg: TrainConfig = serde_json::from_str(&text)
            .with_context(|| format!("{}: invalid run config", path.display()))?;
        // The file may have been edited: a config that parses but asks for what no run can
        // do (0 timesteps, say) is refused here, naming the file, not deep in a sampler.
        cfg.validate()
            .with_context(|| format!("{}: invalid run config", path.display()))?;
        Ok(cfg)
    }

    /// The trained model (EMA weights) on `device`, ready for sampling.
    pub fn load_model(&self, device: &Device) -> Result<(TrainConfig, NetModel)> {
        let cfg = self.load_config()?;
        let net = checkpoint::load_weights(cfg.model.init(device), &self.weights())?;
        let model = NetModel::for_method(net, &cfg.method);
        Ok((cfg, model))
    }
}

/// What a finished training run reports.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Steps completed in total, and in this call.
    pub steps: usize,
    pub steps_run: usize,
    pub final_loss: f64,
    pub seconds: f64,
    pub losses: Vec<(usize, f64, f64)>,
}

/// Options of one call of [`train`].
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Where to train (the autodiff wrapper is added here); default the CPU.
    pub device: Device,
    /// Continue from the run directory's checkpoint.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Stop (with a checkpoint) after this many steps in this call, for tests of resume.
    pub stop_after: Option<usize>,
    /// Stop (with a checkpoint) once this many seconds of training have passed: the hard
    /// wall-clock cap behind `--minutes`.
    pub time_limit: Option<f64>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            device: crate::device::default(),
            resume: false,
            progress: false,
            stop_after: None,
            time_limit: None,
        }
    }
}

/// A trained network with what its training reported.
#[derive(Clone, Debug)]
pub struct Trained<M> {
    /// The EMA weights (the ones to sample with), on the training device.
    pub net: M,
    pub outcome: Outcome,
}

impl Trained<Network> {
    /// The network as a sampling model of `cfg`'s method.
    pub fn model(&self, cfg: &TrainConfig) -> NetModel {
        NetModel::for_method(self.net.clone(), &cfg.method)
    }
}

/// Trains the network of `cfg` on `source`, writing the run (config, loss log, checkpoints,
/// EMA weights) to `dir`, and returns it.
pub fn train(
    cfg: &TrainConfig,
    source: &dyn DataSource,
    dir: &Path,
    opts: TrainOptions,
) -> Result<Trained<Network>> {
    train_with_hook(cfg, source, Some(dir), opts, &mut |_, _| Ok(()))
}

/// Trains the network of `cfg` on `source` in memory (no run directory, no checkpoints) and
/// returns it.
pub fn fit(
    cfg: &TrainConfig,
    source: &dyn DataSource,
    opts: TrainOptions,
) -> Result<Trained<Network>> {
    train_with_hook(cfg, source, None, opts, &mut |_, _| Ok(()))
}

/// [`fit`] on any objective (a custom one, or a distillation objective with a closed-form
/// teacher); `cfg.method` and `cfg.teacher` are not used for the loss.
pub fn fit_objective(
    cfg: &TrainConfig,
    objective: &dyn Objective,
    source: &dyn DataSource,
    opts: TrainOptions,
) -> Result<Trained<Network>> {
    train_objective(cfg, objective, source, None, opts, &mut |_, _| Ok(()))
}

/// One optimisation step's inputs: a batch of data (with labels for conditional networks,
/// some replaced by the null class) turned into a regression by the objective; the network
/// sees the `shard`'s rows and the result is their share of the batch's loss.
fn regression_loss(
    cfg: &TrainConfig,
    model: &Network,
    objective: &dyn Objective,
    source: &dyn DataSource,
    rng: &mut SeededRng,
    shard: Shard,
    device: &Device,
) -> Tensor<1> {
    let d = source.dim();
    let (x1, labels) = source.sample_labeled(cfg.batch_size, rng);
    let labels = match (cfg.model.num_classes(), labels) {
        (Some(null), Some(mut l)) => {
            for v in l.iter_mut() {
                if rng.uniform() < cfg.label_dropout {
                    *v = null as i64;
                }
            }
            Some(l)
        }
        _ => None,
    };
    let x1 = crate::device::tensor2(x1, cfg.batch_size, d, device);
    let batch = objective.batch_labeled(x1, labels.as_deref(), rng);
    let labels =
        labels.map(|l| Tensor::<1, Int>::from_data(TensorData::new(l, [cfg.batch_size]), device));
    if shard.is_whole() {
        let pred = model.forward(batch.x.clone(), batch.t.clone(), labels);
        return batch.loss(pred);
    }
    let batch = batch.rows(shard.rows(cfg.batch_size));
    let pred = model.forward(
        batch.x.clone(),
        batch.t.clone(),
        labels.map(|l| shard.take_int(l)),
    );
    batch.loss(pred).mul_scalar(shard.fraction(cfg.batch_size))
}

/// Steps that fit `minutes` of training at the speed of a few timed steps on `device`.
pub fn steps_for_minutes(
    cfg: &TrainConfig,
    source: &dyn DataSource,
    minutes: f64,
    device: &Device,
) -> Result<usize> {
    let objective = objective_of(cfg, device)?;
    let device = device.clone().autodiff();
    let mut loss = |m: &Network, rng: &mut SeededRng, shard| {
        regression_loss(cfg, m, objective.as_ref(), source, rng, shard, &device)
    };
    Ok(engine::steps_for_minutes(
        &cfg.optim,
        &device,
        cfg.model.init(&device),
        &mut loss,
        minutes,
    ))
}

/// [`train`] into `dir` (or in memory without one), calling `hook(step, ema)` every
/// `cfg.sample_every` steps (e.g. to draw samples).
pub fn train_with_hook(
    cfg: &TrainConfig,
    source: &dyn DataSource,
    dir: Option<&Path>,
    opts: TrainOptions,
    hook: &mut dyn FnMut(usize, &Network) -> Result<()>,
) -> Result<Trained<Network>> {
    let objective = objective_of(cfg, &opts.device)?;
    train_objective(cfg, objective.as_ref(), source, dir, opts, hook)
}

fn train_objective(
    cfg: &TrainConfig,
    objective: &dyn Objective,
    source: &dyn DataSource,
    dir: Option<&Path>,
    opts: TrainOptions,
    hook: &mut dyn FnMut(usize, &Network) -> Result<()>,
) -> Result<Trained<Network>> {
    let run = dir.map(|d| RunDir(d.to_path_buf()));
    let columns = cfg.method.data_columns(cfg.model.dim());
    if source.dim() != columns {
        bail!(
            "data has dimension {}, the model expects {columns}",
            source.dim()
        );
    }
    cfg.validate()?;
    crate::memory::check(
        "model",
        &format!(
            "training a network of at least {:.3e} parameters",
            cfg.model.min_parameters()
        ),
        cfg.model.min_training_bytes(0),
    )?;
    crate::memory::check(
        "batch_size",
        &format!("training with batch {}", cfg.batch_size),
        cfg.model.min_training_bytes(cfg.batch_size),
    )?;
    let device = opts.device.clone().autodiff();
    let start = match &cfg.init_weights {
        Some(path) => Some(
            checkpoint::load_weights(cfg.model.init(&device), path)
                .with_context(|| "init_weights: the starting weights do not fit the model")?,
        ),
        None => None,
    };
    let mut loss = |m: &Network, rng: &mut SeededRng, shard| {
        regression_loss(cfg, m, objective, source, rng, shard, &device)
    };
    let write_config = || match &run {
        Some(run) => write_json(&run.config(), cfg),
        None => Ok(()),
    };
    engine::run(
        &cfg.optim,
        run.as_ref(),
        &device,
        &|d| start.clone().unwrap_or_else(|| cfg.model.init(d)),
        opts,
        &write_config,
        &mut loss,
        engine::Hook::new(cfg.sample_every, hook),
    )
}

/// What the steps regress: the method's objective, or progressive distillation of the
/// config's teacher (loaded onto `device`, without autodiff).
fn objective_of(cfg: &TrainConfig, device: &Device) -> Result<Box<dyn Objective>> {
    let Some(teacher) = &cfg.teacher else {
        return Ok(cfg.method.objective());
    };
    let run = RunDir(teacher.run.clone());
    let (tcfg, mut model) = run
        .load_model(device)
        .with_context(|| format!("teacher: loading {}", teacher.run.display()))?;
    if tcfg.model.dim() != cfg.model.dim() || tcfg.model.num_classes() != cfg.model.num_classes() {
        bail!(
            "teacher: {} is not a model of the student's {} dimensions and {} classes",
            teacher.run.display(),
            cfg.model.dim(),
            cfg.model.num_classes().unwrap_or(0)
        );
    }
    model.guidance = teacher.guidance;
    Ok(Box::new(crate::flow::progressive::ProgressiveObjective {
        teacher: Box::new(model),
        path: tcfg.method.path(),
        teacher_steps: teacher.steps,
    }))
}

/// Updates the run's sampling weights and loss log, then writes a full checkpoint (weights,
/// EMA, optimizer, loss log, then the state) into the staging directory and swaps it in.
pub(crate) fn save_checkpoint<M: Module + burn::store::ModuleSnapshot>(
    run: &RunDir,
    model: &M,
    ema: &M,
    optim: &ModuleOptimizer,
    state: &TrainState,
    losses: &[(usize, f64, f64)],
) -> Result<()> {
    // The run's results (sampling weights, loss curve) go first: once a checkpoint is
    // committed they are at least as new as it, so a run killed after its last commit
    // still holds its final results.
    checkpoint::save_loss_log(losses, &run.loss_log())?;
    checkpoint::save_weights(ema, &run.weights())?;
    let dir = checkpoint::begin(&run.0)?;
    checkpoint::save_weights(model, &dir.join("model.safetensors"))?;
    checkpoint::save_weights(ema, &dir.join("ema.safetensors"))?;
    checkpoint::save_optimizer(optim, &dir.join("optimizer.bpk"))?;
    checkpoint::save_loss_log(losses, &dir.join("loss.csv"))?;
    // The state goes last: a checkpoint counts only once all its files are in place.
    checkpoint::save_state(state, &dir.join("state.json"))?;
    checkpoint::commit(&run.0)
}

#[cfg(test)]
mod tests;
