//! Likelihoods against closed forms.

use super::*;
use crate::models::{ExactModel, GaussianMixture, MlpConfig};
use crate::path::{DiffusionPath, PathKind};
use crate::sampling::NetModel;
use crate::schedule::{NoiseSchedule, ScheduleKind};
use crate::solver::SolverKind;
use burn::tensor::Device;
use std::sync::Arc;

fn opts() -> SolveOptions {
    SolveOptions::adaptive(SolverKind::Dopri5, 1e-6, 1e-6)
}

#[test]
fn exact_gaussian_nll_matches_the_analytic_value() {
    let data = GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6);
    let device = Device::flex();
    let x = data.sample(300, &mut SeededRng::new(1));
    let truth: f64 = x
        .chunks(2)
        .map(|p| -data.log_density(&[p[0] as f64, p[1] as f64]))
        .sum::<f64>()
        / 600.0;
    let path = PathKind::cond_ot().build();
    let model = ExactModel {
        data: data.clone(),
        path: Arc::from(PathKind::cond_ot().build()),
        prediction: Prediction::Velocity,
        device: device.clone(),
    };
    let xt = crate::device::tensor2(x, 300, 2, &device);
    let lik = log_likelihood(
        &model,
        path.as_ref(),
        xt,
        1.0,
        Divergence::Exact,
        &opts(),
        &mut SeededRng::new(2),
    )
    .unwrap();
    let err = (lik.nats_per_dim() - truth).abs();
    println!(
        "exact Gaussian: ODE {:.6} vs analytic {truth:.6} nats/dim ({} NFE)",
        lik.nats_per_dim(),
        lik.nfe
    );
    assert!(
        err < 1e-3,
        "NLL {} vs analytic {truth} nats/dim",
        lik.nats_per_dim()
    );
}

#[test]
fn exact_mixture_nll_through_the_diffusion_pf_ode_matches_the_analytic_value() {
    // The PF-ODE's density at step 0 is the data convolved with N(0, 1 − ᾱ_0): compare with
    // that closed form.
    let data = GaussianMixture::eight_gaussians();
    let device = Device::flex();
    let schedule = NoiseSchedule::new(ScheduleKind::Linear, 1000);
    let path = DiffusionPath {
        schedule: schedule.clone(),
    };
    let tau_data = schedule.tau_of_index(0);
    let c = path.coeffs(tau_data);
    let x = data.sample(200, &mut SeededRng::new(3));
    let truth: f64 = x
        .chunks(2)
        .map(|p| -data.log_density_on_path(&[p[0] as f64, p[1] as f64], c.alpha, c.sigma))
        .sum::<f64>()
        / 400.0;
    let model = ExactModel {
        data,
        path: Arc::new(path.clone()),
        prediction: Prediction::Noise,
        device: device.clone(),
    };
    let xt = crate::device::tensor2(x, 200, 2, &device);
    let lik = log_likelihood(
        &model,
        &path,
        xt,
        tau_data,
        Divergence::Exact,
        &opts(),
        &mut SeededRng::new(4),
    )
    .unwrap();
    println!(
        "eight gaussians via PF-ODE: {:.6} vs {truth:.6} nats/dim ({} NFE)",
        lik.nats_per_dim(),
        lik.nfe
    );
    assert!(
        (lik.nats_per_dim() - truth).abs() < 1e-3,
        "{} vs {truth}",
        lik.nats_per_dim()
    );
}

#[test]
fn autodiff_divergence_of_a_network_is_exact_and_hutchinson_is_unbiased() {
    // A random network: exact divergence by reverse mode vs central finite differences of the
    // log-likelihood integrand, and Hutchinson with many probes vs exact.
    let device = Device::flex().autodiff();
    let net = MlpConfig {
        width: 32,
        depth: 2,
        ..MlpConfig::new(2)
    }
    .init(&device);
    let model = NetModel::new(crate::models::Network::Mlp(net), Prediction::Velocity);
    let path = PathKind::cond_ot().build();
    let x = crate::device::tensor2(vec![0.3, -0.7, 1.2, 0.4, -1.0, 0.1], 3, 2, &Device::flex());
    let field = |m: Divergence, probes: Vec<Tensor<2>>| Augmented {
        model: &model,
        path: path.as_ref(),
        dim: 2,
        method: m,
        probes,
    };
    let (_, div) = field(Divergence::Exact, vec![]).velocity_divergence(&x, 0.4);
    let div = crate::device::to_vec(div);
    // Finite differences of the velocity.
    let aug = field(Divergence::Exact, vec![]);
    let h = 1e-2f32;
    let base = crate::device::to_vec(x.clone());
    for (row, want) in div.iter().enumerate() {
        let mut fd = 0.0f64;
        for j in 0..2 {
            let shifted = |s: f32| {
                let mut v = base.clone();
                v[row * 2 + j] += s;
                crate::device::to_vec(
                    aug.velocity(
                        crate::device::tensor2(v, 3, 2, &Device::flex()).autodiff(),
                        0.4,
                    )
                    .inner(),
                )[row * 2 + j] as f64
            };
            fd += (shifted(h) - shifted(-h)) / (2.0 * h as f64);
        }
        assert!(
            (fd - *want as f64).abs() < 1e-2 * (1.0 + fd.abs()),
            "row {row}: fd {fd} vs autodiff {want}"
        );
    }
    let mut rng = SeededRng::new(5);
    let probes: Vec<Tensor<2>> = (0..400)
        .map(|_| {
            crate::device::tensor2(
                (0..6)
                    .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                    .collect(),
                3,
                2,
                &Device::flex(),
            )
        })
        .collect();
    let (_, hutch) =
        field(Divergence::Hutchinson { probes: 400 }, probes).velocity_divergence(&x, 0.4);
    for (a, b) in crate::device::to_vec(hutch).iter().zip(&div) {
        assert!(
            (a - b).abs() < 0.1 * (1.0 + b.abs()),
            "Hutchinson {a} vs exact {b}"
        );
    }
}
