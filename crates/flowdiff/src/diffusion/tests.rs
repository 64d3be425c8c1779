//! Diffusion samplers on exact models: DDPM (both variances), DDIM (eta 0 and 1) and the
//! probability-flow ODE must reproduce the target distribution.

use super::*;
use crate::convert::Prediction;
use crate::models::{ExactModel, GaussianMixture};
use crate::path::DiffusionPath;
use crate::rng::SeededRng;
use crate::schedule::{NoiseSchedule, ScheduleKind};
use crate::solver::{SolveOptions, SolverKind};
use crate::testing::assert_matches;
use burn::tensor::Device;
use std::sync::Arc;

const N: usize = 4000;

fn exact(data: &GaussianMixture, schedule: &NoiseSchedule, prediction: Prediction) -> ExactModel {
    ExactModel {
        data: data.clone(),
        path: Arc::new(DiffusionPath {
            schedule: schedule.clone(),
        }),
        prediction,
        device: Device::flex(),
    }
}

fn targets() -> Vec<(&'static str, GaussianMixture)> {
    vec![
        (
            "rotated gaussian",
            GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6),
        ),
        ("eight gaussians", GaussianMixture::eight_gaussians()),
    ]
}

#[test]
fn ddpm_with_either_variance_reproduces_the_target() {
    let schedule = NoiseSchedule::new(ScheduleKind::Linear, 1000);
    for (name, data) in targets() {
        let model = exact(&data, &schedule, Prediction::Noise);
        for variance in [Variance::Small, Variance::Large] {
            let sol = ddpm(
                &model,
                &schedule,
                &schedule.strided(1000),
                variance,
                N,
                &mut SeededRng::new(1),
                false,
            );
            assert_eq!(sol.nfe, 1000);
            assert_matches(
                &format!("{name}/ddpm/{variance:?}"),
                &crate::device::to_vec(sol.x),
                &data,
                0.12,
                0.08,
                1.6,
            );
        }
    }
}

#[test]
fn ddim_at_50_steps_reproduces_the_target_for_every_prediction_and_schedule() {
    for kind in [
        ScheduleKind::Linear,
        ScheduleKind::Cosine,
        ScheduleKind::Sigmoid,
    ] {
        let schedule = NoiseSchedule::new(kind, 1000);
        for (name, data) in targets() {
            for prediction in [Prediction::Noise, Prediction::V, Prediction::Data] {
                let (model, eta) = (exact(&data, &schedule, prediction), 0.0);
                let sol = ddim(
                    &model,
                    &schedule,
                    &schedule.strided(50),
                    eta,
                    N,
                    &mut SeededRng::new(2),
                    false,
                );
                assert_eq!(sol.nfe, 50);
                let label = format!("{name}/ddim/{kind:?}/{prediction:?}/eta={eta}");
                assert_matches(
                    &label,
                    &crate::device::to_vec(sol.x),
                    &data,
                    0.12,
                    0.08,
                    1.6,
                );
            }
        }
    }
}

#[test]
fn stochastic_ddim_converges_as_steps_increase() {
    // eta = 1 adds fresh noise every step; with few large steps its variance is visibly off
    // (Song et al. 2021, Table 1), with 250 it reproduces the target.
    let schedule = NoiseSchedule::new(ScheduleKind::Linear, 1000);
    let data = GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6);
    let model = exact(&data, &schedule, Prediction::Data);
    let sol = ddim(
        &model,
        &schedule,
        &schedule.strided(250),
        1.0,
        N,
        &mut SeededRng::new(2),
        false,
    );
    assert_matches(
        "ddim/eta=1/250",
        &crate::device::to_vec(sol.x),
        &data,
        0.12,
        0.08,
        1.6,
    );
}

#[test]
fn probability_flow_ode_reproduces_the_target_through_the_shared_solvers() {
    let schedule = NoiseSchedule::new(ScheduleKind::Linear, 1000);
    for (name, data) in targets() {
        let model = exact(&data, &schedule, Prediction::Noise);
        for opts in [
            SolveOptions::fixed(SolverKind::Heun, 50),
            SolveOptions::adaptive(SolverKind::Dopri5, 1e-4, 1e-4),
        ] {
            let sol =
                probability_flow(&model, &schedule, &opts, N, &mut SeededRng::new(3)).unwrap();
            let label = format!("{name}/pf-ode/{}", opts.solver.name());
            assert_matches(
                &label,
                &crate::device::to_vec(sol.x),
                &data,
                0.12,
                0.08,
                1.6,
            );
        }
    }
}

#[test]
fn a_wrong_model_is_caught() {
    // Sampling the eight-Gaussian score with a single-Gaussian target must fail the check.
    let schedule = NoiseSchedule::new(ScheduleKind::Linear, 1000);
    let model = exact(
        &GaussianMixture::eight_gaussians(),
        &schedule,
        Prediction::Noise,
    );
    let sol = ddim(
        &model,
        &schedule,
        &schedule.strided(50),
        0.0,
        N,
        &mut SeededRng::new(4),
        false,
    );
    let x = crate::device::to_vec(sol.x);
    let wrong = GaussianMixture::rotated_gaussian_2d([0.0, 0.0], [2.0, 2.0], 0.0);
    assert!(
        std::panic::catch_unwind(|| assert_matches("wrong", &x, &wrong, 0.12, 0.08, 1.6)).is_err()
    );
}
