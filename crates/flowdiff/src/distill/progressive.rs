//! Progressive-distillation rounds (Salimans & Ho 2022, Algorithm 2): from a teacher sampled
//! with `N` Euler steps, a student for `N/2`, then its student for `N/4`, … down to the steps
//! wanted. Each round is an ordinary run (points or images) whose config names its teacher
//! ([`crate::train::Teacher`]); the objective is [`crate::flow::progressive`].

use crate::error::{Error, Result};
use crate::flow::Coupling;
use crate::method::Method;
use crate::models::NetworkConfig;
use crate::path::PathKind;
use crate::train::{RunDir, RunKind, Teacher, TrainConfig, TrainOptions, Trained, train};
use std::path::{Path, PathBuf};

/// How many rounds and how long each trains.
#[derive(Clone, Debug)]
pub struct Rounds {
    /// `N`: the first teacher's Euler steps.
    pub teacher_steps: usize,
    /// The final student's steps (`N / 2^rounds`).
    pub student_steps: usize,
    /// Training steps per round (the cap, when `minutes` budgets the round by time).
    pub train_steps: usize,
    /// A time budget per round, in minutes: the round's learning-rate decay follows its
    /// clock as a `--minutes` training run's does.
    pub minutes: Option<f64>,
    /// The classifier-free guidance weight of the teacher's field (class-conditional
    /// teachers; 0 distils the plain conditional field).
    pub guidance: f64,
    pub seed: u64,
}

impl Rounds {
    /// Checks that halving `teacher_steps` reaches `student_steps`; returns the rounds.
    pub fn count(&self) -> Result<usize> {
        let (n, m) = (self.teacher_steps, self.student_steps);
        if m == 0 || n <= m || n % m != 0 || !(n / m).is_power_of_two() {
            return Err(Error::invalid(
                "teacher_steps",
                format!(
                    "halving {n} teacher steps must reach {m} student steps (e.g. 32 → 1, 16 → 2)"
                ),
            ));
        }
        if self.train_steps == 0 {
            return Err(Error::invalid("steps", "must be at least 1"));
        }
        if !(self.guidance.is_finite() && self.guidance >= 0.0) {
            return Err(Error::invalid(
                "guidance",
                format!("must be a finite weight ≥ 0, not {}", self.guidance),
            ));
        }
        Ok((n / m).trailing_zeros() as usize)
    }
}

/// A student of one round: a velocity network of the teacher's shape (MLP or U-Net, with
/// its classes), on the teacher's data and path, starting from the teacher's weights where
/// the teacher is itself a one-head velocity field (a flow run or a student); a diffusion
/// or hybrid teacher predicts another quantity, so its student starts afresh.
pub fn student_config(
    teacher: &TrainConfig,
    teacher_dir: &Path,
    teacher_steps: usize,
    spec: &Rounds,
) -> Result<TrainConfig> {
    let (model, one_head) = match &teacher.model {
        NetworkConfig::Mlp(mlp) => {
            let one = mlp.outputs == mlp.dim;
            let mut m = mlp.clone();
            m.outputs = mlp.dim;
            (NetworkConfig::Mlp(m), one)
        }
        NetworkConfig::UNet(unet) => {
            let one = unet.heads == 1;
            let mut u = unet.clone();
            u.heads = 1;
            (NetworkConfig::UNet(u), one)
        }
    };
    if spec.guidance != 0.0 && teacher.model.num_classes().is_none() {
        return Err(Error::invalid(
            "guidance",
            format!(
                "{} is not class-conditional: there is no guided field to distil",
                teacher_dir.display()
            ),
        ));
    }
    let velocity = matches!(teacher.method, Method::Flow { .. }) && one_head;
    let path = match teacher.method {
        Method::Flow { path, .. } | Method::Hybrid { path, .. } => path,
        // The student predicts velocity, which needs no path to sample; the teacher's own
        // (discrete) path is the one its states are drawn on.
        Method::Diffusion { .. } => PathKind::vp(),
    };
    let mut cfg = teacher.clone();
    cfg.method = Method::Flow {
        path,
        coupling: Coupling::Independent,
        time_sampling: crate::flow::TimeSampling::Uniform,
    };
    cfg.data = teacher.data.reference().clone();
    cfg.model = model;
    cfg.init_weights = velocity.then(|| RunDir(teacher_dir.to_path_buf()).weights());
    cfg.teacher = Some(Teacher {
        run: teacher_dir.to_path_buf(),
        steps: teacher_steps,
        guidance: spec.guidance,
    });
    cfg.optim.steps = spec.train_steps;
    cfg.optim.minutes = spec.minutes;
    cfg.optim.seed = spec.seed;
    cfg.sample_every = 0;
    cfg.validate()?;
    Ok(cfg)
}

/// The students of every round, the last one in `out`, the others in
/// `out/rounds/NAME-Kstep` (NAME the last one's directory name, K their intended steps, so
/// that pages comparing them tell them apart); each has its `distill.json`.
pub struct Students {
    pub runs: Vec<PathBuf>,
    pub records: Vec<super::Record>,
    pub last: Trained<crate::models::Network>,
}

/// The directory name of the round whose student samples in `steps` steps.
pub fn round_name(out: &Path, steps: usize) -> String {
    let name = out
        .file_name()
        .map_or_else(|| "student".into(), |s| s.to_string_lossy().to_string());
    format!("{name}-{steps}step")
}

/// Runs the rounds of `spec` from the point run in `teacher_dir` into `out`, telling
/// `on_round(k, teacher, student, config)` before each round trains.
pub fn distill(
    teacher_dir: &Path,
    spec: &Rounds,
    out: &Path,
    opts: TrainOptions,
    on_round: &mut dyn FnMut(usize, &Path, &Path, &TrainConfig),
) -> Result<Students> {
    let rounds = spec.count()?;
    let first = RunDir(teacher_dir.to_path_buf());
    if first.kind()? == RunKind::Graphs {
        return Err(Error::invalid(
            "run",
            format!(
                "{}: progressive distillation is built for point and image runs (a molecule model has no ODE sampler to halve)",
                teacher_dir.display()
            ),
        ));
    }
    let first_round = super::Record::load(teacher_dir)?.map_or(1, |r| r.round + 1);
    // Every round's settings are checked before the first one trains.
    student_config(&first.load_config()?, teacher_dir, spec.teacher_steps, spec)?;
    let (mut runs, mut records, mut last) = (Vec::new(), Vec::new(), None);
    let mut teacher = teacher_dir.to_path_buf();
    let mut steps = spec.teacher_steps;
    for k in 0..rounds {
        let student = if k + 1 == rounds {
            out.to_path_buf()
        } else {
            out.join("rounds").join(round_name(out, steps / 2))
        };
        let tcfg = RunDir(teacher.clone()).load_config()?;
        // Guidance is distilled once: later teachers are students whose conditional field
        // already is the guided one.
        let round = Rounds {
            guidance: if k == 0 { spec.guidance } else { 0.0 },
            ..spec.clone()
        };
        let cfg = student_config(&tcfg, &teacher, steps, &round)?;
        on_round(k + 1, &teacher, &student, &cfg);
        // Two teacher steps per training row; a guided teacher evaluates each row twice
        // (conditional and null class) per step.
        let per_step = 2 * cfg.batch_size as u64 * if round.guidance != 0.0 { 2 } else { 1 };
        let mut record = super::Record {
            method: "progressive".into(),
            teacher: teacher.clone(),
            round: first_round + k,
            pairs: None,
            teacher_steps: Some(steps),
            teacher_evaluations: per_step * cfg.optim.steps as u64,
            guidance: (round.guidance != 0.0).then_some(round.guidance),
            train_seconds: 0.0,
            intended_steps: steps / 2,
        };
        record.save(&student)?;
        let trained = train(&cfg, &cfg.data.open()?, &student, opts.clone())?;
        record.train_seconds = trained.outcome.seconds;
        record.teacher_evaluations = per_step * trained.outcome.steps_run as u64;
        record.save(&student)?;
        runs.push(student.clone());
        records.push(record);
        last = Some(trained);
        teacher = student;
        steps /= 2;
    }
    Ok(Students {
        runs,
        records,
        last: last.expect("at least one round"),
    })
}
