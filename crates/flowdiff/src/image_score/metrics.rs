//! Image-quality metrics in the feature space of flowdiff's own MNIST classifier
//! ([`crate::models::classifier`]): a Fréchet distance (FID, Heusel et al. 2017, eq. 6), an
//! Inception-score analogue (Salimans et al. 2016: `exp E[KL(p(y|x) ‖ p(y))]`) and class
//! coverage, each beside its value on real data (the noise floor).

use crate::models::classifier::{Classifier, FEATURES};
use burn::tensor::Device;
use burn::tensor::activation::softmax;
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

/// Features `[n, 64]` and class probabilities `[n, classes]` of images `[n, c·h·w]` in
/// [-1, 1] (the classifier's shape).
pub fn embed(clf: &Classifier, images: &[f32], device: &Device) -> (Vec<f64>, Vec<f64>) {
    let d = clf.dim();
    let n = images.len() / d;
    let (mut feats, mut probs) = (
        Vec::with_capacity(n * FEATURES),
        Vec::with_capacity(n * clf.classes()),
    );
    for start in (0..n).step_by(500) {
        let m = (n - start).min(500);
        let x = crate::device::tensor2(images[start * d..(start + m) * d].to_vec(), m, d, device);
        let f = clf.features(x);
        let p = softmax(clf.head_logits(f.clone()), 1);
        feats.extend(crate::device::to_vec(f).into_iter().map(|v| v as f64));
        probs.extend(crate::device::to_vec(p).into_iter().map(|v| v as f64));
    }
    (feats, probs)
}

fn moments(x: &[f64], d: usize) -> (DVector<f64>, DMatrix<f64>) {
    let n = x.len() / d;
    let m = DMatrix::from_row_slice(n, d, x);
    let mean = DVector::from_iterator(d, (0..d).map(|j| m.column(j).mean()));
    let centred = DMatrix::from_fn(n, d, |i, j| m[(i, j)] - mean[j]);
    let cov = centred.transpose() * &centred / (n as f64 - 1.0);
    (mean, cov)
}

fn sqrt_psd(a: &DMatrix<f64>) -> DMatrix<f64> {
    let e = SymmetricEigen::new(a.clone());
    let vals = e.eigenvalues.map(|v| v.max(0.0).sqrt());
    &e.eigenvectors * DMatrix::from_diagonal(&vals) * e.eigenvectors.transpose()
}

/// Fréchet distance between Gaussians fitted to two feature sets (rows of `d`):
/// `|μ1 − μ2|² + tr(Σ1 + Σ2 − 2 (Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2})`.
pub fn frechet_distance(a: &[f64], b: &[f64], d: usize) -> f64 {
    let (m1, s1) = moments(a, d);
    let (m2, s2) = moments(b, d);
    let r1 = sqrt_psd(&s1);
    let inner = &r1 * &s2 * &r1;
    let inner = (&inner + inner.transpose()) * 0.5;
    let tr_sqrt: f64 = SymmetricEigen::new(inner)
        .eigenvalues
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .sum();
    ((m1 - m2).norm_squared() + s1.trace() + s2.trace() - 2.0 * tr_sqrt).max(0.0)
}

/// `exp(E_x[KL(p(y|x) ‖ p(y))])` over rows of 10 class probabilities.
pub fn inception_score(probs: &[f64], k: usize) -> f64 {
    let n = probs.len() / k;
    let marginal: Vec<f64> = (0..k)
        .map(|c| (0..n).map(|i| probs[i * k + c]).sum::<f64>() / n as f64)
        .collect();
    let kl: f64 = (0..n)
        .map(|i| {
            (0..k)
                .map(|c| {
                    let p = probs[i * k + c];
                    if p > 0.0 {
                        p * (p.ln() - marginal[c].max(1e-30).ln())
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
        })
        .sum::<f64>()
        / n as f64;
    kl.exp()
}

/// The most probable class of each row of `k` class probabilities.
pub fn predicted_classes(probs: &[f64], k: usize) -> Vec<usize> {
    probs
        .chunks(k)
        .map(|row| (0..k).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap())
        .collect()
}

/// The share of samples the classifier assigns to each of its `k` classes.
pub fn class_histogram(probs: &[f64], k: usize) -> Vec<f64> {
    let classes = predicted_classes(probs, k);
    let mut h = vec![0.0; k];
    for c in &classes {
        h[*c] += 1.0 / classes.len() as f64;
    }
    h
}

/// Image metrics of a sample beside real data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageReport {
    pub n: usize,
    /// FID of the samples against the reference set, and of as many real training digits
    /// against the same reference (the floor).
    pub fid: f64,
    pub fid_floor: f64,
    pub inception_score: f64,
    pub inception_score_real: f64,
    /// Classes receiving at least half their fair share (5%) of the samples.
    pub classes_covered: usize,
    pub class_histogram: Vec<f64>,
}

/// Scores `samples` (rows in [-1, 1]) against `reference`, with `real` (real digits, as many
/// as the samples) as the floor.
pub fn evaluate_images(
    clf: &Classifier,
    samples: &[f32],
    reference: &[f32],
    real: &[f32],
    device: &Device,
) -> ImageReport {
    let (fs, ps) = embed(clf, samples, device);
    let (fr, _) = embed(clf, reference, device);
    let (fq, pq) = embed(clf, real, device);
    let k = clf.classes();
    let hist = class_histogram(&ps, k);
    ImageReport {
        n: samples.len() / clf.dim(),
        fid: frechet_distance(&fs, &fr, FEATURES),
        fid_floor: frechet_distance(&fq, &fr, FEATURES),
        inception_score: inception_score(&ps, k),
        inception_score_real: inception_score(&pq, k),
        classes_covered: hist.iter().filter(|h| **h >= 0.5 / k as f64).count(),
        class_histogram: hist,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    #[test]
    fn frechet_distance_of_gaussians_matches_the_closed_form() {
        // N(0, I) vs N(m, 4I) in d dims: |m|² + d(1 + 4 − 2·2) = |m|² + d.
        let d = 4;
        let mut rng = SeededRng::new(1);
        let a: Vec<f64> = (0..20000 * d).map(|_| rng.normal()).collect();
        let b: Vec<f64> = (0..20000 * d)
            .map(|i| 2.0 * rng.normal() + if i % d == 0 { 3.0 } else { 0.0 })
            .collect();
        let fd = frechet_distance(&a, &b, d);
        assert!((fd - (9.0 + 4.0)).abs() < 0.3, "{fd}");
        assert!(frechet_distance(&a, &a, d) < 1e-9);
    }

    #[test]
    fn inception_score_and_histogram_on_known_predictions() {
        // Confident and balanced: IS = 10; all one class: IS = 1.
        let confident: Vec<f64> = (0..100)
            .flat_map(|i| (0..10).map(move |c| if c == i % 10 { 1.0 } else { 0.0 }))
            .collect();
        assert!((inception_score(&confident, 10) - 10.0).abs() < 1e-9);
        let collapsed: Vec<f64> = (0..100)
            .flat_map(|_| (0..10).map(|c| if c == 3 { 1.0 } else { 0.0 }))
            .collect();
        assert!((inception_score(&collapsed, 10) - 1.0).abs() < 1e-9);
        assert!((class_histogram(&collapsed, 10)[3] - 1.0).abs() < 1e-12);
    }
}
