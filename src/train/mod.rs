//! The training loop: AdamW with warm-up + cosine learning rate, gradient-norm clipping, EMA
//! of weights, seeded and exactly resumable, with a progress bar and a NaN stop.
//!
//! A run directory holds `config.json`, `loss.csv`, `model.safetensors` (the EMA weights,
//! used for sampling) and `checkpoint/` (`model.safetensors`, `ema.safetensors`,
//! `optimizer.bpk`, `state.json`).

pub mod checkpoint;
pub mod config;
pub mod ema;
pub mod lr;
pub mod objective;

use crate::data::PointSource;
use crate::io::write_json;
use crate::models::{NetModel, Network};
use crate::rng::SeededRng;
use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use checkpoint::TrainState;
pub use config::TrainConfig;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Paths inside a run directory.
pub struct RunDir(pub PathBuf);

impl RunDir {
    pub fn config(&self) -> PathBuf {
        self.0.join("config.json")
    }
    pub fn loss_log(&self) -> PathBuf {
        self.0.join("loss.csv")
    }
    pub fn weights(&self) -> PathBuf {
        self.0.join("model.safetensors")
    }
    pub fn ckpt(&self, name: &str) -> PathBuf {
        self.0.join("checkpoint").join(name)
    }

    pub fn load_config(&self) -> Result<TrainConfig> {
        let path = self.config();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} is not a run directory (no config.json)",
                self.0.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: invalid run config", path.display()))
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
#[derive(Clone, Copy, Debug, Default)]
pub struct TrainOptions {
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

fn optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay as f32)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(cfg.grad_clip as f32)))
        .init()
}

/// Trains the network of `cfg` on `source`, writing the run to `dir`.
pub fn train(
    cfg: &TrainConfig,
    source: &PointSource,
    dir: &Path,
    opts: TrainOptions,
) -> Result<Outcome> {
    train_with_hook(cfg, source, dir, opts, &mut |_, _| Ok(()))
}

/// One optimisation step's inputs: a batch of data (with labels for conditional networks,
/// some replaced by the null class) turned into a regression by the objective.
fn regression_loss(
    cfg: &TrainConfig,
    model: &Network,
    objective: &dyn objective::Objective,
    source: &PointSource,
    rng: &mut SeededRng,
    device: &Device,
) -> Tensor<1> {
    let d = cfg.model.dim();
    let (x1, labels) = source.sample_labeled(cfg.batch_size, rng);
    let labels = match (cfg.model.num_classes(), labels) {
        (Some(null), Some(mut l)) => {
            for v in l.iter_mut() {
                if rng.uniform() < cfg.label_dropout {
                    *v = null as i64;
                }
            }
            Some(Tensor::<1, Int>::from_data(
                TensorData::new(l, [cfg.batch_size]),
                device,
            ))
        }
        _ => None,
    };
    let x1 = crate::device::tensor2(x1, cfg.batch_size, d, device);
    let batch = objective.batch(x1, rng);
    let pred = model.forward(batch.x.clone(), batch.t.clone(), labels);
    batch.loss(pred)
}

/// Steps that fit `minutes` of training at the speed of a few timed steps on this machine.
pub fn steps_for_minutes(cfg: &TrainConfig, source: &PointSource, minutes: f64) -> usize {
    let device = crate::device::default().autodiff();
    let mut model = cfg.model.init(&device);
    let mut optim = optimizer(cfg);
    let objective = cfg.method.objective();
    let mut rng = SeededRng::new(cfg.seed).fork("calibrate");
    let mut timer = std::time::Instant::now();
    for k in 0..6 {
        if k == 1 {
            timer = std::time::Instant::now(); // the first step pays one-off costs
        }
        let loss = regression_loss(cfg, &model, objective.as_ref(), source, &mut rng, &device);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(cfg.lr, model, grads);
    }
    let per_step = timer.elapsed().as_secs_f64() / 5.0;
    ((minutes * 60.0 / per_step) as usize).max(1)
}

/// [`train`], calling `hook(step, ema)` every `cfg.sample_every` steps (e.g. to draw samples).
pub fn train_with_hook(
    cfg: &TrainConfig,
    source: &PointSource,
    dir: &Path,
    opts: TrainOptions,
    hook: &mut dyn FnMut(usize, &Network) -> Result<()>,
) -> Result<Outcome> {
    let run = RunDir(dir.to_path_buf());
    if source.dim() != cfg.model.dim() {
        bail!(
            "data has dimension {}, the model expects {}",
            source.dim(),
            cfg.model.dim()
        );
    }
    let device = crate::device::default().autodiff();
    device.seed(cfg.seed);
    let mut model: Network = checkpoint::stable_ids(cfg.model.init(&device));
    let mut optim = optimizer(cfg);
    let mut ema = model.valid();
    let mut rng = SeededRng::new(cfg.seed).fork("train");
    let mut losses = Vec::new();
    let mut start = 0;
    if opts.resume {
        let state = checkpoint::load_state(&run.ckpt("state.json"))?;
        model = checkpoint::load_weights(model, &run.ckpt("model.safetensors"))?;
        ema = checkpoint::load_weights(ema, &run.ckpt("ema.safetensors"))?;
        optim = checkpoint::load_optimizer(optim, &run.ckpt("optimizer.bpk"))?;
        rng = SeededRng::from_state(state.rng);
        losses = checkpoint::load_loss_log(&run.loss_log())?;
        losses.retain(|r| r.0 < state.step);
        start = state.step;
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_json(&run.config(), cfg)?;
    }
    let objective = cfg.method.objective();
    let end = opts
        .stop_after
        .map_or(cfg.steps, |k| (start + k).min(cfg.steps));
    let bar = progress_bar(opts.progress, cfg.steps as u64, start as u64);
    let timer = std::time::Instant::now();
    let mut last = f64::NAN;
    let mut end_step = end;
    for step in start..end {
        // Backend randomness (dropout masks) is reseeded from (seed, step), so a resumed run
        // draws exactly the masks the uninterrupted run would have.
        device.seed(cfg.seed ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let loss = regression_loss(cfg, &model, objective.as_ref(), source, &mut rng, &device);
        let value = loss.clone().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            bar.abandon();
            bail!(
                "training diverged: loss is {value} at step {step} (seed {}); lower --lr (now {}) or check the data",
                cfg.seed,
                cfg.lr
            );
        }
        let lr = lr::warmup_cosine(step, cfg.steps, cfg.warmup_steps, cfg.lr, cfg.min_lr_ratio);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        ema = ema::update(ema, &model, ema::warmed_decay(cfg.ema_decay, step));
        losses.push((step, value, lr));
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
            save_checkpoint(&run, &model, &ema, &optim, &state, &losses)?;
        }
        if cfg.sample_every > 0 && (done % cfg.sample_every == 0 || done == cfg.steps) {
            bar.suspend(|| hook(done, &ema))?;
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

/// Writes a full checkpoint (weights, EMA, optimizer, loss log, then the state) into `run`.
pub(crate) fn save_checkpoint<M: Module + burn::store::ModuleSnapshot>(
    run: &RunDir,
    model: &M,
    ema: &M,
    optim: &ModuleOptimizer,
    state: &TrainState,
    losses: &[(usize, f64, f64)],
) -> Result<()> {
    checkpoint::save_weights(model, &run.ckpt("model.safetensors"))?;
    checkpoint::save_weights(ema, &run.ckpt("ema.safetensors"))?;
    checkpoint::save_optimizer(optim, &run.ckpt("optimizer.bpk"))?;
    checkpoint::save_loss_log(losses, &run.loss_log())?;
    checkpoint::save_weights(ema, &run.weights())?;
    // The state goes last: a checkpoint counts only once all its files are in place.
    checkpoint::save_state(state, &run.ckpt("state.json"))
}

pub(crate) fn progress_bar(show: bool, len: u64, pos: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_position(pos);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} {per_sec} ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests;
