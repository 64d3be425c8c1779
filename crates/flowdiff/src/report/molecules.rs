//! The report section of a molecule run (`graph.json`): loss curve, the preview grids drawn
//! during training, the metrics of `flowdiff sample`/`eval` when saved beside the run, and the
//! config.

use super::html::{esc, figure, pre, table};
use crate::error::Result;
use crate::plot;
use crate::train::RunDir;
use crate::train::graph::load_config;
use std::path::Path;

/// HTML for the molecule run in `run`, with pictures written into `out` (names prefixed).
pub fn run_section(run: &Path, out: &Path, prefix: &str) -> Result<String> {
    let cfg = load_config(run)?;
    let rd = RunDir(run.to_path_buf());
    crate::io::create_dir(out)?;
    let name = cfg.method.display_name();
    let mut body = format!(
        "<p>{} on QM9 ({:?} prior), {} steps, batch {}, seed {}.</p>",
        esc(name),
        cfg.node_prior.kind,
        cfg.optim.steps,
        cfg.batch_size,
        cfg.optim.seed
    );
    if let Ok(losses) = crate::train::checkpoint::load_loss_log(&rd.loss_log()) {
        let pts: Vec<(f64, f64)> = losses.iter().map(|r| (r.0 as f64 + 1.0, r.1)).collect();
        let file = format!("{prefix}loss.png");
        plot::curves(
            &out.join(&file),
            "training loss",
            "step",
            "loss",
            &[(
                name.to_string(),
                plot::smooth(&pts, (pts.len() / 100).max(1)),
            )],
            false,
        )?;
        body.push_str(&figure(&file, "training loss (moving average)"));
    }
    let metrics = run.join("metrics.json");
    if let Ok(text) = std::fs::read_to_string(&metrics)
        && let Ok(m) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let pct = |k: &str| format!("{:.1}%", 100.0 * m[k].as_f64().unwrap_or(f64::NAN));
        let num = |k: &str| format!("{:.3}", m[k].as_f64().unwrap_or(f64::NAN));
        body.push_str("<h3>Samples</h3>");
        body.push_str(&table(
            &[
                "n",
                "validity",
                "uniqueness",
                "novelty",
                "TV atoms",
                "TV bonds",
                "TV sizes",
            ],
            &[vec![
                m["n"].to_string(),
                pct("validity"),
                pct("uniqueness"),
                pct("novelty"),
                num("atom_type_tv"),
                num("bond_type_tv"),
                num("atom_count_tv"),
            ]],
        ));
    }
    if run.join("samples.png").exists() && out == run {
        body.push_str(&figure("samples.png", "generated molecules"));
    }
    let mut previews: Vec<_> = std::fs::read_dir(run.join("samples"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    previews.sort();
    if let Some(last) = previews.last()
        && out == run
    {
        let rel = format!(
            "samples/{}",
            last.file_name().unwrap_or_default().to_string_lossy()
        );
        body.push_str(&figure(
            &rel,
            "preview drawn during training (64 molecules, 100 steps)",
        ));
    }
    body.push_str("<h3>Config</h3>");
    body.push_str(&pre(&serde_json::to_string_pretty(&cfg)?));
    Ok(body)
}
