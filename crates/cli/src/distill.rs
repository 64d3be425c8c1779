//! `flowdiff distill`: a fewer-step student of a trained run (reflow; see
//! `flowdiff::distill`). The student is an ordinary run directory; `train --resume --out
//! STUDENT` continues its training.

use anyhow::{Result, bail};
use flowdiff::distill::reflow::{PairSpec, Pairs, distill};
use flowdiff::solver::{SolveOptions, SolverKind};
use flowdiff::train::{RunDir, TrainConfig, TrainOptions};
use std::path::PathBuf;

/// Which distillation. Reflow applies to every teacher with an ODE sampler (flow, hybrid,
/// diffusion through its probability-flow ODE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DistillMethod {
    /// Rectified flow's reflow (Liu et al. 2022): retrain on the teacher's noise–data pairs.
    Reflow,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// The teacher's run directory (a point run; a reflow student for a further round).
    #[arg(long)]
    run: PathBuf,
    #[arg(long, value_enum, default_value = "reflow")]
    method: DistillMethod,
    /// Noise–data pairs drawn from the teacher (cached in TEACHER/pairs/ and reused).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(2..=50_000_000))]
    pairs: u64,
    /// The teacher's ODE solver for the pairs (an adaptive one with --rtol/--atol, or a fixed
    /// grid with --nfe).
    #[arg(long, default_value = "dopri5")]
    solver: SolverKind,
    #[arg(long, default_value_t = 1e-5)]
    rtol: f64,
    #[arg(long, default_value_t = 1e-5)]
    atol: f64,
    /// Steps of a fixed-grid --solver.
    #[arg(long)]
    nfe: Option<usize>,
    /// Training steps of the student.
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u64).range(1..))]
    steps: u64,
    /// Seed of the pairs' noise and of the student's training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The student's run directory.
    #[arg(long)]
    out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

pub fn run(a: Args) -> Result<()> {
    if RunDir(a.out.clone()).config().exists() {
        bail!(
            "{} already holds a run; continue its training with `flowdiff train --resume --out {}` or choose another --out",
            a.out.display(),
            a.out.display()
        );
    }
    let solve = if a.solver.is_adaptive() {
        if a.nfe.is_some() {
            bail!(
                "--nfe is for fixed-grid solvers; {} takes --rtol/--atol",
                a.solver.name()
            );
        }
        SolveOptions::adaptive(a.solver, a.rtol, a.atol)
    } else {
        let steps = a.solver.steps_for_nfe(a.nfe.unwrap_or(100));
        if steps == 0 {
            bail!("--nfe must be at least 1");
        }
        SolveOptions::fixed(a.solver, steps)
    };
    let spec = PairSpec {
        n: a.pairs as usize,
        seed: a.seed,
        solve,
    };
    println!(
        "reflow of {}: {} pairs by {} (seed {}) -> {}",
        a.run.display(),
        spec.n,
        spec.solver_label(),
        a.seed,
        a.out.display()
    );
    let opts = TrainOptions {
        device: a.dev.get()?,
        progress: !a.quiet,
        ..TrainOptions::default()
    };
    let mut announce = |pairs: &Pairs, cfg: &TrainConfig| {
        println!(
            "pairs {} {} ({} teacher evaluations each, {:.1}s to make)",
            pairs.file.display(),
            if pairs.reused {
                "reused from the cache"
            } else {
                "made"
            },
            pairs.nfe_per_pair,
            pairs.seconds
        );
        println!(
            "training the student for {} steps, seed {}{}",
            cfg.optim.steps,
            cfg.optim.seed,
            if cfg.init_weights.is_some() {
                ", starting from the teacher's weights"
            } else {
                ""
            }
        );
    };
    let student = distill(&a.run, &spec, a.steps as usize, &a.out, opts, &mut announce)?;
    flowdiff::report::write_run_page(&a.out, a.seed)?;
    super::train::print_done(&student.trained.outcome, &RunDir(a.out.clone()));
    println!("{}", student.record.cost());
    println!(
        "one-step samples: flowdiff sample --run {} --solver euler --nfe 1 --out samples.npy",
        a.out.display()
    );
    Ok(())
}
