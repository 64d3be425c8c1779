use crate::convert::Prediction;
use crate::data::DataSpec;
use crate::flow::Coupling;
use crate::method::Method;
use crate::path::PathKind;
use crate::schedule::ScheduleKind;
use crate::train::{RunDir, TrainConfig, TrainOptions, train};
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Training data: a built-in set (moons, eight-gaussians, ...) or a .npy/.csv of points.
    #[arg(long, required_unless_present = "resume")]
    data: Option<String>,
    /// diffusion or flow.
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
    /// Hidden width and depth of the MLP.
    #[arg(long)]
    width: Option<usize>,
    #[arg(long)]
    depth: Option<usize>,
    /// Diffusion: noise schedule (linear, cosine, sigmoid).
    #[arg(long, default_value = "linear")]
    schedule: String,
    /// Diffusion: number of timesteps T.
    #[arg(long, default_value_t = 1000)]
    timesteps: usize,
    /// Diffusion: what the network predicts (eps, v, x0).
    #[arg(long, default_value = "eps")]
    prediction: String,
    /// Flow: probability path (cond-ot, vp).
    #[arg(long, default_value = "cond-ot")]
    path: String,
    /// Flow: noise–data coupling (independent, ot).
    #[arg(long, default_value = "independent")]
    coupling: String,
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
    path: &str,
    coupling: &str,
) -> Result<Method> {
    Ok(match method {
        "diffusion" => {
            let prediction = Prediction::from_name(prediction)
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
            let schedule = ScheduleKind::from_name(schedule)
                .map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
            Method::Diffusion {
                schedule,
                timesteps,
                prediction,
            }
        }
        "flow" => Method::Flow {
            path: PathKind::from_name(path).map_err(|e| anyhow::anyhow!("--path: {e}"))?,
            coupling: Coupling::from_name(coupling)
                .map_err(|e| anyhow::anyhow!("--coupling: {e}"))?,
        },
        other => bail!("--method {other:?}: expected diffusion or flow"),
    })
}

pub fn run(a: Args) -> Result<()> {
    let run = RunDir(a.out.clone());
    let cfg = if a.resume {
        let mut cfg = run.load_config()?;
        if let Some(s) = a.steps {
            cfg.steps = s;
        }
        cfg
    } else {
        if run.config().exists() {
            bail!(
                "{} already holds a run; use --resume to continue it or choose another --out",
                a.out.display()
            );
        }
        let data = DataSpec::parse(a.data.as_deref().unwrap_or_default())?;
        let dim = data.open()?.dim();
        let method = method_from(
            &a.method,
            &a.schedule,
            a.timesteps,
            &a.prediction,
            &a.path,
            &a.coupling,
        )?;
        let mut cfg = TrainConfig::points(data, method, dim);
        cfg.steps = a.steps.unwrap_or(cfg.steps);
        cfg.seed = a.seed.unwrap_or(cfg.seed);
        cfg.batch_size = a.batch_size.unwrap_or(cfg.batch_size);
        cfg.lr = a.lr.unwrap_or(cfg.lr);
        cfg.model.width = a.width.unwrap_or(cfg.model.width);
        cfg.model.depth = a.depth.unwrap_or(cfg.model.depth);
        if cfg.steps == 0 || cfg.batch_size == 0 || cfg.model.width == 0 || cfg.model.depth == 0 {
            bail!("--steps, --batch-size, --width and --depth must be positive");
        }
        cfg
    };
    println!(
        "training {} on {} for {} steps, seed {} -> {}",
        cfg.method.name(),
        cfg.data.label(),
        cfg.steps,
        cfg.seed,
        a.out.display()
    );
    let source = cfg.data.open()?;
    let out = train(
        &cfg,
        &source,
        &a.out,
        TrainOptions {
            resume: a.resume,
            progress: !a.quiet,
            stop_after: None,
        },
    )?;
    println!(
        "done: {} steps in {:.1}s ({:.0} steps/s), final loss {:.4}; weights {}",
        out.steps,
        out.seconds,
        out.steps_run as f64 / out.seconds.max(1e-9),
        out.final_loss,
        run.weights().display()
    );
    Ok(())
}
