//! What every training command shares (points and images, molecules, distillation): the
//! `--minutes` budget and the closing line.

use anyhow::{Result, bail};
use flowdiff::train::RunDir;

/// A `--minutes` budget: the run's schedule follows the clock (the cosine decay tracks the
/// fraction of the budget used, [`flowdiff::train::Optimization::minutes`]); its step count
/// is a cap at four times the steps a short timing run (`fit`) expects. Refused with
/// `--steps` or `--resume` (a resumed run keeps its stored budget). `None` without `--minutes`.
pub(crate) fn minutes_budget(
    minutes: Option<f64>,
    resume: bool,
    steps: Option<usize>,
    fit: impl FnOnce(f64) -> flowdiff::Result<usize>,
) -> Result<Option<Budget>> {
    let Some(m) = minutes else { return Ok(None) };
    if resume || steps.is_some() {
        bail!(
            "--minutes sets the budget; it cannot be combined with --steps or with --resume (a resumed run keeps its budget)"
        );
    }
    if !(m.is_finite() && m > 0.0) {
        bail!("--minutes must be positive");
    }
    let expected = fit(m)?;
    println!(
        "--minutes {m}: about {expected} steps at this machine's measured speed; the learning-rate schedule follows the clock"
    );
    Ok(Some(Budget {
        minutes: m,
        cap: expected.saturating_mul(4),
    }))
}

/// What `--minutes` sets in a run's [`flowdiff::train::Optimization`].
pub(crate) struct Budget {
    pub minutes: f64,
    /// The step cap.
    pub cap: usize,
}

impl Budget {
    pub(crate) fn apply(&self, o: &mut flowdiff::train::Optimization) {
        o.minutes = Some(self.minutes);
        o.steps = self.cap;
    }
}

/// How long a run trains, for its opening line: "2000 steps" or "30 minutes (at most 8000 steps)".
pub(crate) fn length(o: &flowdiff::train::Optimization) -> String {
    match o.minutes {
        Some(m) => format!("{m} minutes (at most {} steps)", o.steps),
        None => format!("{} steps", o.steps),
    }
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
