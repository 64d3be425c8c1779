//! Reflow against exact answers: on a Gaussian target the cond-OT teacher's ODE map is the
//! linear `x1 = m + Σ^{1/2} x0`, whose straight interpolations never cross, so one reflow
//! round makes one Euler step exact (Liu et al. 2022, Theorem 3.6 and §2.2).

use super::reflow::{PairSpec, cached_pairs, pairs, student_config};
use super::*;
use crate::data::toy::Toy;
use crate::data::{DataSource, DataSpec, PointSource};
use crate::flow::{Coupling, sample_ode};
use crate::method::Method;
use crate::models::exact::{ExactModel, GaussianMixture};
use crate::path::PathKind;
use crate::solver::{SolveOptions, SolverKind};
use crate::train::{TrainConfig, TrainOptions, fit};
use std::sync::Arc;

pub(super) const MEAN: [f64; 2] = [1.0, -2.0];
const STDS: [f64; 2] = [2.0, 0.5];
const ANGLE: f64 = 0.6;

pub(super) fn teacher() -> ExactModel {
    ExactModel {
        data: GaussianMixture::rotated_gaussian_2d(MEAN, STDS, ANGLE),
        path: Arc::from(PathKind::cond_ot().build()),
        prediction: crate::convert::Prediction::Velocity,
        device: crate::device::default(),
    }
}

/// `Σ^{1/2} = Q diag(stds) Qᵀ`, row-major.
fn sqrt_cov() -> [f64; 4] {
    let (c, s) = (ANGLE.cos(), ANGLE.sin());
    let q = [c, -s, s, c];
    let mut a = [0.0; 4];
    for i in 0..2 {
        for j in 0..2 {
            a[i * 2 + j] = (0..2).map(|k| q[i * 2 + k] * STDS[k] * q[j * 2 + k]).sum();
        }
    }
    a
}

fn spec(n: usize) -> PairSpec {
    PairSpec {
        n,
        seed: 5,
        solve: SolveOptions::adaptive(SolverKind::Dopri5, 1e-6, 1e-6),
    }
}

/// Mean and row-major covariance of `[n, 2]` points.
pub(super) fn moments(x: &[f32]) -> ([f64; 2], [f64; 4]) {
    let n = (x.len() / 2) as f64;
    let mut m = [0.0; 2];
    for r in x.chunks(2) {
        m[0] += r[0] as f64 / n;
        m[1] += r[1] as f64 / n;
    }
    let mut c = [0.0; 4];
    for r in x.chunks(2) {
        let d = [r[0] as f64 - m[0], r[1] as f64 - m[1]];
        for i in 0..2 {
            for j in 0..2 {
                c[i * 2 + j] += d[i] * d[j] / (n - 1.0);
            }
        }
    }
    (m, c)
}

#[test]
fn pairs_follow_the_teachers_exact_ode_map() {
    let t = teacher();
    let (array, nfe) = pairs(&t, t.path.as_ref(), &spec(1000), false).unwrap();
    assert_eq!((array.rows, array.cols), (1000, 4));
    assert!(nfe > 1);
    let a = sqrt_cov();
    let mut worst = 0.0f64;
    for i in 0..array.rows {
        let r = array.row(i);
        let (x0, x1) = ([r[0] as f64, r[1] as f64], [r[2] as f64, r[3] as f64]);
        for k in 0..2 {
            let exact = MEAN[k] + a[k * 2] * x0[0] + a[k * 2 + 1] * x0[1];
            worst = worst.max((x1[k] - exact).abs());
        }
    }
    assert!(worst < 1e-3, "largest distance to the exact map {worst}");
}

#[test]
fn pairs_are_cached_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let t = teacher();
    let first = cached_pairs(dir.path(), &t, t.path.as_ref(), &spec(300), false).unwrap();
    assert!(!first.reused && first.file.starts_with(dir.path().join("pairs")));
    let second = cached_pairs(dir.path(), &t, t.path.as_ref(), &spec(300), false).unwrap();
    assert!(second.reused);
    assert_eq!(
        (second.file, second.nfe_per_pair),
        (first.file, first.nfe_per_pair)
    );
    // Another count is another cache entry.
    let other = cached_pairs(dir.path(), &t, t.path.as_ref(), &spec(200), false).unwrap();
    assert!(!other.reused && other.rows == 200);
}

#[test]
fn one_reflow_round_on_exact_pairs_makes_one_euler_step_reproduce_the_target() {
    let t = teacher();
    let (array, _) = pairs(&t, t.path.as_ref(), &spec(8192), false).unwrap();
    let method = Method::Flow {
        path: PathKind::cond_ot(),
        coupling: Coupling::Pairs,
        time_sampling: crate::flow::TimeSampling::Uniform,
    };
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, method.clone(), 2);
    cfg.optim.steps = 2000;
    cfg.optim.warmup_steps = 50;
    cfg.optim.seed = 3;
    cfg.batch_size = 256;
    let mlp = cfg.mlp_mut().unwrap();
    (mlp.width, mlp.depth) = (64, 2);
    let source = PointSource::File(array);
    assert_eq!(source.dim(), 4);
    let student = fit(&cfg, &source, TrainOptions::default()).unwrap();
    let model = student.model(&cfg);
    let one_step = SolveOptions::fixed(SolverKind::Euler, 1);
    let path = method.path();
    let mut rng = crate::rng::SeededRng::new(9);
    let x = sample_ode(&model, path.as_ref(), 8000, &one_step, &mut rng).unwrap();
    let (m, c) = moments(&crate::device::to_vec(x.x));
    let target = t.data.covariance();
    for k in 0..2 {
        assert!((m[k] - MEAN[k]).abs() < 0.1, "mean {m:?} vs {MEAN:?}");
    }
    for k in 0..4 {
        assert!(
            (c[k] - target[k]).abs() < 0.1 * (1.0 + target[k].abs()),
            "covariance {c:?} vs {target:?}"
        );
    }
    // The teacher's one Euler step collapses onto the mean (its velocity at noise is
    // `m − x0`): the straightness is what the student learned.
    let x = sample_ode(&t, t.path.as_ref(), 2000, &one_step, &mut rng).unwrap();
    let (_, c) = moments(&crate::device::to_vec(x.x));
    assert!(c[0] + c[3] < 0.1 * (target[0] + target[3]), "teacher {c:?}");
}

#[test]
fn student_configs_start_from_a_flow_teacher_and_refuse_images() {
    let dir = std::path::Path::new("runs/t");
    let teacher = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::flow(), 2);
    let s = student_config(
        &teacher,
        &dir.join("model.safetensors"),
        &dir.join("p.npy"),
        100,
        4,
    )
    .unwrap();
    assert_eq!(s.init_weights, Some(dir.join("model.safetensors")));
    assert_eq!(s.data.reference(), &teacher.data);
    assert_eq!(s.method.data_columns(2), 4);
    assert_eq!((s.optim.steps, s.optim.seed), (100, 4));
    let diffusion = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::diffusion(), 2);
    let s = student_config(&diffusion, dir, dir, 100, 4).unwrap();
    assert_eq!(
        s.init_weights, None,
        "an eps-predicting teacher is not a velocity field"
    );
    let images = TrainConfig::images(DataSpec::Mnist { dir: dir.into() }, Method::flow(), false);
    let e = student_config(&images, dir, dir, 100, 4)
        .unwrap_err()
        .chain();
    assert!(e.contains("point runs"), "{e}");
}

#[test]
fn records_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Record::load(dir.path()).unwrap(), None);
    let r = Record {
        method: "reflow".into(),
        teacher: "runs/flow".into(),
        round: 1,
        pairs: Some(PairsUsed {
            file: "runs/flow/pairs/x.npy".into(),
            rows: 10,
            solver: "dopri5".into(),
            nfe_per_pair: 38,
            seconds: 1.5,
        }),
        teacher_steps: None,
        guidance: None,
        teacher_evaluations: 380,
        train_seconds: 2.0,
        intended_steps: 1,
    };
    r.save(dir.path()).unwrap();
    assert!(
        r.cost().contains("10 pairs × 38 teacher evaluations = 380"),
        "{}",
        r.cost()
    );
    assert_eq!(Record::load(dir.path()).unwrap(), Some(r));
}

/// A chain of progressive rounds leads back to the run it started from, with the guidance its
/// first round distilled; a record naming its own directory is refused, not followed forever.
#[test]
fn a_students_origin_is_the_teacher_of_its_first_round() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let round = |teacher: &std::path::Path, round, guidance| Record {
        method: "progressive".into(),
        teacher: teacher.to_path_buf(),
        round,
        pairs: None,
        teacher_steps: Some(8),
        guidance,
        teacher_evaluations: 0,
        train_seconds: 0.0,
        intended_steps: 4,
    };
    round(&a, 1, Some(0.5)).save(&b).unwrap();
    let last = round(&b, 2, None);
    last.save(&c).unwrap();
    assert_eq!(last.origin().unwrap(), (a.clone(), Some(0.5)));
    assert_eq!(round(&a, 1, None).origin().unwrap(), (a, None));
    let own = round(&c, 3, None);
    own.save(&c).unwrap();
    let e = own.origin().unwrap_err().chain();
    assert!(e.contains("does not end in a trained run"), "{e}");
}
