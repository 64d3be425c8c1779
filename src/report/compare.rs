//! Runs side by side: every run sampled at the same NFE budgets with its natural samplers,
//! quality (sliced W2 over the noise floor) and wall time per run, and the sentences the
//! numbers support.

use super::html::{self, figure, table};
use crate::method::Method;
use crate::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use crate::plot::{self, Panel};
use crate::rng::SeededRng;
use crate::sampling::Sampler;
use crate::train::RunDir;
use anyhow::{Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One run × sampler × budget.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub run: String,
    pub method: String,
    pub sampler: String,
    pub family: String,
    pub nfe: usize,
    pub seconds: f64,
    pub ratio: f64,
}

/// The samplers each method is compared with at a budget of `nfe` evaluations.
fn samplers(method: &Method, nfe: usize) -> Vec<Sampler> {
    let names: &[(&str, Option<&str>)] = match method {
        Method::Diffusion { .. } => &[
            ("ddim", None),
            ("dpm-solver++", None),
            ("ode", Some("heun")),
        ],
        _ => &[
            ("ode", Some("euler")),
            ("ode", Some("midpoint")),
            ("dpm-solver++", None),
        ],
    };
    names
        .iter()
        .filter_map(|(s, solver)| {
            Sampler::parse(method, Some(s), *solver, Some(nfe), 0.0, 1e-5, 1e-5).ok()
        })
        .collect()
}

/// Samples every run at every budget; writes `compare.png`, `compare-<nfe>.png` (samples side
/// by side at the middle budget) and returns the entries and their HTML.
pub fn compare(
    runs: &[PathBuf],
    out: &Path,
    nfe: &[usize],
    n: usize,
    seed: u64,
) -> Result<(Vec<Entry>, String)> {
    if runs.is_empty() || nfe.is_empty() {
        bail!("compare needs runs and NFE budgets");
    }
    std::fs::create_dir_all(out)?;
    let device = crate::device::default();
    let first = RunDir(runs[0].clone()).load_config()?;
    let source = first.data.open()?;
    if source.dim() != 2 {
        bail!(
            "compare draws and scores 2-D point runs; {} has dimension {}",
            runs[0].display(),
            source.dim()
        );
    }
    let mut rng = SeededRng::new(seed).fork("compare-reference");
    let refs = reference_draws(|k| source.sample(k, &mut rng), n, REFERENCE_DRAWS);
    let mid = nfe[nfe.len() / 2];
    let mut entries = Vec::new();
    let mut panels: Vec<(String, Vec<f32>)> = vec![("data".into(), refs[0].clone())];
    for run in runs {
        let (cfg, model) = RunDir(run.clone()).load_model(&device)?;
        if cfg.data != first.data {
            bail!(
                "{} was trained on {}, {} on {}: compare runs on the same data",
                runs[0].display(),
                first.data.label(),
                run.display(),
                cfg.data.label()
            );
        }
        let name = run.file_name().map_or_else(
            || run.display().to_string(),
            |s| s.to_string_lossy().to_string(),
        );
        for &k in nfe {
            let set = samplers(&cfg.method, k);
            // The side-by-side panel shows each run's second sampler (its standard one).
            let shown = set.get(1).map(|s| s.family());
            for s in set {
                s.run(&cfg.method, &model, 64, &mut SeededRng::new(seed), false)?; // warm-up
                let t = std::time::Instant::now();
                let sol = s.run(
                    &cfg.method,
                    &model,
                    n,
                    &mut SeededRng::new(seed).fork("sample"),
                    false,
                )?;
                let x = crate::device::to_vec(sol.x);
                let seconds = t.elapsed().as_secs_f64();
                let ratio = evaluate(&x, &refs, 2, 500).sliced_w2.ratio;
                if k == mid && Some(s.family()) == shown {
                    panels.push((format!("{name}: {} ({} NFE)", s.label(), sol.nfe), x));
                }
                entries.push(Entry {
                    run: name.clone(),
                    method: cfg.method.name().into(),
                    sampler: s.label(),
                    family: s.family(),
                    nfe: sol.nfe,
                    seconds,
                    ratio,
                });
            }
        }
    }
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for e in &entries {
        let key = format!("{} {}", e.run, e.family);
        match series.iter_mut().find(|s| s.0 == key) {
            Some(s) => s.1.push((e.nfe as f64, e.ratio)),
            None => series.push((key, vec![(e.nfe as f64, e.ratio)])),
        }
    }
    plot::curves(
        &out.join("compare.png"),
        &format!("quality against NFE ({})", first.data.label()),
        "NFE",
        "sliced W2 / noise floor",
        &series,
        true,
    )?;
    let p: Vec<Panel> = panels
        .iter()
        .map(|(t, x)| Panel {
            title: t.clone(),
            points: x,
        })
        .collect();
    let side = format!("compare-{mid}.png");
    plot::scatter_panels(
        &out.join(&side),
        &format!("side by side at {mid} NFE"),
        &p,
        p.len(),
        plot::bounds(&refs[0]),
    )?;
    let sentences = summarize(&entries, n);
    let mut body = format!("<p class=\"lead\">{}</p>", html::esc(&sentences.join(" ")));
    body.push_str(&figure(&side, &format!("samples at {mid} NFE beside data")));
    body.push_str(&figure(
        "compare.png",
        "sliced W2 over its noise floor, against NFE (1.0 = as close as fresh data)",
    ));
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.run.clone(),
                e.sampler.clone(),
                e.nfe.to_string(),
                format!("{:.3}", e.seconds),
                format!("{:.0}", n as f64 / e.seconds),
                format!("{:.2}x", e.ratio),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "run",
            "sampler",
            "NFE",
            "seconds",
            "samples/s",
            "sliced W2 / floor",
        ],
        &rows,
    ));
    Ok((entries, body))
}

/// Sentences the numbers support: which method was better at which budget, how many NFE (and
/// seconds) each needed to come within 2× the noise floor, and the best sample overall.
pub fn summarize(entries: &[Entry], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut runs: Vec<&str> = entries.iter().map(|e| e.run.as_str()).collect();
    runs.dedup();
    let best = |run: &str, nfe: usize| {
        entries
            .iter()
            .filter(|e| e.run == run && e.nfe.abs_diff(nfe) <= 1)
            .min_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap())
    };
    let mut budgets: Vec<usize> = entries.iter().map(|e| e.nfe).collect();
    budgets.sort();
    budgets.dedup_by(|a, b| a.abs_diff(*b) <= 1);
    let mut wins: Vec<(String, Vec<usize>)> = Vec::new();
    for &k in &budgets {
        let w = runs
            .iter()
            .filter_map(|r| best(r, k))
            .min_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap());
        if let Some(w) = w {
            match wins.iter_mut().find(|x| x.0 == w.run) {
                Some(x) => x.1.push(k),
                None => wins.push((w.run.clone(), vec![k])),
            }
        }
    }
    let list = |v: &[usize]| {
        v.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let parts: Vec<String> = wins
        .iter()
        .map(|(r, ks)| format!("{r} at {} NFE", list(ks)))
        .collect();
    if !parts.is_empty() {
        out.push(format!(
            "Lowest sliced-W2 ratio per budget: {}.",
            parts.join("; ")
        ));
    }
    let reach: Vec<(String, Option<&Entry>)> = runs
        .iter()
        .map(|r| {
            (
                r.to_string(),
                entries
                    .iter()
                    .filter(|e| e.run == *r && e.ratio <= 2.0)
                    .min_by(|a, b| (a.nfe, a.seconds).partial_cmp(&(b.nfe, b.seconds)).unwrap()),
            )
        })
        .collect();
    let reached: Vec<String> = reach
        .iter()
        .map(|(r, e)| match e {
            Some(e) => format!(
                "{r} needed {} NFE ({}, {:.2} s for {n} points)",
                e.nfe, e.sampler, e.seconds
            ),
            None => format!("{r} did not get there at the budgets tried"),
        })
        .collect();
    out.push(format!(
        "To come within 2x the noise floor, {}.",
        reached.join(", ")
    ));
    let got: Vec<&Entry> = reach.iter().filter_map(|(_, e)| *e).collect();
    if got.len() >= 2 {
        let (fast, slow) = (
            got.iter()
                .min_by(|a, b| a.seconds.partial_cmp(&b.seconds).unwrap())
                .unwrap(),
            got.iter()
                .max_by(|a, b| a.seconds.partial_cmp(&b.seconds).unwrap())
                .unwrap(),
        );
        if fast.run != slow.run {
            out.push(format!(
                "At that quality {} was {:.1}x faster than {}.",
                fast.run,
                slow.seconds / fast.seconds,
                slow.run
            ));
        }
    }
    if let Some(b) = entries
        .iter()
        .min_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap())
    {
        out.push(format!(
            "The closest sample overall came from {} with {} at {} NFE ({:.2}x the floor).",
            b.run, b.sampler, b.nfe, b.ratio
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(run: &str, nfe: usize, seconds: f64, ratio: f64) -> Entry {
        Entry {
            run: run.into(),
            method: run.into(),
            sampler: format!("s-{nfe}"),
            family: "s".into(),
            nfe,
            seconds,
            ratio,
        }
    }

    #[test]
    fn sentences_follow_the_numbers() {
        let entries = vec![
            e("flow", 10, 0.5, 1.5),
            e("flow", 20, 1.0, 1.2),
            e("diffusion", 10, 0.5, 4.0),
            e("diffusion", 20, 1.0, 1.1),
        ];
        let s = summarize(&entries, 5000).join(" ");
        assert!(
            s.contains("flow at 10 NFE") && s.contains("diffusion at 20 NFE"),
            "{s}"
        );
        assert!(
            s.contains("flow needed 10 NFE") && s.contains("diffusion needed 20 NFE"),
            "{s}"
        );
        assert!(s.contains("flow was 2.0x faster than diffusion"), "{s}");
        assert!(s.contains("from diffusion with s-20"), "{s}");
        // Reversed numbers give reversed sentences.
        let flipped: Vec<Entry> = entries
            .iter()
            .map(|x| Entry {
                run: if x.run == "flow" {
                    "diffusion".into()
                } else {
                    "flow".into()
                },
                ..x.clone()
            })
            .collect();
        assert!(
            summarize(&flipped, 5000)
                .join(" ")
                .contains("diffusion needed 10 NFE")
        );
    }
}
