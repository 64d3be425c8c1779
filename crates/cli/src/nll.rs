use anyhow::{Result, bail};
use flowdiff::io::read_array;
use flowdiff::likelihood::{Divergence, log_likelihood};
use flowdiff::rng::SeededRng;
use flowdiff::solver::{SolveOptions, SolverKind};
use flowdiff::train::{RunDir, RunKind};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Run directory written by `flowdiff train`.
    #[arg(long)]
    run: PathBuf,
    /// Points to score (.npy or .csv), one per row.
    #[arg(long)]
    samples: PathBuf,
    /// Adaptive solver: bosh3, dopri5, tsit5.
    #[arg(long, default_value = "dopri5")]
    solver: String,
    #[arg(long, default_value_t = 1e-5)]
    rtol: f64,
    #[arg(long, default_value_t = 1e-5)]
    atol: f64,
    /// Estimate the divergence with this many Hutchinson probes instead of exactly.
    #[arg(long)]
    hutchinson: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(a: Args) -> Result<()> {
    let device = a.dev.get()?.autodiff();
    let run = RunDir(a.run.clone());
    let kind = run.kind()?;
    if kind == RunKind::Graphs {
        bail!(
            "{}: nll computes likelihoods of point and image runs; this is a molecule run",
            a.run.display()
        );
    }
    let (cfg, model) = run.load_model(&device)?;
    let points = read_array(&a.samples)?;
    points.check_samples(1, &a.samples.display().to_string())?;
    if points.cols != cfg.model.dim() {
        bail!(
            "{} has {} columns; the model in {} has dimension {}",
            a.samples.display(),
            points.cols,
            a.run.display(),
            cfg.model.dim()
        );
    }
    if let flowdiff::method::Method::Flow {
        coupling: flowdiff::flow::Coupling::MinibatchOt,
        ..
    } = cfg.method
    {
        println!(
            "note: minibatch-OT training approximates the marginal velocity; the likelihood is that of the learned ODE"
        );
    }
    let solver = str::parse::<SolverKind>(&a.solver)?;
    if !solver.is_adaptive() {
        bail!(
            "--solver {}: the likelihood needs an adaptive solver (bosh3, dopri5, tsit5)",
            a.solver
        );
    }
    let method = match a.hutchinson {
        Some(0) => bail!("--hutchinson needs at least one probe"),
        Some(k) => Divergence::Hutchinson { probes: k },
        // Exact divergences cost one backward pass per dimension: for images use one probe.
        None if cfg.model.image_shape().is_some() => Divergence::Hutchinson { probes: 1 },
        None => Divergence::Exact,
    };
    let tau_data = cfg.method.schedule().map_or(1.0, |s| s.tau_of_index(0));
    let mut rng = SeededRng::new(a.seed);
    let image = cfg.model.image_shape().is_some();
    // Images arrive in [0, 1]: dequantise uniformly within each of the 256 levels (Theis et al.
    // 2016) and map to the model's [-1, 1].
    let values: Vec<f32> = if image {
        points
            .values
            .iter()
            .map(|v| ((v * 255.0).round() + rng.uniform() as f32) / 256.0 * 2.0 - 1.0)
            .collect()
    } else {
        points.values
    };
    let x = flowdiff::device::tensor2(values, points.rows, points.cols, &device);
    println!(
        "scoring {} {} under {} ({}), {method:?} divergence, seed {}",
        points.rows,
        if image { "images" } else { "points" },
        a.run.display(),
        cfg.method.name(),
        a.seed
    );
    let lik = log_likelihood(
        &model,
        cfg.method.path().as_ref(),
        x,
        tau_data,
        method,
        &SolveOptions::adaptive(solver, a.rtol, a.atol),
        &mut rng,
    )?;
    if image {
        // log p over [0, 256)^d = log p_model + d·log(2/256) (the Jacobian of the scaling).
        let nats = lik.nats_per_dim() - (2.0f64 / 256.0).ln();
        println!(
            "NLL {:.4} bits/dim on [0, 256) with uniform dequantisation ({:.4} nats/dim in model space), {} NFE",
            nats / std::f64::consts::LN_2,
            lik.nats_per_dim(),
            lik.nfe
        );
    } else {
        println!(
            "NLL {:.4} nats/dim ({:.4} bits/dim), {} NFE",
            lik.nats_per_dim(),
            lik.bits_per_dim(),
            lik.nfe
        );
    }
    Ok(())
}
