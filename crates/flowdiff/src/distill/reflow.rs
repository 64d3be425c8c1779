//! Reflow (Liu et al. 2022, Algorithm 1): noise–data pairs `(x0, ODE_teacher(x0))`, cached in
//! the teacher's run, and the student's training configuration. Shapes: pairs `[n, 2d]`, rows
//! `[x0 | x1]`.

use crate::error::{Context, Error, Result};
use crate::flow::{Coupling, PathVelocity};
use crate::io::{Array2, read_array, write_array, write_json};
use crate::method::Method;
use crate::models::Network;
use crate::models::{Model, NetworkConfig};
use crate::path::{GaussianPath, PathKind};
use crate::rng::SeededRng;
use crate::solver::{SolveOptions, solve};
use crate::train::{RunDir, RunKind, TrainConfig, TrainOptions, Trained, train};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Rows solved per call of the ODE solver (bounds the memory of one solve).
const CHUNK: usize = 4096;

/// Which pairs: how many, the seed of their noise, and how the teacher's ODE is solved.
#[derive(Clone, Debug)]
pub struct PairSpec {
    pub n: usize,
    pub seed: u64,
    pub solve: SolveOptions,
}

impl PairSpec {
    /// The solver as a person reads it: `dopri5 (rtol 1e-5, atol 1e-5)` or `midpoint (50 steps)`.
    pub fn solver_label(&self) -> String {
        let s = &self.solve;
        if s.solver.is_adaptive() {
            format!(
                "{} (rtol {:e}, atol {:e})",
                s.solver.name(),
                s.tol.rtol,
                s.tol.atol
            )
        } else {
            format!("{} ({} steps)", s.solver.name(), s.steps)
        }
    }

    /// The cache file's name: everything that decides the pairs.
    fn file_name(&self) -> String {
        let s = &self.solve;
        let solver = if s.solver.is_adaptive() {
            format!(
                "{}-rtol{:e}-atol{:e}",
                s.solver.name(),
                s.tol.rtol,
                s.tol.atol
            )
        } else {
            format!("{}-{}", s.solver.name(), s.steps)
        };
        format!("reflow-n{}-seed{}-{solver}.npy", self.n, self.seed)
    }
}

/// Pairs made (or found in the cache) for a student.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pairs {
    pub file: PathBuf,
    pub rows: usize,
    /// Teacher evaluations per pair (the solver's NFE).
    pub nfe_per_pair: usize,
    /// Seconds the pairs took when they were made.
    pub seconds: f64,
    /// Whether they came from the cache.
    #[serde(skip)]
    pub reused: bool,
}

/// `spec.n` pairs `[x0 | x1]`: `x0 ~ N(0, I)` drawn with `spec.seed`, `x1` the teacher's ODE
/// solution from `x0` (flow time 0 → 1), in chunks; returns them with the NFE per pair.
pub fn pairs(
    model: &dyn Model,
    path: &dyn GaussianPath,
    spec: &PairSpec,
    progress: bool,
) -> Result<(Array2, usize)> {
    let d = model.dim();
    let mut rng = SeededRng::new(spec.seed);
    let mut values = Vec::with_capacity(spec.n * 2 * d);
    let mut nfe = 0;
    let bar = crate::train::progress_bar(progress, spec.n as u64, 0);
    bar.set_prefix("reflow pairs");
    let mut done = 0;
    while done < spec.n {
        let rows = CHUNK.min(spec.n - done);
        let x0 = rng.normal_tensor(rows, d, &model.device());
        let sol = solve(
            &PathVelocity { model, path },
            x0.clone(),
            0.0,
            1.0,
            &spec.solve,
        )?;
        nfe = nfe.max(sol.nfe);
        let (x0, x1) = (crate::device::to_vec(x0), crate::device::to_vec(sol.x));
        if x1.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "the teacher's ODE solutions".into(),
                hint: "the teacher's weights or its ODE diverge; check it with `flowdiff sample`"
                    .into(),
            });
        }
        for (a, b) in x0.chunks(d).zip(x1.chunks(d)) {
            values.extend_from_slice(a);
            values.extend_from_slice(b);
        }
        done += rows;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    Ok((Array2::new(values, spec.n, 2 * d), nfe))
}

/// The pairs of `spec` for the teacher run in `teacher_dir`: read from its `pairs/` cache when
/// made before (checked against the spec's shape), else made with [`pairs`] and cached (the
/// array, then a `.json` of its cost beside it: a cache entry counts once both exist).
pub fn cached_pairs(
    teacher_dir: &Path,
    model: &dyn Model,
    path: &dyn GaussianPath,
    spec: &PairSpec,
    progress: bool,
) -> Result<Pairs> {
    let file = teacher_dir.join("pairs").join(spec.file_name());
    let meta = file.with_extension("json");
    if file.exists() && meta.exists() {
        let text = std::fs::read_to_string(&meta)
            .with_context(|| format!("reading {}", meta.display()))?;
        let mut found: Pairs = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a pairs record", meta.display()))?;
        let array = read_array(&file)?;
        if array.rows == spec.n && array.cols == 2 * model.dim() {
            found.file = file;
            found.reused = true;
            return Ok(found);
        }
    }
    let start = std::time::Instant::now();
    let (array, nfe_per_pair) = pairs(model, path, spec, progress)?;
    write_array(&file, &array)?;
    let made = Pairs {
        file,
        rows: spec.n,
        nfe_per_pair,
        seconds: start.elapsed().as_secs_f64(),
        reused: false,
    };
    write_json(&meta, &made)?;
    Ok(made)
}

/// The student's training configuration: a flow-matching MLP of the teacher's size on the
/// pairs (cond-OT path with `sigma_min = 0`, the straight interpolation of Liu et al. eq. 1),
/// with `steps` steps and `seed`. A flow teacher on that path starts the student from its
/// weights (`teacher_weights`, as Liu et al. do); others (diffusion, the hybrid, the VP path)
/// predict another quantity, so the student starts afresh.
pub fn student_config(
    teacher: &TrainConfig,
    teacher_weights: &Path,
    pairs_file: &Path,
    steps: usize,
    seed: u64,
) -> Result<TrainConfig> {
    let NetworkConfig::Mlp(mlp) = &teacher.model else {
        return Err(Error::invalid(
            "run",
            "reflow is built for point runs; image teachers need labelled pairs (not built yet)",
        ));
    };
    let same_field = matches!(
        teacher.method,
        Method::Flow { path, .. } if path == PathKind::cond_ot()
    ) && mlp.outputs == mlp.dim;
    let mut cfg = teacher.clone();
    cfg.method = Method::Flow {
        path: PathKind::cond_ot(),
        coupling: Coupling::Pairs,
        time_sampling: crate::flow::TimeSampling::Uniform,
    };
    cfg.data = crate::data::DataSpec::Pairs {
        path: pairs_file.to_path_buf(),
        data: Box::new(teacher.data.reference().clone()),
    };
    let mut student_mlp = mlp.clone();
    student_mlp.outputs = mlp.dim;
    cfg.model = NetworkConfig::Mlp(student_mlp);
    cfg.init_weights = same_field.then(|| teacher_weights.to_path_buf());
    cfg.optim.steps = steps;
    cfg.optim.seed = seed;
    cfg.validate()?;
    Ok(cfg)
}

/// A trained reflow student: its record (also in `distill.json`), configuration and network.
pub struct Student {
    pub record: super::Record,
    pub config: TrainConfig,
    pub pairs: Pairs,
    pub trained: Trained<Network>,
}

/// One reflow round: the pairs of `spec` from the point run in `teacher_dir` (cached there),
/// then a student of `steps` steps trained into `out` (seeded with `spec.seed`), its
/// `distill.json` written before training and completed after. Like [`train`], it writes over
/// a run already in `out`. `on_pairs` is told the pairs
/// (made or reused) before the student trains.
pub fn distill(
    teacher_dir: &Path,
    spec: &PairSpec,
    steps: usize,
    out: &Path,
    opts: TrainOptions,
    on_pairs: &mut dyn FnMut(&Pairs, &TrainConfig),
) -> Result<Student> {
    let teacher = RunDir(teacher_dir.to_path_buf());
    if teacher.kind()? != RunKind::Points {
        return Err(Error::invalid(
            "run",
            format!(
                "{}: reflow is built for point runs (image and molecule teachers are not yet)",
                teacher_dir.display()
            ),
        ));
    }
    if spec.solve.solver.is_adaptive() {
        spec.solve.tol.check()?;
    }
    let (tcfg, model) = teacher.load_model(&opts.device)?;
    // The student's settings are checked before the pairs are made.
    student_config(&tcfg, &teacher.weights(), Path::new(""), steps, spec.seed)?;
    let pairs = cached_pairs(
        teacher_dir,
        &model,
        tcfg.method.path().as_ref(),
        spec,
        opts.progress,
    )?;
    let config = student_config(&tcfg, &teacher.weights(), &pairs.file, steps, spec.seed)?;
    on_pairs(&pairs, &config);
    let mut record = super::Record {
        method: "reflow".into(),
        teacher: teacher_dir.to_path_buf(),
        round: super::Record::load(teacher_dir)?.map_or(1, |r| r.round + 1),
        pairs: Some(super::PairsUsed {
            file: pairs.file.clone(),
            rows: pairs.rows,
            solver: spec.solver_label(),
            nfe_per_pair: pairs.nfe_per_pair,
            seconds: pairs.seconds,
        }),
        teacher_steps: None,
        guidance: None,
        teacher_evaluations: (pairs.nfe_per_pair as u64).saturating_mul(pairs.rows as u64),
        train_seconds: 0.0,
        intended_steps: 1,
    };
    record.save(out)?;
    let trained = train(&config, &config.data.open()?, out, opts)?;
    record.train_seconds = trained.outcome.seconds;
    record.save(out)?;
    Ok(Student {
        record,
        config,
        pairs,
        trained,
    })
}
