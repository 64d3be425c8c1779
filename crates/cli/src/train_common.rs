//! What every training command shares (points and images, molecules, distillation): the
//! `--minutes` budget and the closing line.

use anyhow::{Result, bail};
use flowdiff::train::RunDir;

/// The step count `--minutes` fits (timed by `fit`), after checking it is not combined with
/// `--steps` or `--resume`; `None` without `--minutes`.
pub(crate) fn minutes_budget(
    minutes: Option<f64>,
    resume: bool,
    steps: Option<usize>,
    fit: impl FnOnce(f64) -> flowdiff::Result<usize>,
) -> Result<Option<usize>> {
    let Some(m) = minutes else { return Ok(None) };
    if resume || steps.is_some() {
        bail!("--minutes sets the number of steps; it cannot be combined with --steps or --resume");
    }
    if m.is_nan() || m <= 0.0 {
        bail!("--minutes must be positive");
    }
    let fitted = fit(m)?;
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
