//! Progressive distillation against exact answers: with the closed-form Gaussian teacher,
//! a student's one Euler step must reproduce the law of the teacher's two (Salimans & Ho
//! 2022, Algorithm 2), which differs from both the teacher's one step and the target.

use super::progressive::{Rounds, student_config};
use super::tests::{moments, teacher};
use crate::data::toy::Toy;
use crate::data::{DataSpec, PointSource};
use crate::flow::progressive::ProgressiveObjective;
use crate::flow::sample_ode;
use crate::io::Array2;
use crate::method::Method;
use crate::objective::Objective;
use crate::path::PathKind;
use crate::rng::SeededRng;
use crate::solver::{SolveOptions, SolverKind};
use crate::train::{TrainConfig, TrainOptions, fit_objective};
use std::path::Path;

fn euler_moments(
    model: &dyn crate::models::Model,
    steps: usize,
    seed: u64,
) -> ([f64; 2], [f64; 4]) {
    let t = teacher();
    let mut rng = SeededRng::new(seed);
    let opts = SolveOptions::fixed(SolverKind::Euler, steps);
    let x = sample_ode(model, t.path.as_ref(), 8000, &opts, &mut rng).unwrap();
    moments(&crate::device::to_vec(x.x))
}

#[test]
fn a_student_takes_in_one_euler_step_what_the_exact_teacher_takes_in_two() {
    let t = teacher();
    let mut rng = SeededRng::new(2);
    let data = Array2::new(t.data.sample(8192, &mut rng), 8192, 2);
    let objective = ProgressiveObjective {
        teacher: Box::new(teacher()),
        path: t.path.clone(),
        teacher_steps: 2,
    };
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::flow(), 2);
    cfg.optim.steps = 1500;
    cfg.optim.warmup_steps = 50;
    cfg.optim.seed = 3;
    cfg.batch_size = 256;
    let mlp = cfg.mlp_mut().unwrap();
    (mlp.width, mlp.depth) = (64, 2);
    let student = fit_objective(
        &cfg,
        &objective,
        &PointSource::File(data),
        TrainOptions::default(),
    )
    .unwrap();
    let model = student.model(&cfg);
    let (m, c) = euler_moments(&model, 1, 9);
    let (tm, tc) = euler_moments(&t, 2, 9);
    let (_, one) = euler_moments(&t, 1, 9);
    let target = t.data.covariance();
    for k in 0..2 {
        assert!(
            (m[k] - tm[k]).abs() < 0.1,
            "mean {m:?} vs the teacher's {tm:?}"
        );
    }
    for k in 0..4 {
        assert!(
            (c[k] - tc[k]).abs() < 0.1 * (1.0 + tc[k].abs()),
            "covariance {c:?} vs the teacher's two steps {tc:?}"
        );
    }
    // What the student matched is neither the teacher's single step (collapsed onto the
    // mean) nor the target law: it is the two-step law, as the algorithm says.
    assert!(one[0] + one[3] < 0.1 * (tc[0] + tc[3]), "one step {one:?}");
    assert!(
        (tc[0] - target[0]).abs() > 0.2 || (tc[3] - target[3]).abs() > 0.2,
        "two Euler steps {tc:?} ≈ target {target:?}: the test would not tell them apart"
    );
}

#[test]
fn rounds_halve_down_to_the_students_steps() {
    let r = |teacher_steps, student_steps| Rounds {
        teacher_steps,
        student_steps,
        train_steps: 10,
        minutes: None,
        guidance: 0.0,
        seed: 0,
    };
    assert_eq!(r(32, 1).count().unwrap(), 5);
    assert_eq!(r(8, 2).count().unwrap(), 2);
    for (n, m) in [(12, 1), (4, 4), (2, 4), (8, 0), (6, 2)] {
        let e = r(n, m).count().unwrap_err().chain();
        assert!(e.contains("halving"), "{n} → {m}: {e}");
    }
}

fn spec(train_steps: usize, seed: u64) -> Rounds {
    Rounds {
        teacher_steps: 16,
        student_steps: 1,
        train_steps,
        minutes: None,
        guidance: 0.0,
        seed,
    }
}

#[test]
fn students_start_from_velocity_teachers_and_keep_their_path() {
    let dir = Path::new("runs/t");
    let flow = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::flow(), 2);
    let s = student_config(&flow, dir, 16, &spec(100, 4)).unwrap();
    assert_eq!(s.init_weights, Some(dir.join("model.safetensors")));
    let t = s.teacher.as_ref().unwrap();
    assert_eq!((t.run.as_path(), t.steps), (dir, 16));
    assert_eq!(s.method, Method::flow());
    let hybrid = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::hybrid(), 2);
    let mut s = student_config(&hybrid, dir, 16, &spec(100, 4)).unwrap();
    assert_eq!(s.init_weights, None, "two heads are not one velocity");
    assert!(matches!(s.method, Method::Flow { path, .. } if path == PathKind::vp()));
    assert_eq!(s.mlp_mut().unwrap().outputs, 2);
    let diffusion = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::diffusion(), 2);
    assert_eq!(
        student_config(&diffusion, dir, 16, &spec(100, 4))
            .unwrap()
            .init_weights,
        None
    );
    let e = student_config(&flow, dir, 3, &spec(100, 4))
        .unwrap_err()
        .chain();
    assert!(e.contains("teacher.steps"), "{e}");
    let guided = Rounds {
        guidance: 1.0,
        ..spec(100, 4)
    };
    let e = student_config(&flow, dir, 16, &guided).unwrap_err().chain();
    assert!(e.contains("not class-conditional"), "{e}");
}

#[test]
fn image_students_keep_the_teachers_unet_and_classes() {
    let dir = Path::new("runs/t");
    let images = TrainConfig::images(DataSpec::Mnist { dir: dir.into() }, Method::flow(), true);
    let guided = Rounds {
        guidance: 0.5,
        minutes: Some(2.0),
        ..spec(100, 4)
    };
    let s = student_config(&images, dir, 16, &guided).unwrap();
    assert_eq!(s.model, images.model, "same U-Net, same classes");
    assert_eq!(s.init_weights, Some(dir.join("model.safetensors")));
    assert_eq!(s.teacher.as_ref().unwrap().guidance, 0.5);
    assert_eq!((s.optim.minutes, s.optim.steps), (Some(2.0), 100));
    assert_eq!(s.label_dropout, images.label_dropout);
    let diffusion = TrainConfig::images(
        DataSpec::Mnist { dir: dir.into() },
        Method::diffusion(),
        false,
    );
    let s = student_config(&diffusion, dir, 16, &spec(100, 4)).unwrap();
    assert_eq!(s.init_weights, None, "a noise predictor is not a velocity");
    assert!(matches!(s.method, Method::Flow { .. }));
}

/// A class-conditional teacher whose velocity for a row of class `c` is `c` in every
/// coordinate (and 0 for the null class `NULL`), at any state and time.
#[derive(Clone)]
struct ClassVelocity {
    labels: Option<Vec<i64>>,
}

const NULL: i64 = 9;

impl crate::models::Model for ClassVelocity {
    fn dim(&self) -> usize {
        2
    }
    fn prediction(&self) -> crate::convert::Prediction {
        crate::convert::Prediction::Velocity
    }
    fn predict(&self, x: burn::tensor::Tensor<2>, _tau: f64) -> burn::tensor::Tensor<2> {
        let n = x.dims()[0];
        let labels = self.labels.as_ref().expect("labels set before each call");
        assert_eq!(labels.len(), n, "one label per row");
        let v: Vec<f32> = labels
            .iter()
            .flat_map(|&c| {
                let c = if c == NULL { 0.0 } else { c as f32 };
                [c, c]
            })
            .collect();
        crate::device::tensor2(v, n, 2, &x.device())
    }
    fn device(&self) -> crate::Device {
        crate::device::default()
    }
    fn with_labels(&self, labels: Vec<i64>) -> Option<Box<dyn crate::models::Model>> {
        Some(Box::new(Self {
            labels: Some(labels),
        }))
    }
}

/// Each row's target is its own class's velocity: the teacher is asked for the rows of a
/// time group with those rows' labels, whatever order the groups take.
#[test]
fn a_conditional_teacher_is_evaluated_with_each_rows_label() {
    let objective = ProgressiveObjective {
        teacher: Box::new(ClassVelocity { labels: None }),
        path: PathKind::cond_ot().build().into(),
        teacher_steps: 8,
    };
    let n = 64;
    let labels: Vec<i64> = (0..n as i64)
        .map(|i| if i % 7 == 0 { NULL } else { i % 5 })
        .collect();
    let x1 = crate::device::tensor2(vec![0.5; n * 2], n, 2, &crate::device::default());
    let batch = objective.batch_labeled(x1, Some(&labels), &mut SeededRng::new(4));
    let target = crate::device::to_vec(batch.target.clone());
    let times = crate::device::to_vec(batch.t.clone());
    assert!(
        times.iter().any(|&t| t != times[0]),
        "rows spread over several time groups"
    );
    for (row, &c) in labels.iter().enumerate() {
        let want = if c == NULL { 0.0 } else { c as f32 };
        for j in 0..2 {
            let got = target[row * 2 + j];
            assert!(
                (got - want).abs() < 1e-5,
                "row {row} (class {c}): {got} ≠ {want}"
            );
        }
    }
}
