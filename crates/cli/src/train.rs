use crate::method_flags::{MethodFlags, do_not_apply, method_from};
pub(crate) use crate::train_common::{length, minutes_budget, print_done};
use anyhow::{Result, bail};
use flowdiff::data::DataSource;
use flowdiff::data::DataSpec;
use flowdiff::train::{
    RunDir, RunKind, TrainConfig, TrainOptions, steps_for_minutes, train_with_hook,
};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub(crate) dev: crate::device_arg::DeviceArg,
    /// Training data: mnist, images (the pictures in --data-dir), a built-in 2-D set (moons,
    /// eight-gaussians, ...) or a .npy/.csv of points.
    #[arg(long, required_unless_present = "resume")]
    pub(crate) data: Option<String>,
    /// Directory of the MNIST IDX files (default data/mnist), or of the pictures for --data
    /// images: one sub-folder per class (labels in name order) or a flat folder.
    #[arg(long)]
    pub(crate) data_dir: Option<PathBuf>,
    /// Images: resize the shorter side to S and crop the centre S×S (needed when the pictures
    /// differ in size).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub(crate) image_size: Option<u64>,
    /// Images: mirror training pictures left–right at random.
    #[arg(long)]
    pub(crate) flip: bool,
    /// Images: the U-Net, `cpu` (a few million parameters, the default) or `ddpm` (Ho et al.
    /// 2020's CIFAR-10 network, for a GPU).
    #[arg(long)]
    pub(crate) unet: Option<crate::train_images::UNetPreset>,
    /// Class-conditional training (labelled data) with label dropout for classifier-free guidance.
    #[arg(long)]
    pub(crate) conditional: bool,
    /// Train for about this many minutes (sets --steps from a short timing run).
    #[arg(long)]
    pub(crate) minutes: Option<f64>,
    /// diffusion, flow, or hybrid (noise and velocity heads on one trunk, VP path); default
    /// flow.
    #[arg(long)]
    pub(crate) method: Option<String>,
    #[arg(long)]
    pub(crate) steps: Option<usize>,
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Data-parallel replicas on the device: each takes its share of every batch and their
    /// gradients are summed before one update (the run is the single-device run up to float
    /// rounding; docs/scaling.md). Fixed for the run.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) devices: Option<u64>,
    #[arg(long)]
    pub(crate) batch_size: Option<usize>,
    #[arg(long)]
    pub(crate) lr: Option<f64>,
    /// Hidden width and depth of the MLP (molecules: the graph transformer's node width and
    /// layers).
    #[arg(long)]
    pub(crate) width: Option<usize>,
    #[arg(long)]
    pub(crate) depth: Option<usize>,
    /// Diffusion: noise schedule (linear, cosine, sigmoid; default linear, cosine for pictures).
    #[arg(long)]
    pub(crate) schedule: Option<String>,
    /// Diffusion: number of timesteps T (default 1000; 500 for molecules, as DiGress).
    #[arg(long)]
    pub(crate) timesteps: Option<usize>,
    /// Molecules: the prior of the discrete path (marginal, uniform, mask; default marginal
    /// for diffusion, mask for flow).
    #[arg(long)]
    pub(crate) prior: Option<String>,
    /// Diffusion: what the network predicts (eps, v, x0; default eps, v for pictures).
    #[arg(long)]
    pub(crate) prediction: Option<String>,
    /// Flow and hybrid: probability path (cond-ot, vp; default cond-ot for flow, vp for the
    /// hybrid, whose noise head needs it).
    #[arg(long)]
    pub(crate) path: Option<String>,
    /// Flow: noise–data coupling (independent, ot; default independent).
    #[arg(long)]
    pub(crate) coupling: Option<String>,
    /// Flow: how training draws the time tau — uniform (default for points), logit-normal
    /// (Esser et al. 2024: sigmoid of N(0, 1), more weight mid-path; default for pictures) or
    /// logit-normal:MEAN,STD.
    #[arg(long)]
    pub(crate) time_sampling: Option<String>,
    /// Diffusion: weight each step's loss by min-SNR-γ (Hang et al. 2023; γ = 5 in the paper)
    /// instead of weighting every step alike.
    #[arg(long, value_name = "GAMMA")]
    pub(crate) min_snr_gamma: Option<f64>,
    /// Write a checkpoint (and the sampling weights) every this many steps; a run can be
    /// resumed from its last checkpoint. May change at --resume.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) checkpoint_every: Option<u64>,
    /// Pictures: draw a sample grid into OUT/samples/ every this many steps and after the
    /// last (0: never; default 500 for pictures). May change at --resume.
    #[arg(long)]
    pub(crate) sample_every: Option<u64>,
    /// Run directory to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub(crate) resume: bool,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// Refuses `--width`/`--depth` (the MLP's size) for data trained with a U-Net, saying `why`.
pub(crate) fn refuse_mlp_flags(a: &Args, why: &str) -> Result<()> {
    let wrong: Vec<&str> = [("--width", a.width), ("--depth", a.depth)]
        .into_iter()
        .filter_map(|(flag, v)| v.map(|_| flag))
        .collect();
    if !wrong.is_empty() {
        bail!("{} to {why}", do_not_apply(&wrong));
    }
    Ok(())
}

/// Refuses the flags of other kinds of run that a new molecule run would not use
/// (`--timesteps` only with `--method diffusion`).
fn refuse_for_molecules(a: &Args) -> Result<()> {
    let wrong: Vec<&str> = [
        ("--conditional", a.conditional),
        ("--sample-every", a.sample_every.is_some()),
        ("--schedule", a.schedule.is_some()),
        ("--prediction", a.prediction.is_some()),
        ("--path", a.path.is_some()),
        ("--coupling", a.coupling.is_some()),
        ("--time-sampling", a.time_sampling.is_some()),
        ("--min-snr-gamma", a.min_snr_gamma.is_some()),
        (
            "--timesteps",
            a.timesteps.is_some() && a.method.as_deref() != Some("diffusion"),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if !wrong.is_empty() {
        bail!("{} to molecules (--data qm9)", do_not_apply(&wrong));
    }
    Ok(())
}

pub fn run(a: Args) -> Result<()> {
    let graph_run = a.resume && RunDir(a.out.clone()).kind().ok() == Some(RunKind::Graphs);
    if a.resume {
        if graph_run {
            let config = flowdiff::train::graph::config_path(&a.out);
            let cfg = flowdiff::train::graph::load_config(&a.out)?;
            super::resume::check_graph_run(&a, &cfg, &config)?;
        } else {
            let run = RunDir(a.out.clone());
            super::resume::check_run(&a, &run.load_config()?, &run.config())?;
        }
    }
    if a.data.as_deref() == Some("qm9") || graph_run {
        if !a.resume {
            refuse_for_molecules(&a)?;
        }
        return super::molecules::train(super::molecules::TrainRequest {
            data_dir: a.data_dir,
            method: a.method.unwrap_or_else(|| "flow".into()),
            prior: a.prior,
            timesteps: a.timesteps.unwrap_or(500),
            steps: a.steps,
            checkpoint_every: a.checkpoint_every.map(|k| k as usize),
            minutes: a.minutes,
            seed: a.seed,
            devices: a.devices.map(|n| n as usize),
            batch_size: a.batch_size,
            lr: a.lr,
            width: a.width,
            depth: a.depth,
            out: a.out,
            resume: a.resume,
            quiet: a.quiet,
            device: a.dev.get()?,
        });
    }
    let run = RunDir(a.out.clone());
    let mut cfg = if a.resume {
        let mut cfg = run.load_config()?;
        if let Some(s) = a.steps {
            cfg.optim.steps = s;
        }
        cfg
    } else {
        if run.config().exists() {
            if run.has_checkpoint()? {
                bail!(
                    "{} already holds a run; use --resume to continue it or choose another --out",
                    a.out.display()
                );
            }
            println!(
                "{} holds a run that stopped before its first checkpoint: starting it afresh",
                a.out.display()
            );
        }
        let data =
            DataSpec::parse_with_dir(a.data.as_deref().unwrap_or_default(), a.data_dir.as_deref())?;
        let flags = MethodFlags::of(&a);
        let method = method_from(&match data {
            DataSpec::Mnist { .. } | DataSpec::Images { .. } => flags.image_recipe(),
            _ => flags,
        })?;
        crate::train_images::refuse_image_flags(&a, &data)?;
        let mut cfg = match &data {
            DataSpec::Images { .. } => crate::train_images::config(&a, data.clone(), method)?,
            DataSpec::Mnist { .. } => {
                refuse_mlp_flags(&a, "MNIST (its U-Net's size is fixed, UNetConfig::mnist)")?;
                TrainConfig::images(data.clone(), method, a.conditional)
            }
            _ => {
                if a.conditional {
                    bail!(
                        "--conditional needs labelled data (--data mnist, or images in class folders)"
                    );
                }
                if a.data_dir.is_some() {
                    bail!(
                        "--data-dir is for --data mnist, images or qm9; points are read from --data"
                    );
                }
                let dim = data.open()?.dim();
                let mut cfg = TrainConfig::points(data.clone(), method, dim);
                let mlp = cfg.mlp_mut().expect("points use an MLP");
                mlp.width = a.width.unwrap_or(mlp.width);
                mlp.depth = a.depth.unwrap_or(mlp.depth);
                if mlp.width == 0 || mlp.depth == 0 {
                    bail!("--width and --depth must be positive");
                }
                cfg
            }
        };
        cfg.optim.steps = a.steps.unwrap_or(cfg.optim.steps);
        cfg.optim.seed = a.seed.unwrap_or(cfg.optim.seed);
        cfg.optim.devices = a.devices.map_or(cfg.optim.devices, |n| n as usize);
        cfg.batch_size = a.batch_size.unwrap_or(cfg.batch_size);
        cfg.optim.lr = a.lr.unwrap_or(cfg.optim.lr);
        if cfg.optim.steps == 0
            || cfg.batch_size == 0
            || cfg.optim.lr.is_nan()
            || cfg.optim.lr <= 0.0
        {
            bail!("--steps, --batch-size and --lr must be positive");
        }
        cfg
    };
    if let Some(k) = a.checkpoint_every {
        cfg.optim.checkpoint_every = k as usize;
    }
    if let Some(k) = a.sample_every {
        if k > 0 && cfg.model.image_shape().is_none() {
            bail!("--sample-every draws picture grids; it does not apply to points");
        }
        cfg.sample_every = k as usize;
    }
    let device = a.dev.get()?;
    if let Some(step) = a
        .resume
        .then(|| training_ended_before_its_results(&run, &cfg))
        .transpose()?
        .flatten()
    {
        println!(
            "{} finished training at step {step} but was stopped before its results were written: writing them",
            a.out.display(),
        );
        finish_results(&run, &cfg, step, &device)?;
        flowdiff::report::write_run_page(&a.out, cfg.optim.seed)?;
        return Ok(());
    }
    let source = cfg.data.open()?;
    if let Some(budget) = minutes_budget(a.minutes, a.resume, a.steps, |m| {
        steps_for_minutes(&cfg, &source, m, &device)
    })? {
        budget.apply(&mut cfg.optim);
    }
    println!(
        "training {} on {} for {}, seed {} -> {}",
        cfg.method.name(),
        cfg.data.label(),
        length(&cfg.optim),
        cfg.optim.seed,
        a.out.display()
    );
    let opts = TrainOptions {
        device,
        resume: a.resume,
        progress: !a.quiet,
        stop_after: None,
        time_limit: None,
    };
    let mut hook = |step: usize, ema: &flowdiff::models::Network| -> flowdiff::Result<()> {
        step_grid(&cfg, &a.out, step, ema.clone())
    };
    let trained = train_with_hook(&cfg, &source, Some(&a.out), opts, &mut hook)?;
    flowdiff::report::write_run_page(&a.out, cfg.optim.seed)?;
    print_done(&trained.outcome, &run);
    Ok(())
}

/// The final step of a run whose training ended (its last checkpoint is at its final step,
/// or its time budget is spent) while its page (`index.html`, written last) is missing: the
/// run was stopped while writing its results.
fn training_ended_before_its_results(run: &RunDir, cfg: &TrainConfig) -> Result<Option<usize>> {
    if run.0.join("index.html").exists() || !run.has_checkpoint()? {
        return Ok(None);
    }
    let state = flowdiff::train::checkpoint::load_state(&run.ckpt("state.json"))?;
    let budget_spent = cfg.optim.minutes.is_some_and(|m| state.elapsed >= m * 60.0);
    Ok((state.step == cfg.optim.steps || budget_spent).then_some(state.step))
}

/// Redraws the final sample grid of an image run (the training hook's last call) when the
/// stop came before it was written.
fn finish_results(
    run: &RunDir,
    cfg: &TrainConfig,
    step: usize,
    device: &flowdiff::Device,
) -> Result<()> {
    let path = run.0.join("samples").join(format!("step-{step:06}.png"));
    if cfg.sample_every == 0 || cfg.model.image_shape().is_none() || path.exists() {
        return Ok(());
    }
    let (_, model) = run.load_model(device)?;
    Ok(step_grid(cfg, &run.0, step, model.net)?)
}

/// The sample grid of `step` (`RUN/samples/step-NNNNNN.png`: ten a row, guidance 2 for
/// class-conditional runs), drawn by the training hook and by a resume that finishes results.
fn step_grid(
    cfg: &TrainConfig,
    run: &std::path::Path,
    step: usize,
    net: flowdiff::models::Network,
) -> flowdiff::Result<()> {
    super::images::sample_grid(
        &cfg.method,
        &cfg.model,
        net,
        10,
        2.0,
        cfg.optim.seed,
        &run.join("samples").join(format!("step-{step:06}.png")),
        &format!("step {step}"),
    )
}
