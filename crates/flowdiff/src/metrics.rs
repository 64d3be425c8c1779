//! Sample-quality metrics between two point sets (row-major `[n, d]`), each also reported
//! against its noise floor: the same metric between two independent draws of the data of the
//! same size, so `ratio = 1` means "as close as a fresh data draw".

use crate::rng::SeededRng;
use serde::{Deserialize, Serialize};

/// Number of fixed random directions of the sliced Wasserstein distance.
pub const PROJECTIONS: usize = 256;
/// Seed of those directions (fixed, so every report uses the same ones).
pub const PROJECTION_SEED: u64 = 0x5eed;

fn directions(d: usize) -> Vec<Vec<f64>> {
    let mut rng = SeededRng::new(PROJECTION_SEED);
    (0..PROJECTIONS)
        .map(|_| {
            let v: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Quantile `q ∈ (0,1)` of sorted values, by linear interpolation.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * sorted.len() as f64 - 0.5;
    let lo = pos.floor().clamp(0.0, (sorted.len() - 1) as f64) as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let w = (pos - lo as f64).clamp(0.0, 1.0);
    sorted[lo] * (1.0 - w) + sorted[hi] * w
}

/// Sliced 2-Wasserstein distance (Rabin et al. 2011; Bonneel et al. 2015):
/// `sqrt(mean_θ W2²(θ·a, θ·b))` over [`PROJECTIONS`] fixed unit directions.
pub fn sliced_wasserstein(a: &[f32], b: &[f32], d: usize) -> f64 {
    let (na, nb) = (a.len() / d, b.len() / d);
    let m = na.max(nb);
    let mut total = 0.0;
    for theta in directions(d) {
        let project = |x: &[f32], n: usize| {
            let mut p: Vec<f64> = (0..n)
                .map(|i| (0..d).map(|j| x[i * d + j] as f64 * theta[j]).sum())
                .collect();
            p.sort_by(|u, v| u.partial_cmp(v).unwrap());
            p
        };
        let (pa, pb) = (project(a, na), project(b, nb));
        let w2: f64 = if na == nb {
            pa.iter()
                .zip(&pb)
                .map(|(u, v)| (u - v).powi(2))
                .sum::<f64>()
                / na as f64
        } else {
            (0..m)
                .map(|k| {
                    let q = (k as f64 + 0.5) / m as f64;
                    (quantile(&pa, q) - quantile(&pb, q)).powi(2)
                })
                .sum::<f64>()
                / m as f64
        };
        total += w2;
    }
    (total / PROJECTIONS as f64).sqrt()
}

fn mean_pairwise(a: &[f32], b: &[f32], d: usize, f: impl Fn(f64) -> f64) -> f64 {
    let (na, nb) = (a.len() / d, b.len() / d);
    let mut s = 0.0;
    for i in 0..na {
        let x = &a[i * d..(i + 1) * d];
        for j in 0..nb {
            let y = &b[j * d..(j + 1) * d];
            let d2: f64 = x.iter().zip(y).map(|(u, v)| ((u - v) as f64).powi(2)).sum();
            s += f(d2);
        }
    }
    s / (na * nb) as f64
}

/// Energy distance (Székely & Rizzo 2013): `2E|X−Y| − E|X−X'| − E|Y−Y'|` (V-statistic).
pub fn energy_distance(a: &[f32], b: &[f32], d: usize) -> f64 {
    let dist = |d2: f64| d2.sqrt();
    2.0 * mean_pairwise(a, b, d, dist) - mean_pairwise(a, a, d, dist) - mean_pairwise(b, b, d, dist)
}

/// Bandwidths (as multiples of the reference set's RMS spread) of the RBF kernels.
const MMD_SCALES: [f64; 3] = [0.1, 0.3, 1.0];

/// Squared maximum mean discrepancy (Gretton et al. 2012), biased estimate, with a sum of RBF
/// kernels whose bandwidths are [`MMD_SCALES`] times `scale`.
pub fn mmd_rbf(a: &[f32], b: &[f32], d: usize, scale: f64) -> f64 {
    let k = |d2: f64| {
        MMD_SCALES
            .iter()
            .map(|s| (-d2 / (2.0 * (s * scale).powi(2))).exp())
            .sum::<f64>()
    };
    (mean_pairwise(a, a, d, k) + mean_pairwise(b, b, d, k) - 2.0 * mean_pairwise(a, b, d, k))
        .max(0.0)
}

/// RMS distance of points from their mean: the natural length scale of a set.
pub fn spread(a: &[f32], d: usize) -> f64 {
    let n = a.len() / d;
    let mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| a[i * d + j] as f64).sum::<f64>() / n as f64)
        .collect();
    ((0..n)
        .map(|i| {
            (0..d)
                .map(|j| (a[i * d + j] as f64 - mean[j]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / n as f64)
        .sqrt()
}

/// One metric, its noise floor and their ratio.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Scored {
    pub value: f64,
    pub floor: f64,
    pub ratio: f64,
}

impl Scored {
    fn new(value: f64, floor: f64) -> Self {
        Self {
            value,
            floor,
            ratio: value / floor.max(1e-300),
        }
    }
}

/// The metrics of a sample against data, with noise floors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub n: usize,
    pub sliced_w2: Scored,
    pub energy: Scored,
    pub mmd: Scored,
}

/// Number of independent reference draws [`evaluate`] averages over. A single draw's sliced
/// W2 at n = 5000 varies by a factor of ~3 between draws (heavy-tailed fluctuations of the
/// empirical quantiles), so both the value and the floor are means over draws.
pub const REFERENCE_DRAWS: usize = 5;

/// Compares `samples` with `refs`, independent draws of the data of the same size: each
/// metric's value is its mean over `(samples, ref_k)` and its floor the mean over all pairs
/// `(ref_j, ref_k)`. Energy and MMD use at most `pairwise_cap` points of each set (they are
/// quadratic in n).
pub fn evaluate(samples: &[f32], refs: &[Vec<f32>], d: usize, pairwise_cap: usize) -> Report {
    assert!(
        refs.len() >= 2,
        "the noise floor needs at least two reference draws"
    );
    let cap = |x: &[f32]| -> Vec<f32> { x[..x.len().min(pairwise_cap * d)].to_vec() };
    let s = cap(samples);
    let capped: Vec<Vec<f32>> = refs.iter().map(|r| cap(r)).collect();
    let scale = spread(&refs[0], d);
    let pairs: Vec<(usize, usize)> = (0..refs.len())
        .flat_map(|j| (j + 1..refs.len()).map(move |k| (j, k)))
        .collect();
    let score = |f: &dyn Fn(&[f32], &[f32]) -> f64, full: bool| {
        let sets: &[Vec<f32>] = if full { refs } else { &capped };
        let x: &[f32] = if full { samples } else { &s };
        let value = sets.iter().map(|r| f(x, r)).sum::<f64>() / sets.len() as f64;
        let floor = pairs
            .iter()
            .map(|&(j, k)| f(&sets[j], &sets[k]))
            .sum::<f64>()
            / pairs.len() as f64;
        Scored::new(value, floor)
    };
    Report {
        n: samples.len() / d,
        sliced_w2: score(&|a, b| sliced_wasserstein(a, b, d), true),
        energy: score(&|a, b| energy_distance(a, b, d), false),
        mmd: score(&|a, b| mmd_rbf(a, b, d, scale), false),
    }
}

/// `draws` independent reference sets of `n` points from `sample`.
pub fn reference_draws(
    mut sample: impl FnMut(usize) -> Vec<f32>,
    n: usize,
    draws: usize,
) -> Vec<Vec<f32>> {
    (0..draws).map(|_| sample(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::toy::Toy;

    #[test]
    fn sliced_w2_of_a_shift_is_the_shift_length_over_root_d() {
        // Shifting by c changes every 1-D projection by θ·c; E[(θ·c)²] = |c|²/d.
        let mut rng = SeededRng::new(1);
        let a = rng.normal_vec(4000);
        let b: Vec<f32> = a
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 3.0 } else { 0.0 })
            .collect();
        let sw = sliced_wasserstein(&a, &b, 2);
        assert!((sw - 3.0 / 2f64.sqrt()).abs() < 0.1, "{sw}");
        assert!(sliced_wasserstein(&a, &a, 2) < 1e-12);
    }

    #[test]
    fn metrics_separate_a_wrong_distribution_from_the_floor() {
        let mut rng = SeededRng::new(2);
        let refs = reference_draws(|n| Toy::Moons.sample(n, &mut rng), 1500, 4);
        let fresh = Toy::Moons.sample(1500, &mut SeededRng::new(77));
        let wrong = Toy::Circles.sample(1500, &mut SeededRng::new(78));
        let good = evaluate(&fresh, &refs, 2, 1500);
        let bad = evaluate(&wrong, &refs, 2, 1500);
        assert!(
            good.sliced_w2.ratio < 1.6 && good.energy.ratio < 3.0 && good.mmd.ratio < 3.0,
            "{good:?}"
        );
        assert!(
            bad.sliced_w2.ratio > 5.0 && bad.energy.ratio > 10.0 && bad.mmd.ratio > 10.0,
            "{bad:?}"
        );
    }

    #[test]
    fn energy_distance_is_zero_for_identical_sets_and_positive_otherwise() {
        let mut rng = SeededRng::new(3);
        let a = rng.normal_vec(600);
        assert!(energy_distance(&a, &a, 2).abs() < 1e-12);
        let b: Vec<f32> = a.iter().map(|v| v * 2.0).collect();
        assert!(energy_distance(&a, &b, 2) > 0.1);
    }
}
