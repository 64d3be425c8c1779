//! `flowdiff bench --run RUN` on an image run: wall time and the image metric of `flowdiff
//! eval --ref` (FID in the classifier's feature space over its real-digit floor, coverage)
//! for the samplers that matter at small NFE, written as `bench.png` and `bench.json`.

use super::images::class_labels;
use anyhow::{Result, bail};
use flowdiff::image_score::ImageScorer;
use flowdiff::io::write_json;
use flowdiff::method::Method;
use flowdiff::rng::SeededRng;
use flowdiff::sampling::NetModel;
use flowdiff::sampling::Sampler;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Default budgets and sample count for images (each sampler run is a full image batch).
pub const DEFAULT_NFE: [usize; 2] = [10, 20];
/// Budgets for a distilled student (and its teacher beside it).
pub const STUDENT_NFE: [usize; 5] = [1, 2, 4, 8, 20];
pub const DEFAULT_N: usize = 1000;

/// What the image bench was asked for.
pub struct ImageBench<'a> {
    pub device: flowdiff::Device,
    pub run: &'a Path,
    pub nfe: &'a [usize],
    pub n: usize,
    pub seed: u64,
    pub classifier: &'a Path,
    pub guidance: f64,
    pub out: PathBuf,
    pub json: bool,
    /// The run's distillation record: a student is benchmarked beside its first teacher.
    pub record: Option<flowdiff::distill::Record>,
}

#[derive(Serialize, Clone)]
struct Row {
    sampler: String,
    family: String,
    nfe: usize,
    seconds: f64,
    images_per_second: f64,
    fid: f64,
    fid_floor: f64,
    fid_ratio: f64,
    classes_covered: usize,
}

/// The samplers benchmarked on images: the ones a user would pick at 10–20 NFE; a distilled
/// student's Euler steps, which it was trained to take.
fn plan(method: &Method, nfe: &[usize], student: bool) -> Vec<Sampler> {
    let families: &[&str] = match method {
        _ if student => &["ode-euler"],
        Method::Diffusion { .. } => &[
            "ddim",
            "dpm-solver++",
            "dpm-solver++3m",
            "unipc",
            "ode-midpoint",
        ],
        _ => &[
            "ode-euler",
            "ode-midpoint",
            "ode-heun",
            "dpm-solver++",
            "dpm-solver++3m",
            "unipc",
        ],
    };
    nfe.iter()
        .flat_map(|&k| Sampler::all_for(method, k))
        .filter(|s| families.contains(&s.family().as_str()))
        .collect()
}

pub fn run(b: ImageBench) -> Result<()> {
    let device = b.device.clone();
    let (cfg, net) = flowdiff::train::RunDir(b.run.into()).load_model(&device)?;
    let flowdiff::data::DataSpec::Mnist { dir } = &cfg.data else {
        bail!("{}: not an image run", b.run.display());
    };
    if b.n == 0 || b.nfe.contains(&0) {
        bail!("--nfe needs positive budgets and --n a positive count");
    }
    flowdiff::io::create_dir(&b.out)?;
    let reference = flowdiff::data::idx::mnist_file(dir, "t10k-images-idx3-ubyte")?;
    let scorer = ImageScorer::load(b.classifier, &reference, b.n, b.seed, &device)?;
    let labels = |k: usize| class_labels(k, b.n.div_ceil(k))[..b.n].to_vec();
    let model = NetModel {
        labels: cfg.model.num_classes().map(labels),
        guidance: b.guidance,
        ..net
    };
    let record = &b.record;
    println!(
        "bench: {} ({}), {} images, guidance {}, seed {}; FID against {} ({} digits), floor {} real",
        b.run.display(),
        cfg.method.name(),
        b.n,
        b.guidance,
        b.seed,
        reference.display(),
        scorer.reference_count,
        scorer.floor_count
    );
    println!(
        "{:<30} {:>5} {:>9} {:>9} {:>9} {:>7} {:>8}",
        "sampler", "NFE", "seconds", "images/s", "FID", "ratio", "classes"
    );
    let measure = |prefix: &str, method: &Method, model: &NetModel, samplers: Vec<Sampler>| {
        let mut rows = Vec::new();
        for sampler in samplers {
            let t = std::time::Instant::now();
            let mut rng = SeededRng::new(b.seed).fork("sample");
            let sol = sampler.run(method, model, b.n, &mut rng, false)?;
            let images = flowdiff::data::images::to_unit(&flowdiff::device::to_vec(sol.x));
            let seconds = t.elapsed().as_secs_f64();
            let r = scorer.score(&images);
            let row = Row {
                sampler: format!("{prefix}{}", sampler.label()),
                family: format!("{prefix}{}", sampler.family()),
                nfe: sol.nfe,
                seconds,
                images_per_second: b.n as f64 / seconds,
                fid: r.fid,
                fid_floor: r.fid_floor,
                fid_ratio: r.fid / r.fid_floor.max(1e-12),
                classes_covered: r.classes_covered,
            };
            println!(
                "{:<30} {:>5} {:>9.1} {:>9.1} {:>9.2} {:>6.2}x {:>5}/10",
                row.sampler,
                row.nfe,
                row.seconds,
                row.images_per_second,
                row.fid,
                row.fid_ratio,
                row.classes_covered
            );
            rows.push(row);
        }
        anyhow::Ok(rows)
    };
    let mut rows = measure(
        "",
        &cfg.method,
        &model,
        plan(&cfg.method, b.nfe, record.is_some()),
    )?;
    // A distilled student: its teacher beside it at the same budgets (with the guidance the
    // student distilled, if any), and what the distillation cost.
    if let Some(record) = record {
        let (first, distilled) = record.origin()?;
        let teacher = flowdiff::train::RunDir(first);
        let (tcfg, tnet) = teacher.load_model(&device)?;
        let guidance = distilled.unwrap_or(b.guidance);
        println!(
            "its first teacher {} (guidance {guidance}):",
            teacher.0.display()
        );
        let tmodel = NetModel {
            labels: tcfg.model.num_classes().map(labels),
            guidance,
            ..tnet
        };
        rows.extend(measure(
            "teacher ",
            &tcfg.method,
            &tmodel,
            plan(&tcfg.method, b.nfe, false),
        )?);
        println!("{}", record.cost());
    }
    let mut families: Vec<String> = rows.iter().map(|r| r.family.clone()).collect();
    families.sort();
    families.dedup();
    let series: Vec<(String, Vec<(f64, f64)>)> = families
        .iter()
        .map(|f| {
            let pts = rows.iter().filter(|r| &r.family == f);
            (
                f.clone(),
                pts.map(|r| (r.nfe as f64, r.fid_ratio)).collect(),
            )
        })
        .collect();
    let caption = format!(
        "{} on MNIST: FID / floor against NFE (n = {})",
        cfg.method.name(),
        b.n
    );
    flowdiff::plot::curves(
        &b.out.join("bench.png"),
        &caption,
        "NFE",
        "FID / floor",
        &series,
        true,
    )?;
    println!("wrote {}", b.out.join("bench.png").display());
    if b.json {
        write_json(&b.out.join("bench.json"), &rows)?;
        println!("wrote {}", b.out.join("bench.json").display());
    }
    Ok(())
}
