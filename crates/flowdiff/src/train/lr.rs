//! Learning-rate schedule: linear warm-up, then cosine decay (Loshchilov & Hutter 2017)
//! to `min_ratio · peak` at the last step.

/// Learning rate at `step` (0-based) of `total`.
pub fn warmup_cosine(step: usize, total: usize, warmup: usize, peak: f64, min_ratio: f64) -> f64 {
    let span = (total.saturating_sub(warmup)).max(1) as f64;
    let progress = step.saturating_sub(warmup) as f64 / span;
    warmup_cosine_at(step, progress, warmup, peak, min_ratio)
}

/// Learning rate at `step` when the decay has covered `progress` ∈ [0, 1] of its span (a step
/// fraction, or the fraction of a time budget used): the cosine
/// `min_ratio·peak + (1 − min_ratio)·peak·(1 + cos πp)/2`, and below it a linear warm-up over
/// the first `warmup` steps (so a budget spent during the warm-up still ends at the floor).
pub fn warmup_cosine_at(
    step: usize,
    progress: f64,
    warmup: usize,
    peak: f64,
    min_ratio: f64,
) -> f64 {
    let progress = progress.clamp(0.0, 1.0);
    let cos = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
    let cosine = peak * (min_ratio + (1.0 - min_ratio) * cos);
    if step < warmup {
        return cosine.min(peak * (step + 1) as f64 / warmup as f64);
    }
    cosine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_decays_to_the_floor() {
        assert!((warmup_cosine(0, 100, 10, 1.0, 0.1) - 0.1).abs() < 1e-12);
        assert!((warmup_cosine(9, 100, 10, 1.0, 0.1) - 1.0).abs() < 1e-12);
        assert!((warmup_cosine(10, 100, 10, 1.0, 0.1) - 1.0).abs() < 1e-12);
        assert!((warmup_cosine(55, 100, 10, 1.0, 0.1) - 0.55).abs() < 1e-12);
        assert!((warmup_cosine(100, 100, 10, 1.0, 0.1) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_time_fraction_drives_the_same_curve() {
        // Half of a time budget used: the middle of the cosine, whatever the step.
        assert!((warmup_cosine_at(3000, 0.5, 10, 1.0, 0.1) - 0.55).abs() < 1e-12);
        assert!((warmup_cosine_at(7, 0.05, 10, 1.0, 0.1) - 0.8).abs() < 1e-12);
        // A budget running out inside the warm-up: the cosine caps the ramp.
        let late = 0.1 + 0.9 * 0.5 * (1.0 + (0.9 * std::f64::consts::PI).cos());
        assert!((warmup_cosine_at(7, 0.9, 10, 1.0, 0.1) - late).abs() < 1e-12);
        assert!((warmup_cosine_at(50, 1.7, 10, 1.0, 0.1) - 0.1).abs() < 1e-12);
    }
}
