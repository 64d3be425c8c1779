//! Reports people look at: an `index.html` per run directory (config, loss curve, samples,
//! trajectories, metrics) and comparison pages that put runs side by side at matched NFE with
//! the quality-against-NFE plot, wall times, and sentences written from the measured numbers.

pub mod compare;
mod conclusions;
pub mod html;
pub mod molecules;

use crate::data::DataSource;
use crate::data::PointSource;
use crate::error::Result;
use crate::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use crate::plot::{self, Panel};
use crate::rng::SeededRng;
use crate::sampling::Sampler;
use crate::train::{RunDir, RunKind};
use html::{esc, figure, pre, table};
use std::path::Path;

/// The fast sampler a report shows for a run: 20 NFE (DPM-Solver++ for diffusion, midpoint
/// for flow and hybrid).
pub fn report_sampler(method: &crate::method::Method) -> Sampler {
    Sampler::preview(method)
}

/// Draws the run's pictures into `out` (prefixing file names with `prefix`) and returns the
/// HTML of its section.
pub fn run_section(run: &Path, out: &Path, prefix: &str, seed: u64) -> Result<String> {
    let rd = RunDir(run.to_path_buf());
    if rd.kind()? == RunKind::Graphs {
        return molecules::run_section(run, out, prefix);
    }
    let cfg = rd.load_config()?;
    let device = crate::device::default();
    let (_, model) = rd.load_model(&device)?;
    crate::io::create_dir(out)?;
    let mut body = format!(
        "<p>{} on {}, {} steps, seed {}.</p>",
        esc(cfg.method.name()),
        esc(&cfg.data.label()),
        cfg.optim.steps,
        cfg.optim.seed
    );
    // Loss curve.
    if let Ok(losses) = crate::train::checkpoint::load_loss_log(&rd.loss_log()) {
        let pts: Vec<(f64, f64)> = losses.iter().map(|r| (r.0 as f64 + 1.0, r.1)).collect();
        let name = format!("{prefix}loss.png");
        plot::curves(
            &out.join(&name),
            "training loss",
            "step",
            "loss",
            &[(
                cfg.method.name().to_string(),
                plot::smooth(&pts, (pts.len() / 100).max(1)),
            )],
            false,
        )?;
        body.push_str(&figure(&name, "training loss (moving average)"));
    }
    let sampler = report_sampler(&cfg.method);
    let source = cfg.data.reference().open()?;
    let d = cfg.model.dim();
    let sol = sampler.run(
        &cfg.method,
        &model,
        if cfg.model.image_shape().is_some() {
            100
        } else {
            4000
        },
        &mut SeededRng::new(seed),
        true,
    )?;
    let x = crate::device::to_vec(sol.x);
    let traj: Vec<(f64, Vec<f32>)> = sol
        .trajectory
        .into_iter()
        .map(|(t, x)| (t, crate::device::to_vec(x)))
        .collect();
    let mut metrics = Vec::new();
    match (&source, cfg.model.image_shape()) {
        (PointSource::Images(_), Some([c, h, w])) => {
            let images = crate::data::images::to_unit(&x);
            let name = format!("{prefix}samples.png");
            crate::grid::write(
                &out.join(&name),
                &crate::grid::Grid {
                    images: &images,
                    channels: c,
                    height: h,
                    width: w,
                    cols: 10,
                    row_labels: None,
                    caption: Some(sampler.label()),
                    scale: 2,
                },
            )?;
            body.push_str(&figure(
                &name,
                &format!("samples, {} ({} NFE)", sampler.label(), sol.nfe),
            ));
            let name = format!("{prefix}trajectory.png");
            crate::grid::trajectory_strip(&out.join(&name), &traj, [c, h, w], "noise to data")?;
            body.push_str(&figure(&name, "denoising trajectories"));
        }
        _ if d == 2 => {
            let mut rng = SeededRng::new(seed).fork("report-reference");
            let refs = reference_draws(|n| source.sample(n, &mut rng), 4000, REFERENCE_DRAWS);
            let name = format!("{prefix}samples.png");
            let panels = [
                Panel {
                    title: "data".into(),
                    points: &refs[0],
                },
                Panel {
                    title: format!("{} ({} NFE)", sampler.label(), sol.nfe),
                    points: &x,
                },
            ];
            plot::scatter_panels(
                &out.join(&name),
                "samples beside data",
                &panels,
                2,
                plot::bounds(&refs[0]),
            )?;
            body.push_str(&figure(&name, "samples beside fresh data"));
            let name = format!("{prefix}trajectories.png");
            plot::trajectories(
                &out.join(&name),
                "noise to data",
                &traj,
                60,
                plot::bounds(&refs[0]),
            )?;
            body.push_str(&figure(&name, "trajectories from noise to data"));
            let r = evaluate(&x, &refs, 2, 2000);
            for (m, s) in [
                ("sliced W2", r.sliced_w2),
                ("energy distance", r.energy),
                ("MMD (RBF)", r.mmd),
            ] {
                metrics.push(vec![
                    m.to_string(),
                    format!("{:.4}", s.value),
                    format!("{:.4}", s.floor),
                    format!("{:.2}x", s.ratio),
                ]);
            }
        }
        _ => {}
    }
    if !metrics.is_empty() {
        body.push_str(&format!(
            "<h3>Metrics ({}, n = 4000, {} NFE)</h3>",
            esc(&sampler.label()),
            sol.nfe
        ));
        body.push_str(&table(
            &["metric", "value", "noise floor", "ratio"],
            &metrics,
        ));
    }
    let bench = run.join("bench/bench.json");
    if let Ok(text) = std::fs::read_to_string(&bench) {
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        let name = format!("{prefix}bench.png");
        if std::fs::copy(run.join("bench/bench.png"), out.join(&name)).is_ok() {
            body.push_str(&figure(&name, "quality against NFE"));
        }
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r["sampler"].as_str().unwrap_or("").to_string(),
                    r["nfe"].to_string(),
                    format!("{:.3}", r["seconds"].as_f64().unwrap_or(f64::NAN)),
                    format!("{:.2}x", r["sliced_w2_ratio"].as_f64().unwrap_or(f64::NAN)),
                ]
            })
            .collect();
        body.push_str(&table(
            &["sampler", "NFE", "seconds", "sliced W2 / floor"],
            &rows,
        ));
    }
    body.push_str("<h3>Config</h3>");
    body.push_str(&pre(&serde_json::to_string_pretty(&cfg)?));
    Ok(body)
}

/// Writes `index.html` for one run directory, with its pictures beside it.
pub fn write_run_page(run: &Path, seed: u64) -> Result<()> {
    let body = run_section(run, run, "report-", seed)?;
    crate::io::write_atomic(
        &run.join("index.html"),
        html::page(&format!("flowdiff run {}", run.display()), &body).as_bytes(),
    )
}
