//! Progress bars of training: steps of a step-counted run, seconds of a time-budgeted one.

use indicatif::{ProgressBar, ProgressStyle};

/// The bar of a run counted in steps.
pub fn progress_bar(show: bool, len: u64, pos: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_position(pos);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} {per_sec} ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// The bar of a time-budgeted run: seconds used of the budget (the step is in the message).
pub fn time_bar(show: bool, budget_s: f64, spent_s: f64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(budget_s as u64).with_position(spent_s as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} s {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
