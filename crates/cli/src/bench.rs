//! `flowdiff bench`: quality and wall time per NFE for every applicable sampler; or, with
//! `--workload NAME`, one fixed performance workload (see [`flowdiff::workload`]).

use super::bench_images::STUDENT_NFE;
use anyhow::{Result, bail};
use flowdiff::data::DataSource;
use flowdiff::data::PointSource;
use flowdiff::io::write_json;
use flowdiff::method::Method;
use flowdiff::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use flowdiff::models::{ExactModel, GaussianMixture, Model};
use flowdiff::rng::SeededRng;
use flowdiff::sampling::Sampler;
use flowdiff::solver::SolverKind;
use flowdiff::train::{RunDir, RunKind};
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A trained run to benchmark.
    #[arg(long, conflicts_with_all = ["exact", "workload"])]
    run: Option<PathBuf>,
    /// Or a closed-form model: gaussian or eight-gaussians (with --method).
    #[arg(long)]
    exact: Option<String>,
    /// With --exact: diffusion or flow.
    #[arg(long, default_value = "flow")]
    method: String,
    /// NFE budgets, comma separated (default 5,10,20,50,100; a distilled student: 1,2,4,8,20, with the teacher its rounds started from beside it; image runs 10,20).
    #[arg(long, value_delimiter = ',')]
    nfe: Vec<usize>,
    /// Tolerances for the adaptive solvers, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4")]
    tol: Vec<f64>,
    /// Samples per sampler run (default 5000 points; image runs 1000 images).
    #[arg(long)]
    n: Option<usize>,
    /// Image runs: the classifier behind the FID (from `flowdiff classifier train`).
    #[arg(long, default_value = "classifier.safetensors")]
    classifier: PathBuf,
    /// Image runs with class conditioning: classifier-free guidance weight (labels are
    /// balanced over the classes).
    #[arg(long, default_value_t = 0.0)]
    guidance: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory for bench.png (and bench.json with --json); default RUN/bench.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the table as JSON (with --workload: print one JSON object instead of a line).
    #[arg(long)]
    json: bool,
    /// Or time a fixed workload: mlp-train, mlp-sample, unet-small-train, unet-small-forward,
    /// unet-train, unet-forward, unet-rgb-train, graph-train.
    #[arg(long, conflicts_with = "exact")]
    workload: Option<String>,
    /// With --workload: timed repeats (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// With --workload: untimed warm-up repeats.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// With --workload: iterations per repeat (default: the workload's own).
    #[arg(long)]
    iters: Option<usize>,
    /// Where to compute: cpu (burn's flex), tch (LibTorch, feature `tch`), tch-cuda, wgpu
    /// (feature `wgpu`).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// With --workload: CPU threads of the backend (default: the backend's own choice).
    #[arg(long)]
    threads: Option<usize>,
    /// With --workload: also show where a step's time goes — each kind of fused op's time,
    /// share and GFLOP/s, the rest, and the step's GFLOP/s against a GEMM's peak.
    #[arg(long, requires = "workload")]
    profile: bool,
}

fn workload(a: &Args, name: &str) -> Result<()> {
    let selected = flowdiff::device::select(&a.device)?;
    if let Some(n) = a.threads {
        selected.set_threads(n)?;
    }
    let opts = flowdiff::workload::Options {
        repeats: a.repeats,
        warmup: a.warmup,
        iters: a.iters,
        profile: a.profile,
    };
    let r = flowdiff::workload::run(name, &selected, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} on {} ({}): {:.1} {} (median of {}), {} parameters, batch {}; kernels {}, autotune {}",
            r.workload,
            r.backend,
            r.device,
            r.per_second,
            r.unit,
            r.repeats.len(),
            r.params,
            r.batch,
            r.isa,
            if r.autotune { "on" } else { "off" }
        );
        if let Some(p) = &r.profile {
            let threads = r
                .threads
                .map_or(String::new(), |t| format!(", {t} threads"));
            println!("\nper iteration ({}{threads}):\n{}", p.cpu, p.table());
        }
    }
    Ok(())
}

#[derive(Serialize, Clone)]
struct Row {
    sampler: String,
    family: String,
    nfe: usize,
    seconds: f64,
    samples_per_second: f64,
    sliced_w2_ratio: f64,
}

fn exact_model(name: &str, method: &Method) -> Result<(GaussianMixture, ExactModel)> {
    let data = match name {
        "gaussian" => GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6),
        "eight-gaussians" => GaussianMixture::eight_gaussians(),
        other => bail!("--exact {other:?}: expected gaussian or eight-gaussians"),
    };
    let model = ExactModel {
        data: data.clone(),
        path: method.path(),
        prediction: method.prediction(),
        device: flowdiff::device::default(),
    };
    Ok((data, model))
}

pub fn run(a: Args) -> Result<()> {
    match &a.workload {
        Some(name) => workload(&a, name),
        None => flowdiff::device::on_pool(move || samplers(a)),
    }
}

/// The sampler table of a trained run or a closed-form model.
fn samplers(a: Args) -> Result<()> {
    let device = flowdiff::device::by_name(&a.device)?;
    let (method, model, mut draw, out): (
        Method,
        Box<dyn Model>,
        Box<dyn FnMut(usize, &mut SeededRng) -> Vec<f32>>,
        PathBuf,
    ) = match (&a.run, &a.exact) {
        (Some(run), None) => {
            if RunDir(run.clone()).kind()? == RunKind::Graphs {
                bail!(
                    "{}: bench measures point and image runs; sample molecule runs with `flowdiff sample`",
                    run.display()
                );
            }
            let (cfg, model) = RunDir(run.clone()).load_model(&device)?;
            if matches!(cfg.data, flowdiff::data::DataSpec::Mnist { .. }) {
                let record = flowdiff::distill::Record::load(run)?;
                let nfe = if !a.nfe.is_empty() {
                    a.nfe.clone()
                } else if record.is_some() {
                    STUDENT_NFE.to_vec()
                } else {
                    super::bench_images::DEFAULT_NFE.to_vec()
                };
                return super::bench_images::run(super::bench_images::ImageBench {
                    device: device.clone(),
                    run,
                    nfe: &nfe,
                    n: a.n.unwrap_or(super::bench_images::DEFAULT_N),
                    seed: a.seed,
                    classifier: &a.classifier,
                    guidance: a.guidance,
                    out: a.out.clone().unwrap_or_else(|| run.join("bench")),
                    json: a.json,
                    record,
                });
            }
            let source: PointSource = cfg.data.reference().open()?;
            let out = a.out.clone().unwrap_or_else(|| run.join("bench"));
            (
                cfg.method,
                Box::new(model),
                Box::new(move |n, rng| source.sample(n, rng)),
                out,
            )
        }
        (None, Some(name)) => {
            let method = crate::method_flags::method_from(&crate::method_flags::MethodFlags {
                method: Some(&a.method),
                ..Default::default()
            })?;
            let (data, model) = exact_model(name, &method)?;
            let out = a
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("bench-exact-{name}-{}", method.name())));
            (
                method,
                Box::new(model),
                Box::new(move |n, rng| data.sample(n, rng)),
                out,
            )
        }
        _ => bail!("give --run RUN or --exact NAME"),
    };
    // Where the results go is checked before any sampling.
    flowdiff::io::create_dir(&out)?;
    let n = a.n.unwrap_or(5000);
    let student = match &a.run {
        Some(run) => flowdiff::distill::Record::load(run)?,
        None => None,
    };
    let nfe = if a.nfe.is_empty() {
        if student.is_some() {
            STUDENT_NFE.to_vec()
        } else {
            vec![5, 10, 20, 50, 100]
        }
    } else {
        a.nfe.clone()
    };
    if nfe.contains(&0) || n == 0 {
        bail!("--nfe needs positive budgets and --n a positive count");
    }
    let mut rng = SeededRng::new(a.seed).fork("bench-reference");
    let refs = reference_draws(|n| draw(n, &mut rng), n, REFERENCE_DRAWS);
    let d = model.dim();
    println!(
        "bench: {} ({}), n = {}, seed {}, {REFERENCE_DRAWS} reference draws",
        a.run
            .as_ref()
            .map_or_else(|| a.exact.clone().unwrap(), |p| p.display().to_string()),
        method.name(),
        n,
        a.seed
    );
    let mut plan: Vec<Sampler> = nfe
        .iter()
        .flat_map(|&k| Sampler::all_for(&method, k))
        .collect();
    for &tol in &a.tol {
        for solver in [SolverKind::Bosh3, SolverKind::Dopri5, SolverKind::Tsit5] {
            plan.push(Sampler::Ode {
                solver,
                steps: 0,
                rtol: tol,
                atol: tol,
            });
        }
    }
    println!(
        "{:<22} {:>5} {:>9} {:>11} {:>10}",
        "sampler", "NFE", "seconds", "samples/s", "SW2 ratio"
    );
    let measure = |prefix: &str, method: &Method, model: &dyn Model, plan: Vec<Sampler>| {
        let mut rows = Vec::new();
        for sampler in plan {
            // Warm-up on a small batch, then the timed run (inference device, no autodiff graph).
            sampler.run(method, model, 64, &mut SeededRng::new(a.seed), false)?;
            let t = std::time::Instant::now();
            let sol = sampler.run(
                method,
                model,
                n,
                &mut SeededRng::new(a.seed).fork("sample"),
                false,
            )?;
            let x = flowdiff::device::to_vec(sol.x);
            let seconds = t.elapsed().as_secs_f64();
            let ratio = evaluate(&x, &refs, d, 500).sliced_w2.ratio;
            let row = Row {
                sampler: format!("{prefix}{}", sampler.label()),
                family: format!("{prefix}{}", sampler.family()),
                nfe: sol.nfe,
                seconds,
                samples_per_second: n as f64 / seconds,
                sliced_w2_ratio: ratio,
            };
            println!(
                "{:<22} {:>5} {:>9.3} {:>11.0} {:>9.2}x",
                row.sampler, row.nfe, row.seconds, row.samples_per_second, row.sliced_w2_ratio
            );
            rows.push(row);
        }
        anyhow::Ok(rows)
    };
    let mut rows = measure("", &method, model.as_ref(), plan)?;
    // A distilled student: its teacher beside it at the same budgets, and what it cost.
    if let Some(record) = &student {
        // The run the rounds started from: the teacher a user would otherwise sample.
        let (teacher, _) = record.origin()?;
        println!("its teacher {}:", teacher.display());
        let (tcfg, tmodel) = RunDir(teacher).load_model(&device)?;
        let plan = nfe
            .iter()
            .flat_map(|&k| Sampler::all_for(&tcfg.method, k))
            .collect();
        rows.extend(measure("teacher ", &tcfg.method, &tmodel, plan)?);
        println!("{}", record.cost());
    }
    let mut families: Vec<String> = rows.iter().map(|r| r.family.clone()).collect();
    families.dedup();
    families.sort();
    families.dedup();
    let series: Vec<(String, Vec<(f64, f64)>)> = families
        .iter()
        .map(|f| {
            let mut pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| &r.family == f)
                .map(|r| (r.nfe as f64, r.sliced_w2_ratio))
                .collect();
            pts.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            (f.clone(), pts)
        })
        .collect();
    flowdiff::plot::curves(
        &out.join("bench.png"),
        &format!(
            "{} sampling: quality against NFE (n = {})",
            method.name(),
            n
        ),
        "NFE",
        "sliced W2 / noise floor",
        &series,
        true,
    )?;
    println!("wrote {}", out.join("bench.png").display());
    if a.json {
        write_json(&out.join("bench.json"), &rows)?;
        println!("wrote {}", out.join("bench.json").display());
    }
    Ok(())
}
