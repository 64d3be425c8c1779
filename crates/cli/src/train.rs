use anyhow::{Result, bail};
use flowdiff::convert::Prediction;
use flowdiff::data::DataSource;
use flowdiff::data::DataSpec;
use flowdiff::flow::Coupling;
use flowdiff::method::Method;
use flowdiff::path::PathKind;
use flowdiff::schedule::ScheduleKind;
use flowdiff::train::{
    RunDir, RunKind, TrainConfig, TrainOptions, steps_for_minutes, train_with_hook,
};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Training data: mnist, a built-in 2-D set (moons, eight-gaussians, ...) or a .npy/.csv of points.
    #[arg(long, required_unless_present = "resume")]
    data: Option<String>,
    /// Directory of the MNIST IDX files (default data/mnist).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Class-conditional training (labelled data) with label dropout for classifier-free guidance.
    #[arg(long)]
    conditional: bool,
    /// Train for about this many minutes (sets --steps from a short timing run).
    #[arg(long)]
    minutes: Option<f64>,
    /// diffusion, flow, or hybrid (noise and velocity heads on one trunk, VP path).
    #[arg(long, default_value = "flow")]
    method: String,
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    /// Hidden width and depth of the MLP (molecules: the graph transformer's node width and
    /// layers).
    #[arg(long)]
    width: Option<usize>,
    #[arg(long)]
    depth: Option<usize>,
    /// Diffusion: noise schedule (linear, cosine, sigmoid).
    #[arg(long, default_value = "linear")]
    schedule: String,
    /// Diffusion: number of timesteps T (default 1000; 500 for molecules, as DiGress).
    #[arg(long)]
    timesteps: Option<usize>,
    /// Molecules: the prior of the discrete path (marginal, uniform, mask; default marginal
    /// for diffusion, mask for flow).
    #[arg(long)]
    prior: Option<String>,
    /// Diffusion: what the network predicts (eps, v, x0).
    #[arg(long, default_value = "eps")]
    prediction: String,
    /// Flow and hybrid: probability path (cond-ot, vp; default cond-ot for flow, vp for the
    /// hybrid, whose noise head needs it).
    #[arg(long)]
    path: Option<String>,
    /// Flow: noise–data coupling (independent, ot).
    #[arg(long, default_value = "independent")]
    coupling: String,
    /// Write a checkpoint (and the sampling weights) every this many steps; a run can be
    /// resumed from its last checkpoint. May change at --resume.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// Run directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    resume: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

pub fn method_from(
    method: &str,
    schedule: &str,
    timesteps: usize,
    prediction: &str,
    path: Option<&str>,
    coupling: &str,
) -> Result<Method> {
    Ok(match method {
        "diffusion" => {
            let prediction = str::parse::<Prediction>(prediction)
                .map_err(|e| anyhow::anyhow!("--prediction: {e}"))?;
            if !matches!(
                prediction,
                Prediction::Noise | Prediction::V | Prediction::Data
            ) {
                bail!("--prediction: diffusion trains eps, v or x0");
            }
            if timesteps < 2 {
                bail!("--timesteps must be at least 2");
            }
            let schedule = str::parse::<ScheduleKind>(schedule)
                .map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
            Method::Diffusion {
                schedule,
                timesteps,
                prediction,
            }
        }
        "hybrid" => {
            let path = match path {
                None => PathKind::vp(),
                Some(name) => {
                    str::parse::<PathKind>(name).map_err(|e| anyhow::anyhow!("--path: {e}"))?
                }
            };
            if path == PathKind::cond_ot() {
                bail!(
                    "--path cond-ot: the hybrid needs the vp path (its noise head's implied velocity is infinite at tau = 0 on cond-ot)"
                );
            }
            Method::Hybrid {
                path,
                noise_weight: 0.5,
            }
        }
        "flow" => Method::Flow {
            path: str::parse::<PathKind>(path.unwrap_or("cond-ot"))
                .map_err(|e| anyhow::anyhow!("--path: {e}"))?,
            coupling: str::parse::<Coupling>(coupling)
                .map_err(|e| anyhow::anyhow!("--coupling: {e}"))?,
        },
        other => bail!("--method {other:?}: expected diffusion, flow or hybrid"),
    })
}

pub fn run(a: Args) -> Result<()> {
    if a.resume {
        refuse_changes_at_resume(&a)?;
    }
    let graph_run = a.resume && RunDir(a.out.clone()).kind().ok() == Some(RunKind::Graphs);
    if a.data.as_deref() == Some("qm9") || graph_run {
        return super::molecules::train(super::molecules::TrainRequest {
            data_dir: a.data_dir,
            method: a.method,
            prior: a.prior,
            timesteps: a.timesteps.unwrap_or(500),
            steps: a.steps,
            checkpoint_every: a.checkpoint_every.map(|k| k as usize),
            minutes: a.minutes,
            seed: a.seed,
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
        let method = method_from(
            &a.method,
            &a.schedule,
            a.timesteps.unwrap_or(1000),
            &a.prediction,
            a.path.as_deref(),
            &a.coupling,
        )?;
        let mut cfg = match &data {
            DataSpec::Mnist { .. } => TrainConfig::images(data.clone(), method, a.conditional),
            _ => {
                if a.conditional {
                    bail!("--conditional needs labelled data (--data mnist)");
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
    let device = a.dev.get()?;
    let source = cfg.data.open()?;
    if let Some(steps) = minutes_budget(a.minutes, a.resume, a.steps, |m| {
        steps_for_minutes(&cfg, &source, m, &device)
    })? {
        cfg.optim.steps = steps;
    }
    println!(
        "training {} on {} for {} steps, seed {} -> {}",
        cfg.method.name(),
        cfg.data.label(),
        cfg.optim.steps,
        cfg.optim.seed,
        a.out.display()
    );
    let opts = TrainOptions {
        device,
        resume: a.resume,
        progress: !a.quiet,
        stop_after: None,
        time_limit: a.minutes.map(|m| m * 60.0),
    };
    let samples_dir = a.out.join("samples");
    let method = cfg.method.clone();
    let model_cfg = cfg.model.clone();
    let seed = cfg.optim.seed;
    let mut hook = |step: usize, ema: &flowdiff::models::Network| -> flowdiff::Result<()> {
        let path = samples_dir.join(format!("step-{step:06}.png"));
        super::images::sample_grid(
            &method,
            &model_cfg,
            ema.clone(),
            10,
            2.0,
            seed,
            &path,
            &format!("step {step}"),
        )
    };
    let trained = train_with_hook(&cfg, &source, Some(&a.out), opts, &mut hook)?;
    flowdiff::report::write_run_page(&a.out, cfg.optim.seed)?;
    print_done(&trained.outcome, &run);
    Ok(())
}

/// At `--resume` the run keeps the settings it started with (its config.json); only `--steps`
/// and `--checkpoint-every` may change. Any other setting given is refused, naming it, rather than ignored.
fn refuse_changes_at_resume(a: &Args) -> Result<()> {
    let given = [
        ("--data", a.data.is_some()),
        ("--data-dir", a.data_dir.is_some()),
        ("--conditional", a.conditional),
        ("--seed", a.seed.is_some()),
        ("--batch-size", a.batch_size.is_some()),
        ("--lr", a.lr.is_some()),
        ("--width", a.width.is_some()),
        ("--depth", a.depth.is_some()),
        ("--timesteps", a.timesteps.is_some()),
        ("--prior", a.prior.is_some()),
        ("--path", a.path.is_some()),
    ];
    let changed: Vec<&str> = given.iter().filter(|g| g.1).map(|g| g.0).collect();
    if !changed.is_empty() {
        bail!(
            "{} cannot change at --resume: the run keeps the settings it started with ({}); only --steps and --checkpoint-every can change",
            changed.join(", "),
            a.out.join("config.json").display()
        );
    }
    Ok(())
}

/// The step count `--minutes` fits (timed by `fit`), after checking it is not combined with
/// `--steps` or `--resume`; `None` without `--minutes`.
pub(crate) fn minutes_budget(
    minutes: Option<f64>,
    resume: bool,
    steps: Option<usize>,
    fit: impl FnOnce(f64) -> usize,
) -> Result<Option<usize>> {
    let Some(m) = minutes else { return Ok(None) };
    if resume || steps.is_some() {
        bail!("--minutes sets the number of steps; it cannot be combined with --steps or --resume");
    }
    if m.is_nan() || m <= 0.0 {
        bail!("--minutes must be positive");
    }
    let fitted = fit(m);
    println!("--minutes {m}: {fitted} steps fit at this machine's measured speed");
    Ok(Some(fitted))
}

/// The closing line of a training command.
pub(crate) fn print_done(out: &flowdiff::train::Outcome, run: &RunDir) {
    println!(
        "done: {} steps in {:.1}s ({:.2} steps/s), final loss {:.4}; weights {}",
        out.steps,
        out.seconds,
        out.steps_run as f64 / out.seconds.max(1e-9),
        out.final_loss,
        run.weights().display()
    );
}
