//! `flowdiff distill`: a fewer-step student of a trained run (reflow or progressive
//! distillation; see `flowdiff::distill`). The student is an ordinary run directory; `train --resume --out
//! STUDENT` continues its training.

use anyhow::{Result, bail};
use flowdiff::distill::progressive::{self, Rounds};
use flowdiff::distill::reflow::{PairSpec, Pairs, distill};
use flowdiff::solver::{SolveOptions, SolverKind};
use flowdiff::train::{RunDir, TrainConfig, TrainOptions};
use std::path::PathBuf;

/// Which distillation. Both apply to every teacher with an ODE sampler (flow, hybrid,
/// diffusion through its probability-flow ODE); see docs/distillation.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DistillMethod {
    /// Rectified flow's reflow (Liu et al. 2022): retrain on the teacher's noise–data pairs.
    Reflow,
    /// Progressive distillation (Salimans & Ho 2022): halve the Euler steps per round.
    Progressive,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// The teacher's run directory: a point run (either method), an image run (progressive),
    /// or a student for a further round.
    #[arg(long)]
    run: PathBuf,
    #[arg(long, value_enum, default_value = "reflow")]
    method: DistillMethod,
    /// Reflow: noise–data pairs drawn from the teacher (cached in TEACHER/pairs/ and reused)
    /// [default: 20000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=50_000_000))]
    pairs: Option<u64>,
    /// Reflow: the teacher's ODE solver for the pairs (an adaptive one with --rtol/--atol, or
    /// a fixed grid with --nfe) [default: dopri5].
    #[arg(long)]
    solver: Option<SolverKind>,
    /// Reflow: tolerances of an adaptive --solver [default: 1e-5 each].
    #[arg(long)]
    rtol: Option<f64>,
    #[arg(long)]
    atol: Option<f64>,
    /// Reflow: steps of a fixed-grid --solver.
    #[arg(long)]
    nfe: Option<usize>,
    /// Progressive: the Euler steps of the first teacher [default: 128, or the teacher's own
    /// when it is a progressive student].
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=1_048_576))]
    teacher_steps: Option<u64>,
    /// Progressive: the Euler steps of the final student; rounds halve the teacher's steps
    /// until they reach it [default: 1].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=524_288))]
    student_steps: Option<u64>,
    /// Training steps of the student (of each round, for progressive distillation; with
    /// --minutes a cap) [default: 4000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    steps: Option<u64>,
    /// Progressive: a time budget for the whole distillation, shared evenly by the rounds;
    /// each round's learning-rate decay follows its share of the clock.
    #[arg(long)]
    minutes: Option<f64>,
    /// Progressive, class-conditional teacher: distil the field guided at this
    /// classifier-free guidance weight (Meng et al. 2023); the student then samples with
    /// guidance 0 [default: 0].
    #[arg(long)]
    guidance: Option<f64>,
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
    match a.method {
        DistillMethod::Reflow => reflow(a),
        DistillMethod::Progressive => progressive_rounds(a),
    }
}

fn options(a: &Args) -> Result<TrainOptions> {
    Ok(TrainOptions {
        device: a.dev.get()?,
        progress: !a.quiet,
        ..TrainOptions::default()
    })
}

fn reflow(a: Args) -> Result<()> {
    for (given, flag) in [
        (a.teacher_steps.is_some(), "--teacher-steps"),
        (a.student_steps.is_some(), "--student-steps"),
        (a.minutes.is_some(), "--minutes"),
        (a.guidance.is_some(), "--guidance"),
    ] {
        if given {
            bail!("{flag} is for --method progressive; reflow students sample in one step");
        }
    }
    let solver = a.solver.unwrap_or(SolverKind::Dopri5);
    let solve = if solver.is_adaptive() {
        if a.nfe.is_some() {
            bail!(
                "--nfe is for fixed-grid solvers; {} takes --rtol/--atol",
                solver.name()
            );
        }
        SolveOptions::adaptive(solver, a.rtol.unwrap_or(1e-5), a.atol.unwrap_or(1e-5))
    } else {
        if a.rtol.is_some() || a.atol.is_some() {
            bail!(
                "--rtol/--atol are for adaptive solvers; {} takes --nfe",
                solver.name()
            );
        }
        let steps = solver.steps_for_nfe(a.nfe.unwrap_or(100));
        if steps == 0 {
            bail!("--nfe must be at least 1");
        }
        SolveOptions::fixed(solver, steps)
    };
    let spec = PairSpec {
        n: a.pairs.unwrap_or(20_000) as usize,
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
    let opts = options(&a)?;
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
    let steps = a.steps.unwrap_or(4000) as usize;
    let student = distill(&a.run, &spec, steps, &a.out, opts, &mut announce)?;
    flowdiff::report::write_run_page(&a.out, a.seed)?;
    super::train::print_done(&student.trained.outcome, &RunDir(a.out.clone()));
    println!("{}", student.record.cost());
    println!(
        "one-step samples: flowdiff sample --run {} --solver euler --nfe 1 --out samples.npy",
        a.out.display()
    );
    Ok(())
}

/// The rounds of progressive distillation, each announced and its cost printed.
fn progressive_rounds(a: Args) -> Result<()> {
    for (given, flag) in [
        (a.pairs.is_some(), "--pairs"),
        (a.solver.is_some(), "--solver"),
        (a.rtol.is_some(), "--rtol"),
        (a.atol.is_some(), "--atol"),
        (a.nfe.is_some(), "--nfe"),
    ] {
        if given {
            bail!("{flag} is for --method reflow; progressive distillation draws no pairs");
        }
    }
    let own = flowdiff::distill::Record::load(&a.run)?
        .filter(|r| r.method == "progressive")
        .map(|r| r.intended_steps);
    if let Some(m) = a.minutes.filter(|m| !(m.is_finite() && *m > 0.0)) {
        bail!("--minutes must be positive, not {m}");
    }
    let mut spec = Rounds {
        teacher_steps: a.teacher_steps.map_or(own.unwrap_or(128), |n| n as usize),
        student_steps: a.student_steps.unwrap_or(1) as usize,
        // With a time budget the steps are only a cap.
        train_steps: a.steps.map_or(
            if a.minutes.is_some() {
                10_000_000
            } else {
                4000
            },
            |n| n as usize,
        ),
        minutes: None,
        guidance: a.guidance.unwrap_or(0.0),
        seed: a.seed,
    };
    let rounds = spec.count()?;
    spec.minutes = a.minutes.map(|m| m / rounds as f64);
    let length = match spec.minutes {
        Some(m) => format!("{m:.1} minutes"),
        None => format!("{} training steps", spec.train_steps),
    };
    println!(
        "progressive distillation of {}: {} Euler steps -> {} in {rounds} round(s) of {length}{} (seed {}) -> {}",
        a.run.display(),
        spec.teacher_steps,
        spec.student_steps,
        if spec.guidance != 0.0 {
            format!(", guidance {} distilled", spec.guidance)
        } else {
            String::new()
        },
        a.seed,
        a.out.display()
    );
    let mut announce =
        |k: usize, teacher: &std::path::Path, student: &std::path::Path, cfg: &TrainConfig| {
            let t = cfg.teacher.as_ref().map_or(0, |t| t.steps);
            println!(
                "round {k}: {} ({t} steps) -> {} ({} step{}){}",
                teacher.display(),
                student.display(),
                t / 2,
                if t / 2 == 1 { "" } else { "s" },
                if cfg.init_weights.is_some() {
                    ", starting from the teacher's weights"
                } else {
                    ""
                }
            );
        };
    let students = progressive::distill(&a.run, &spec, &a.out, options(&a)?, &mut announce)?;
    for (run, record) in students.runs.iter().zip(&students.records) {
        flowdiff::report::write_run_page(run, a.seed)?;
        println!("{}", record.cost());
    }
    super::train::print_done(&students.last.outcome, &RunDir(a.out.clone()));
    println!(
        "{}-step samples: flowdiff sample --run {} --solver euler --nfe {} --out samples.npy",
        spec.student_steps,
        a.out.display(),
        spec.student_steps
    );
    Ok(())
}
