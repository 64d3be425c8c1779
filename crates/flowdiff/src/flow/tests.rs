//! Flow-matching sampling on exact models: every solver, both paths, must reproduce the
//! target distribution.

use super::*;
use crate::models::{ExactModel, GaussianMixture};
use crate::path::PathKind;
use crate::solver::SolverKind;
use crate::testing::assert_matches;
use burn::tensor::Device;

const N: usize = 4000;

fn exact(data: GaussianMixture, path: PathKind, prediction: Prediction) -> ExactModel {
    ExactModel {
        data,
        path: Arc::from(path.build()),
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
fn every_solver_reproduces_the_target_on_the_cond_ot_path() {
    for (name, data) in targets() {
        let model = exact(data.clone(), PathKind::cond_ot(), Prediction::Velocity);
        let path = PathKind::cond_ot().build();
        for (solver, nfe) in [
            (SolverKind::Euler, 100),
            (SolverKind::Midpoint, 20),
            (SolverKind::Heun, 20),
            (SolverKind::Rk4, 20),
        ] {
            let opts = SolveOptions::fixed(solver, solver.steps_for_nfe(nfe));
            let sol = sample_ode(&model, path.as_ref(), N, &opts, &mut SeededRng::new(1)).unwrap();
            assert_eq!(sol.nfe, nfe);
            let x = crate::device::to_vec(sol.x);
            assert_matches(
                &format!("{name}/{}", solver.name()),
                &x,
                &data,
                0.12,
                0.08,
                1.6,
            );
        }
        let sol = sample_ode(
            &model,
            path.as_ref(),
            N,
            &SolveOptions::adaptive(SolverKind::Dopri5, 1e-4, 1e-4),
            &mut SeededRng::new(1),
        )
        .unwrap();
        assert_matches(
            &format!("{name}/dopri5"),
            &crate::device::to_vec(sol.x),
            &data,
            0.12,
            0.08,
            1.6,
        );
    }
}

#[test]
fn the_vp_path_and_other_parameterisations_sample_correctly() {
    // A data-predicting exact model on the VP path, converted to velocity on the fly.
    for (name, data) in targets() {
        let model = exact(data.clone(), PathKind::vp(), Prediction::Data);
        let path = PathKind::vp().build();
        let sol = sample_ode(
            &model,
            path.as_ref(),
            N,
            &SolveOptions::adaptive(SolverKind::Dopri5, 1e-4, 1e-4),
            &mut SeededRng::new(2),
        )
        .unwrap();
        assert_matches(
            &format!("{name}/vp/dopri5"),
            &crate::device::to_vec(sol.x),
            &data,
            0.12,
            0.08,
            1.6,
        );
    }
}

#[test]
fn too_few_euler_steps_are_detectably_wrong() {
    // The test must be able to fail: one Euler step from noise lands on the mixture mean,
    // far from eight separated modes.
    let data = GaussianMixture::eight_gaussians();
    let model = exact(data.clone(), PathKind::cond_ot(), Prediction::Velocity);
    let path = PathKind::cond_ot().build();
    let sol = sample_ode(
        &model,
        path.as_ref(),
        N,
        &SolveOptions::fixed(SolverKind::Euler, 1),
        &mut SeededRng::new(3),
    )
    .unwrap();
    let x = crate::device::to_vec(sol.x);
    let result =
        std::panic::catch_unwind(|| assert_matches("one euler step", &x, &data, 0.12, 0.08, 1.6));
    assert!(result.is_err());
}

#[test]
fn flow_objective_targets_are_the_conditional_velocity() {
    // For cond-OT the target is x1 - x0 and x = tau x1 + (1 - tau) x0: check target = (x1 - x)/(1 - tau).
    let device = Device::flex();
    let obj = FlowObjective {
        path: Arc::from(PathKind::cond_ot().build()),
        coupling: Coupling::MinibatchOt,
        times: crate::flow::TimeSampling::Uniform,
    };
    let x1v = crate::data::toy::Toy::Moons.sample(64, &mut SeededRng::new(4));
    let x1 = crate::device::tensor2(x1v.clone(), 64, 2, &device);
    let b = obj.batch(x1, &mut SeededRng::new(5));
    let (x, t, target) = (
        crate::device::to_vec(b.x),
        crate::device::to_vec(b.t),
        crate::device::to_vec(b.target),
    );
    for i in 0..64 {
        for j in 0..2 {
            let want = (x1v[2 * i + j] - x[2 * i + j]) / (1.0 - t[i]);
            assert!(
                (target[2 * i + j] - want).abs() < 1e-3 * (1.0 + want.abs()),
                "row {i}"
            );
        }
    }
}
