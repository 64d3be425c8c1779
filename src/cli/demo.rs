//! `flowdiff demo`: trains diffusion and flow matching on moons and eight-gaussians with the
//! defaults, samples each with two samplers, evaluates against fresh data, and writes the
//! pictures and `summary.json`.

use crate::data::DataSpec;
use crate::data::toy::Toy;
use crate::io::{Array2, write_array, write_json};
use crate::method::Method;
use crate::metrics::{REFERENCE_DRAWS, Report, evaluate, reference_draws};
use crate::plot::{self, Panel};
use crate::rng::SeededRng;
use crate::sampling::Sampler;
use crate::solver::SolverKind;
use crate::train::{RunDir, TrainConfig, TrainOptions, train};
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output directory.
    #[arg(long, default_value = "demo")]
    out: PathBuf,
    /// Training steps per model (default: the training default).
    #[arg(long)]
    steps: Option<usize>,
    /// Samples per evaluation.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Serialize)]
struct Row {
    data: String,
    method: String,
    sampler: String,
    nfe: usize,
    seconds: f64,
    metrics: Report,
}

#[derive(Serialize)]
struct Summary {
    seed: u64,
    n: usize,
    training: Vec<(String, String, usize, f64, f64)>,
    results: Vec<Row>,
}

fn samplers(method: &Method) -> Vec<Sampler> {
    match method {
        Method::Diffusion { .. } => vec![
            Sampler::parse(method, Some("ddpm"), None, None, 0.0, 1e-5, 1e-5).unwrap(),
            Sampler::parse(method, Some("ddim"), None, Some(50), 0.0, 1e-5, 1e-5).unwrap(),
            Sampler::parse(
                method,
                Some("dpm-solver++"),
                None,
                Some(20),
                0.0,
                1e-5,
                1e-5,
            )
            .unwrap(),
        ],
        Method::Flow { .. } => vec![
            Sampler::Ode {
                solver: SolverKind::Dopri5,
                steps: 0,
                rtol: 1e-5,
                atol: 1e-5,
            },
            Sampler::Ode {
                solver: SolverKind::Midpoint,
                steps: 10,
                rtol: 0.0,
                atol: 0.0,
            },
        ],
    }
}

pub fn run(a: Args) -> Result<()> {
    let timer = std::time::Instant::now();
    std::fs::create_dir_all(&a.out)?;
    println!(
        "flowdiff demo: seed {}, {} samples per evaluation, output in {}",
        a.seed,
        a.n,
        a.out.display()
    );
    let device = crate::device::default();
    let mut summary = Summary {
        seed: a.seed,
        n: a.n,
        training: Vec::new(),
        results: Vec::new(),
    };
    let mut losses = Vec::new();
    for toy in [Toy::Moons, Toy::EightGaussians] {
        let mut panels: Vec<(String, Vec<f32>)> = Vec::new();
        let mut rng = SeededRng::new(a.seed).fork(toy.name());
        let refs = reference_draws(|n| toy.sample(n, &mut rng), a.n, REFERENCE_DRAWS);
        let ref_a = refs[0].clone();
        panels.push((format!("{} (data)", toy.name()), ref_a.clone()));
        for method in [Method::diffusion(), Method::flow()] {
            let dir = a.out.join(format!("{}-{}", toy.name(), method.name()));
            let mut cfg = TrainConfig::points(DataSpec::Toy { name: toy }, method.clone(), 2);
            cfg.seed = a.seed;
            cfg.steps = a.steps.unwrap_or(cfg.steps);
            println!(
                "training {} on {} ({} steps) -> {}",
                method.name(),
                toy.name(),
                cfg.steps,
                dir.display()
            );
            let out = train(
                &cfg,
                &cfg.data.open()?,
                &dir,
                TrainOptions {
                    progress: !a.quiet,
                    ..Default::default()
                },
            )?;
            println!(
                "  {:.1}s, {:.0} steps/s, final loss {:.4}",
                out.seconds,
                out.steps_run as f64 / out.seconds,
                out.final_loss
            );
            summary.training.push((
                toy.name().into(),
                method.name().into(),
                out.steps,
                out.seconds,
                out.final_loss,
            ));
            let pts: Vec<(f64, f64)> = out.losses.iter().map(|r| (r.0 as f64 + 1.0, r.1)).collect();
            losses.push((
                format!("{} {}", toy.name(), method.name()),
                plot::smooth(&pts, 50),
            ));
            let (_, model) = RunDir(dir.clone()).load_model(&device)?;
            for (k, sampler) in samplers(&method).into_iter().enumerate() {
                let t = std::time::Instant::now();
                let sol = sampler.run(
                    &method,
                    &model,
                    a.n,
                    &mut SeededRng::new(a.seed).fork("sample"),
                    k == 0,
                )?;
                let seconds = t.elapsed().as_secs_f64();
                let x = crate::device::to_vec(sol.x);
                let metrics = evaluate(&x, &refs, 2, 2000);
                println!(
                    "  {:<16} NFE {:>4}  {:>6.2}s  sliced W2 {:.4} ({:.2}x floor)",
                    sampler.label(),
                    sol.nfe,
                    seconds,
                    metrics.sliced_w2.value,
                    metrics.sliced_w2.ratio
                );
                write_array(
                    &dir.join(format!("samples-{}.npy", sampler.label())),
                    &Array2::new(x.clone(), a.n, 2),
                )?;
                if k == 0 {
                    let traj: Vec<(f64, Vec<f32>)> = sol
                        .trajectory
                        .into_iter()
                        .map(|(t, x)| (t, crate::device::to_vec(x)))
                        .collect();
                    let name = format!("{}-{}-trajectories.png", toy.name(), method.name());
                    plot::trajectories(
                        &a.out.join(name),
                        &format!("{} on {}: noise to data", method.name(), toy.name()),
                        &thin(traj, 40),
                        80,
                        plot::bounds(&ref_a),
                    )?;
                }
                panels.push((
                    format!("{} {} (NFE {})", method.name(), sampler.label(), sol.nfe),
                    x,
                ));
                summary.results.push(Row {
                    data: toy.name().into(),
                    method: method.name().into(),
                    sampler: sampler.label(),
                    nfe: sol.nfe,
                    seconds,
                    metrics,
                });
            }
        }
        let refs: Vec<Panel> = panels
            .iter()
            .map(|(t, p)| Panel {
                title: t.clone(),
                points: p,
            })
            .collect();
        plot::scatter_panels(
            &a.out.join(format!("{}-comparison.png", toy.name())),
            &format!("{}: diffusion beside flow matching", toy.name()),
            &refs,
            6,
            plot::bounds(&ref_a),
        )?;
    }
    forward_strip(&a.out, a.seed)?;
    plot::curves(
        &a.out.join("loss.png"),
        "training loss (moving average of 50 steps)",
        "step",
        "loss",
        &losses,
        false,
    )?;
    write_json(&a.out.join("summary.json"), &summary)?;
    print_table(&summary);
    println!(
        "done in {:.0}s. Pictures and summary.json are in {}",
        timer.elapsed().as_secs_f64(),
        a.out.display()
    );
    Ok(())
}

/// Keeps about `k` evenly spaced snapshots of a trajectory (always the first and last).
fn thin(traj: Vec<(f64, Vec<f32>)>, k: usize) -> Vec<(f64, Vec<f32>)> {
    let n = traj.len();
    if n <= k {
        return traj;
    }
    traj.into_iter()
        .enumerate()
        .filter(|(i, _)| i % n.div_ceil(k) == 0 || *i == n - 1)
        .map(|(_, s)| s)
        .collect()
}

/// The forward-noising strip on moons (Ho et al. eq. 4, one noise draw, several steps).
fn forward_strip(out: &Path, seed: u64) -> Result<()> {
    let schedule = crate::schedule::NoiseSchedule::new(crate::schedule::ScheduleKind::Linear, 1000);
    super::forward::draw(
        &crate::data::PointSource::Toy(Toy::Moons),
        &schedule,
        &[0, 50, 150, 300, 600, 999],
        seed,
        &out.join("forward-noising.png"),
    )
}

fn print_table(s: &Summary) {
    println!(
        "\n{:<16} {:<10} {:<18} {:>5} {:>8} {:>10} {:>7}",
        "data", "method", "sampler", "NFE", "seconds", "sliced W2", "ratio"
    );
    for r in &s.results {
        println!(
            "{:<16} {:<10} {:<18} {:>5} {:>8.2} {:>10.4} {:>6.2}x",
            r.data,
            r.method,
            r.sampler,
            r.nfe,
            r.seconds,
            r.metrics.sliced_w2.value,
            r.metrics.sliced_w2.ratio
        );
    }
}
