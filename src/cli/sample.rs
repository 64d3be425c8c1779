use crate::io::{Array2, write_array};
use crate::rng::SeededRng;
use crate::sampling::Sampler;
use crate::train::RunDir;
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Run directory written by `flowdiff train`.
    #[arg(long)]
    run: PathBuf,
    #[arg(long, default_value_t = 5000)]
    n: usize,
    /// ddpm, ddim (diffusion only), ode (default for flow), dpm-solver++, euler, heun,
    /// euler-ancestral, heun-churn.
    #[arg(long)]
    sampler: Option<String>,
    /// ODE solver for --sampler ode: euler, midpoint, heun, rk4 (fixed grid, use --nfe),
    /// bosh3, dopri5, tsit5 (adaptive, use --rtol/--atol).
    #[arg(long)]
    solver: Option<String>,
    /// DDPM reverse variance: small (posterior, beta-tilde) or large (beta).
    #[arg(long, default_value = "small")]
    variance: String,
    /// Number of function evaluations (fixed-step solvers, DDPM/DDIM steps).
    #[arg(long)]
    nfe: Option<usize>,
    /// DDIM stochasticity (0 = deterministic).
    #[arg(long, default_value_t = 0.0)]
    eta: f64,
    #[arg(long, default_value_t = 1e-5)]
    rtol: f64,
    #[arg(long, default_value_t = 1e-5)]
    atol: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (.npy or .csv).
    #[arg(long)]
    out: PathBuf,
    /// Also draw the trajectories from noise to data into this PNG.
    #[arg(long)]
    trajectory: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let device = crate::device::default();
    let (cfg, model) = RunDir(a.run.clone()).load_model(&device)?;
    let sampler = Sampler::parse(
        &cfg.method,
        a.sampler.as_deref(),
        a.solver.as_deref(),
        a.nfe,
        a.eta,
        a.rtol,
        a.atol,
    )?;
    if a.n == 0 {
        anyhow::bail!("--n must be positive");
    }
    println!(
        "sampling {} points from {} ({}) with {}, seed {}",
        a.n,
        a.run.display(),
        cfg.method.name(),
        sampler.label(),
        a.seed
    );
    let timer = std::time::Instant::now();
    let sol = sampler.run(
        &cfg.method,
        &model,
        a.n,
        &mut SeededRng::new(a.seed),
        a.trajectory.is_some(),
    )?;
    let secs = timer.elapsed().as_secs_f64();
    let d = cfg.model.dim;
    let x = crate::device::to_vec(sol.x);
    write_array(&a.out, &Array2::new(x.clone(), a.n, d))?;
    println!("NFE {} in {secs:.2}s; wrote {}", sol.nfe, a.out.display());
    if let Some(p) = a.trajectory {
        let traj: Vec<(f64, Vec<f32>)> = sol
            .trajectory
            .into_iter()
            .map(|(t, x)| (t, crate::device::to_vec(x)))
            .collect();
        crate::plot::trajectories(
            &p,
            &format!("{} trajectories ({})", cfg.method.name(), sampler.label()),
            &traj,
            60,
            crate::plot::bounds(&x),
        )?;
        println!("wrote {}", p.display());
    }
    Ok(())
}
