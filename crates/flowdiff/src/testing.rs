//! Helpers shared by the tests: moments of a sample and its distance to a target.

use crate::metrics::{evaluate, reference_draws};
use crate::models::GaussianMixture;
use crate::rng::SeededRng;
use burn::tensor::Tensor;

/// `max |a − b| / max |b|`: how far a fused kernel's result is from burn's own.
pub fn rel<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    let scale: f32 = b.clone().abs().max().into_scalar();
    let err: f32 = a.sub(b).abs().max().into_scalar();
    err / scale.max(1e-12)
}

/// Mean and covariance (row-major) of row-major `[n, d]` points.
pub fn moments(x: &[f32], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len() / d;
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x[i * d + j] as f64).sum::<f64>() / n as f64)
        .collect();
    let mut cov = vec![0.0; d * d];
    for i in 0..n {
        for a in 0..d {
            for b in 0..d {
                cov[a * d + b] +=
                    (x[i * d + a] as f64 - mean[a]) * (x[i * d + b] as f64 - mean[b]) / n as f64;
            }
        }
    }
    (mean, cov)
}

/// Checks that `samples` match `target`: mean within `mean_tol`, every covariance entry
/// within `cov_tol` (relative to the largest variance), and sliced-W2 to a fresh draw of the
/// same size at most `sw_ratio` times the noise floor (two fresh draws). Returns the ratio.
pub fn assert_matches(
    label: &str,
    samples: &[f32],
    target: &GaussianMixture,
    mean_tol: f64,
    cov_tol: f64,
    sw_ratio: f64,
) -> f64 {
    let d = target.dim();
    let n = samples.len() / d;
    assert!(
        samples.iter().all(|v| v.is_finite()),
        "{label}: non-finite samples"
    );
    let (m, c) = moments(samples, d);
    let (tm, tc) = (target.mean(), target.covariance());
    let scale = tc.iter().cloned().fold(0.0, f64::max);
    for j in 0..d {
        assert!(
            (m[j] - tm[j]).abs() < mean_tol,
            "{label}: mean {m:?} vs {tm:?}"
        );
    }
    for k in 0..d * d {
        assert!(
            (c[k] - tc[k]).abs() < cov_tol * scale,
            "{label}: covariance {c:?} vs {tc:?}"
        );
    }
    let mut rng = SeededRng::new(991);
    let refs = reference_draws(|k| target.sample(k, &mut rng), n, 4);
    let ratio = evaluate(samples, &refs, d, 500).sliced_w2.ratio;
    assert!(
        ratio < sw_ratio,
        "{label}: sliced W2 is {ratio:.2}x the noise floor at n={n} (bound {sw_ratio})"
    );
    ratio
}
