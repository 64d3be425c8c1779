//! The one training loop every model shares: AdamW (Loshchilov & Hutter 2019) with warm-up +
//! cosine learning rate, gradient-norm clipping, EMA of weights, seeded and exactly resumable
//! checkpoints, a progress bar, a NaN stop and a wall-clock cap. Callers give the model and
//! a loss closure that draws its own batch; points/images ([`super::train_with_hook`]) and
//! graphs ([`crate::train::graph`]) differ only there.

use super::adamw::FusedAdamW;
use super::checkpoint::{self, TrainState};
use super::parallel::{Replicas, Shard};
use super::{
    Outcome, RunDir, TrainOptions, Trained, ema, lr, progress_bar, save_checkpoint, time_bar,
};
use crate::error::{Context, Error, Result};
use crate::rng::SeededRng;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::store::ModuleSnapshot;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The optimisation settings of a run, whatever its model and data; embedded (flattened) in
/// [`super::TrainConfig`] and [`crate::train::graph::GraphTrainConfig`], so their JSON files keep
/// these as top-level fields.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Optimization {
    pub steps: usize,
    /// Peak learning rate.
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
    /// Data-parallel replicas, each taking its share of every batch ([`super::parallel`]);
    /// part of the run's definition because dropout masks are drawn per replica.
    #[serde(default = "one_device")]
    pub devices: usize,
    /// A time budget in minutes (`--minutes`): the cosine decay then follows the fraction of
    /// this budget used rather than of `steps` (which becomes a cap), so a run on a slower or
    /// busier machine still ends with its schedule completed. Training stops when the budget is
    /// spent; the learning rates actually used are in the loss log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<f64>,
}

fn one_device() -> usize {
    1
}

/// A callback of the loop: `f(step, ema)` every `every` steps (0: never) and after the last
/// planned step.
pub struct Hook<'a, M> {
    pub every: usize,
    pub f: &'a mut dyn FnMut(usize, &M) -> Result<()>,
}

impl<'a, M> Hook<'a, M> {
    pub fn new(every: usize, f: &'a mut dyn FnMut(usize, &M) -> Result<()>) -> Self {
        Self { every, f }
    }
}

impl Optimization {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        let positive = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!("must be a positive number, got {v}"),
                ))
            }
        };
        let fraction = |field: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be in [0, 1], got {v}")))
            }
        };
        if self.steps == 0 {
            return Err(Error::invalid("steps", "must be at least 1"));
        }
        if self.devices == 0 {
            return Err(Error::invalid("devices", "must be at least 1"));
        }
        if self.checkpoint_every == 0 {
            return Err(Error::invalid("checkpoint_every", "must be at least 1"));
        }
        positive("lr", self.lr)?;
        if let Some(m) = self.minutes {
            positive("minutes", m)?;
        }
        positive("grad_clip", self.grad_clip)?;
        fraction("min_lr_ratio", self.min_lr_ratio)?;
        fraction("ema_decay", self.ema_decay)?;
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(Error::invalid(
                "weight_decay",
                format!("must be ≥ 0, got {}", self.weight_decay),
            ));
        }
        Ok(())
    }

    pub fn optimizer(&self) -> ModuleOptimizer {
        let clip = GradientClippingConfig::Norm(self.grad_clip as f32);
        FusedAdamW::new(self.weight_decay as f32).init(Some(clip))
    }
}

/// One step's loss: draws the whole batch from the generator and returns the given shard's
/// share of its loss (the whole loss for [`Shard::WHOLE`]; the shares of a batch sum to it).
pub type LossFn<'a, M> = dyn FnMut(&M, &mut SeededRng, Shard) -> Tensor<1> + 'a;

/// Steps that fit `minutes` of training, from the time of five steps (after one warm-up step)
/// of `model` (a fresh one, on the autodiff device) on this machine.
pub fn steps_for_minutes<M: Module>(
    s: &Optimization,
    device: &Device,
    mut model: M,
    loss: &mut LossFn<M>,
    minutes: f64,
) -> usize {
    let mut optim = s.optimizer();
    let mut rng = SeededRng::new(s.seed).fork("calibrate");
    let replicas = Replicas::on(device, s.devices);
    let mut timer = std::time::Instant::now();
    for k in 0..6 {
        if k == 1 {
            timer = std::time::Instant::now(); // the first step pays one-off costs
        }
        let step = replicas.step(&model, s.seed, k, &mut rng, loss);
        model = optim.step(s.lr, model, step.grads);
    }
    let per_step = timer.elapsed().as_secs_f64() / 5.0;
    ((minutes * 60.0 / per_step) as usize).max(1)
}

/// Trains the model `init` builds on the autodiff `device` (after seeding the device, so the
/// initial weights are reproducible), writing the run to `run` when given (else in memory).
/// `write_config` writes the run's config file on a fresh start. Returns the EMA model.
#[allow(clippy::too_many_arguments)]
pub fn run<M: Module + ModuleSnapshot>(
    s: &Optimization,
    run: Option<&RunDir>,
    device: &Device,
    init: &dyn Fn(&Device) -> M,
    opts: TrainOptions,
    write_config: &dyn Fn() -> Result<()>,
    loss: &mut LossFn<M>,
    hook: Hook<M>,
) -> Result<Trained<M>> {
    s.validate()?;
    device.seed(s.seed);
    let mut model = checkpoint::stable_ids(init(device));
    let mut optim = s.optimizer();
    let mut ema_model = model.valid();
    let mut rng = SeededRng::new(s.seed).fork("train");
    let mut losses = Vec::new();
    let mut start = 0;
    let budget = s.minutes.map(|m| m * 60.0);
    let mut spent_before = 0.0;
    let resume_from = match (opts.resume, run) {
        (false, _) => None,
        (true, None) => {
            return Err(Error::invalid(
                "resume",
                "needs a run directory to resume from",
            ));
        }
        // A run stopped before its first checkpoint has nothing to resume: it starts at step 0.
        (true, Some(run)) if !run.has_checkpoint()? => {
            println!(
                "{} has no checkpoint yet: training starts at step 0",
                run.0.display()
            );
            None
        }
        (true, Some(run)) => Some(run),
    };
    if let Some(run) = resume_from {
        let state = checkpoint::load_state(&run.ckpt("state.json"))?;
        spent_before = state.elapsed;
        if let Some(b) = budget.filter(|b| state.elapsed >= *b) {
            return Err(Error::invalid(
                "minutes",
                format!(
                    "the run in {} has used its {:.0}-second budget ({:.0} s trained)",
                    run.0.display(),
                    b,
                    state.elapsed
                ),
            ));
        }
        if state.step >= s.steps {
            return Err(Error::invalid(
                "steps",
                format!(
                    "the run in {} is already at step {} of {}; ask for more steps to continue it",
                    run.0.display(),
                    state.step,
                    s.steps
                ),
            ));
        }
        model = checkpoint::load_weights(model, &run.ckpt("model.safetensors"))?;
        ema_model = checkpoint::load_weights(ema_model, &run.ckpt("ema.safetensors"))?;
        optim = checkpoint::load_optimizer(optim, &run.ckpt("optimizer.bpk"))?;
        rng = SeededRng::from_state(state.rng);
        // The checkpoint's own copy of the log matches its step; runs written before the
        // checkpoint held one keep theirs beside the weights.
        let log = Some(run.ckpt("loss.csv"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| run.loss_log());
        losses = checkpoint::load_loss_log(&log)?;
        losses.retain(|r| r.0 < state.step);
        start = state.step;
    } else if let Some(run) = run {
        std::fs::create_dir_all(&run.0).with_context(|| format!("creating {}", run.0.display()))?;
        write_config()?;
    }
    let end = opts
        .stop_after
        .map_or(s.steps, |k| (start + k).min(s.steps));
    let bar = match budget {
        Some(b) => time_bar(opts.progress, b, spent_before),
        None => progress_bar(opts.progress, s.steps as u64, start as u64),
    };
    let timer = std::time::Instant::now();
    let spent = || spent_before + timer.elapsed().as_secs_f64();
    let mut last = f64::NAN;
    let mut end_step = end;
    let mut budget_spent = false;
    let replicas = Replicas::on(device, s.devices);
    for step in start..end {
        // The decay's progress: the fraction of the time budget used, else of the steps.
        let rate = match budget {
            Some(b) => {
                lr::warmup_cosine_at(step, spent() / b, s.warmup_steps, s.lr, s.min_lr_ratio)
            }
            None => lr::warmup_cosine(step, s.steps, s.warmup_steps, s.lr, s.min_lr_ratio),
        };
        // Backend randomness (dropout masks) is reseeded from (seed, step, replica), so a
        // resumed run draws exactly the masks the uninterrupted run would have.
        let grads = replicas.step(&model, s.seed, step, &mut rng, loss);
        let value = grads.loss.into_scalar::<f32>() as f64;
        if !value.is_finite() {
            bar.abandon();
            return Err(Error::Diverged { step, loss: value });
        }
        model = optim.step(rate, model, grads.grads);
        ema_model = ema::update(ema_model, &model, ema::warmed_decay(s.ema_decay, step));
        losses.push((step, value, rate));
        last = value;
        let done = step + 1;
        let now = spent();
        match budget {
            Some(_) => bar.set_position(now as u64),
            None => bar.inc(1),
        }
        if step % 10 == 0 {
            bar.set_message(format!("step {done} loss {value:.4}"));
        }
        budget_spent = budget.is_some_and(|b| now >= b);
        let out_of_time = budget_spent
            || opts
                .time_limit
                .is_some_and(|l| timer.elapsed().as_secs_f64() >= l);
        if let Some(run) =
            run.filter(|_| done % s.checkpoint_every == 0 || done == end || out_of_time)
        {
            let state = TrainState {
                step: done,
                rng: rng.state(),
                device: format!("{device:?}"),
                elapsed: now,
            };
            save_checkpoint(run, &model, &ema_model, &optim, &state, &losses)?;
        }
        if hook.every > 0 && (done % hook.every == 0 || done == s.steps || budget_spent) {
            bar.suspend(|| (hook.f)(done, &ema_model))?;
        }
        if out_of_time {
            end_step = done;
            break;
        }
    }
    bar.finish_and_clear();
    if budget_spent {
        println!(
            "the {:.0}-minute budget is spent at step {end_step} (the schedule followed the clock)",
            budget.unwrap_or_default() / 60.0
        );
    } else if end_step < end {
        println!(
            "stopped at step {end_step} of {}: the {:.0}-second limit is reached (checkpoint saved)",
            s.steps,
            opts.time_limit.unwrap_or_default()
        );
    }
    Ok(Trained {
        net: ema_model,
        outcome: Outcome {
            steps: end_step,
            steps_run: end_step - start,
            final_loss: last,
            seconds: timer.elapsed().as_secs_f64(),
            losses,
        },
    })
}
