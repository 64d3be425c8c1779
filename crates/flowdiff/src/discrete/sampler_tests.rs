//! The samplers' laws against exact answers: with the exact denoiser of one categorical
//! component each sampler must reproduce the data law (or, with target guidance, its guided
//! chain's exact law).

use super::distortion::TimeDistortion;
use super::path::{DiscreteMethod, MixturePath};
use super::prior::{Prior, PriorKind};
use super::sampler::{ancestral_step, ctmc_guided_step, ctmc_remask_step, ctmc_step};
use crate::rng::SeededRng;

/// The exact denoiser of a single categorical component with data law `pi`:
/// `p(x1 | x_tau) ∝ pi(x1)·(κ·δ(x_tau, x1) + (1 − κ)·p0(x_tau))`.
fn exact_posterior(pi: &[f64], prior: &Prior, kappa: f64, x: usize) -> Vec<f32> {
    let w: Vec<f64> = (0..pi.len())
        .map(|x1| pi[x1] * (kappa * f64::from(u8::from(x == x1)) + (1.0 - kappa) * prior.probs[x]))
        .collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|v| (v / total) as f32).collect()
}

/// Runs `count` independent components from the prior to the data with the exact denoiser
/// and returns the empirical law of the result; `(eta, omega)` are the flow's re-masking
/// noise (mask prior) and target guidance.
fn run_chain(
    method: DiscreteMethod,
    kind: PriorKind,
    pi: &[f64],
    steps: usize,
    (eta, omega): (f64, f64),
    distortion: TimeDistortion,
) -> Vec<f64> {
    let marginal = [0.1, 0.2, 0.3, 0.4];
    let prior = Prior::new(kind, &marginal);
    let path = MixturePath::new(method);
    let grid = path.distorted_grid(steps, distortion);
    let mut rng = SeededRng::new(7);
    let count = 20_000;
    let mut hist = vec![0.0; pi.len()];
    for _ in 0..count {
        let mut x = prior.draw(rng.uniform());
        for w in grid.windows(2) {
            let (ks, kt) = (path.kappa(w[0]), path.kappa(w[1]));
            let probs = exact_posterior(pi, &prior, ks, x);
            x = match method {
                DiscreteMethod::Diffusion { .. } => {
                    ancestral_step(x, &probs, &prior, ks, kt, &mut rng)
                }
                DiscreteMethod::Flow if eta > 0.0 => {
                    ctmc_remask_step(x, &probs, pi.len(), (w[0], w[1]), (eta, omega), &mut rng)
                }
                DiscreteMethod::Flow if omega > 0.0 => {
                    ctmc_guided_step(x, &probs, &prior.probs, (w[0], w[1]), omega, &mut rng)
                }
                DiscreteMethod::Flow => {
                    let jump = ((w[1] - w[0]) / (1.0 - w[0])).min(1.0);
                    ctmc_step(x, &probs, jump, &mut rng)
                }
            };
        }
        assert!(x < pi.len(), "ended in the mask state");
        hist[x] += 1.0 / count as f64;
    }
    hist
}

pub(super) fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / 2.0
}

#[test]
fn samplers_with_the_exact_denoiser_reproduce_the_data_law() {
    // A law far from every prior, so a sampler that ignores the denoiser fails.
    let pi = [0.7, 0.05, 0.05, 0.2];
    for kind in [PriorKind::Marginal, PriorKind::Uniform, PriorKind::Mask] {
        for method in [
            DiscreteMethod::Diffusion { timesteps: 500 },
            DiscreteMethod::Flow,
        ] {
            for steps in [10, 100] {
                let hist = run_chain(
                    method,
                    kind,
                    &pi,
                    steps,
                    (0.0, 0.0),
                    TimeDistortion::Identity,
                );
                let tv = total_variation(&hist, &pi);
                // Sampling noise of 20,000 draws: TV ≈ 0.005.
                assert!(
                    tv < 0.015,
                    "{method:?} {kind:?} {steps} steps: law {hist:?}, TV {tv:.4}"
                );
            }
        }
    }
}

#[test]
fn remasking_noise_keeps_the_data_law() {
    // Detailed-balance noise leaves the path's marginals unchanged (Campbell et al. 2024).
    let pi = [0.7, 0.05, 0.05, 0.2];
    for eta in [1.0, 10.0] {
        let hist = run_chain(
            DiscreteMethod::Flow,
            PriorKind::Mask,
            &pi,
            200,
            (eta, 0.0),
            TimeDistortion::Identity,
        );
        let tv = total_variation(&hist, &pi);
        assert!(tv < 0.015, "eta {eta}: law {hist:?}, TV {tv:.4}");
    }
}

/// The exact law of the target-guided CTMC of one component (marginal or uniform prior),
/// propagated as a distribution over the states step by step: from `x` the chain moves to
/// `j ≠ x` with probability `p̂(j | x)·min(1, h·(1/(1 − s) + ω/(K·(1 − s)·p0(x))))`.
fn guided_law(pi: &[f64], prior: &Prior, steps: usize, omega: f64) -> Vec<f64> {
    let k = pi.len();
    let mut law = prior.probs.clone();
    for i in 0..steps {
        let (s, t) = (i as f64 / steps as f64, (i + 1) as f64 / steps as f64);
        let mut next = vec![0.0; k];
        for (x, &px) in law.iter().enumerate() {
            let post = exact_posterior(pi, prior, s, x);
            let rate = 1.0 / (1.0 - s) + omega / (k as f64 * (1.0 - s) * prior.probs[x]);
            let jump = ((t - s) * rate).min(1.0);
            for (j, &q) in post.iter().enumerate() {
                let moved = if j == x { 0.0 } else { q as f64 * jump };
                next[j] += px * moved;
                next[x] -= px * moved;
            }
            next[x] += px;
        }
        law = next;
    }
    law
}

#[test]
fn target_guidance_samples_its_chain_and_sharpens_the_law() {
    // With ω > 0 the law leaves the data's towards its likelier classes (an O(ω) bias,
    // Qin et al. 2025 §3.2); the sampler must draw exactly the guided chain's law.
    let pi = [0.7, 0.05, 0.05, 0.2];
    let prior = Prior::new(PriorKind::Marginal, &[0.1, 0.2, 0.3, 0.4]);
    let mut mode = Vec::new();
    for omega in [0.0, 0.05, 0.5, 2.0] {
        let hist = run_chain(
            DiscreteMethod::Flow,
            PriorKind::Marginal,
            &pi,
            50,
            (0.0, omega),
            TimeDistortion::Identity,
        );
        let exact = guided_law(&pi, &prior, 50, omega);
        let tv = total_variation(&hist, &exact);
        assert!(
            tv < 0.015,
            "omega {omega}: sampled {hist:?}, chain {exact:?}, TV {tv:.4}"
        );
        mode.push(exact[0]);
        if omega <= 0.05 {
            let bias = total_variation(&exact, &pi);
            assert!(
                bias < 0.02,
                "omega {omega}: law {exact:?} is {bias:.4} from the data"
            );
        }
    }
    assert!(
        mode.windows(2).all(|w| w[1] > w[0]) && mode[3] > pi[0] + 0.05,
        "the likeliest class gains mass with omega: {mode:?}"
    );
}

#[test]
fn every_time_distortion_keeps_the_data_law() {
    // The CTMC is exact for any grid given the exact denoiser; a distortion only moves steps.
    let pi = [0.7, 0.05, 0.05, 0.2];
    for distortion in TimeDistortion::NAMES.map(|n| TimeDistortion::parse(n).unwrap()) {
        for (kind, eta) in [(PriorKind::Marginal, 0.0), (PriorKind::Mask, 5.0)] {
            let hist = run_chain(DiscreteMethod::Flow, kind, &pi, 20, (eta, 0.0), distortion);
            let tv = total_variation(&hist, &pi);
            assert!(
                tv < 0.015,
                "{distortion:?} {kind:?}: law {hist:?}, TV {tv:.4}"
            );
        }
    }
}
