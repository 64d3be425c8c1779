//! Runs side by side: every run sampled at the same NFE budgets with its natural samplers,
//! quality (sliced W2 over the noise floor) and wall time per run, and the sentences the
//! numbers support. The page opens with the conclusions (the best sampler of each run at each
//! budget, and one line per finding) and marks the best row of each budget in its tables;
//! what the numbers support is worked out in `report::conclusions`.

use super::conclusions::push_grouped;
pub use super::conclusions::{best_per_budget, budget_of, conclusions, findings, summarize};
use super::html::{self, BEST, Cell, Row, esc, figure};
use crate::data::DataSource;
use crate::error::{Result, bail};
use crate::method::Method;
use crate::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use crate::plot::{self, Panel};
use crate::rng::SeededRng;
use crate::sampling::{Sampler, SamplerKind, SamplerSpec};
use crate::solver::SolverKind;
use crate::train::RunDir;
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
    let specs = match method {
        Method::Diffusion { .. } => [
            SamplerSpec::new(SamplerKind::Ddim),
            SamplerSpec::new(SamplerKind::DpmSolverPp),
            SamplerSpec::ode(SolverKind::Heun),
        ],
        _ => [
            SamplerSpec::ode(SolverKind::Euler),
            SamplerSpec::ode(SolverKind::Midpoint),
            SamplerSpec::new(SamplerKind::DpmSolverPp),
        ],
    };
    specs
        .iter()
        .filter_map(|s| s.with_nfe(nfe).build(method).ok())
        .collect()
}

/// Samples every run at every budget; writes `compare.png`, `compare-<nfe>.png` (samples side
/// by side at the smallest and the middle budget) and returns the entries and their HTML.
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
    crate::io::create_dir(out)?;
    let device = crate::device::default();
    let first = RunDir(runs[0].clone()).load_config()?;
    let source = first.data.reference().open()?;
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
    // Side-by-side pictures at the smallest and the middle budget (the smallest shows what
    // one- and two-step students do that their teachers cannot).
    let mut shown_budgets = vec![nfe[0], mid];
    shown_budgets.dedup();
    let mut panels: Vec<Vec<(String, Vec<f32>)>> =
        vec![vec![("data".into(), refs[0].clone())]; shown_budgets.len()];
    for run in runs {
        let (cfg, model) = RunDir(run.clone()).load_model(&device)?;
        if cfg.data.reference() != first.data.reference() {
            bail!(
                "{} was trained on {}, {} on {}: compare runs on the same data",
                runs[0].display(),
                first.data.reference().label(),
                run.display(),
                cfg.data.reference().label()
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
                let at = shown_budgets.iter().position(|&b| b == k);
                if let (Some(at), true) = (at, Some(s.family()) == shown) {
                    panels[at].push((format!("{name}: {} ({} NFE)", s.label(), sol.nfe), x));
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
        push_grouped(&mut series, key, (e.nfe as f64, e.ratio));
    }
    plot::curves(
        &out.join("compare.png"),
        &format!("quality against NFE ({})", first.data.reference().label()),
        "NFE",
        "sliced W2 / noise floor",
        &series,
        true,
    )?;
    let mut sides = Vec::new();
    for (budget, panels) in shown_budgets.iter().zip(&panels) {
        let p: Vec<Panel> = panels
            .iter()
            .map(|(t, x)| Panel {
                title: t.clone(),
                points: x,
            })
            .collect();
        let side = format!("compare-{budget}.png");
        plot::scatter_panels(
            &out.join(&side),
            &format!("side by side at {budget} NFE"),
            &p,
            p.len(),
            plot::bounds(&refs[0]),
        )?;
        sides.push(figure(
            &side,
            &format!("samples at {budget} NFE beside data"),
        ));
    }
    let mut body = conclusions(&entries, n, nfe, "Conclusions");
    body.push_str(&sides.concat());
    body.push_str(&figure(
        "compare.png",
        "sliced W2 over its noise floor, against NFE (1.0 = as close as fresh data)",
    ));
    body.push_str(&format!(
        "<p class=\"note\">Every run, sampler and budget on {} ({n} points each), grouped by \
         NFE budget; <span class=\"star\">{BEST}</span> marks the lowest sliced-W2 ratio of each \
         budget.</p>",
        esc(&first.data.reference().label())
    ));
    body.push_str(&entries_table(&entries, n, nfe));
    body.push_str(&students_note(runs)?);
    Ok((entries, body))
}

/// What each distilled student among `runs` cost (from its `distill.json`), or nothing.
fn students_note(runs: &[PathBuf]) -> Result<String> {
    let mut lines = Vec::new();
    for run in runs {
        if let Some(record) = crate::distill::Record::load(run)? {
            let name = run.file_name().map_or_else(
                || run.display().to_string(),
                |s| s.to_string_lossy().to_string(),
            );
            lines.push(format!("<li>{}: {}</li>", esc(&name), esc(&record.cost())));
        }
    }
    Ok(if lines.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"note\">Distilled students, with what they cost:</p><ul>{}</ul>",
            lines.join("")
        )
    })
}

/// Every entry, grouped by budget (ascending), the best row of each budget marked.
fn entries_table(entries: &[Entry], n: usize, budgets: &[usize]) -> String {
    let mut rows = Vec::new();
    for (b, _, best) in best_per_budget(entries, budgets) {
        let group = entries.iter().filter(|e| budget_of(e.nfe, budgets) == b);
        for (i, e) in group.enumerate() {
            let is_best = best.is_some_and(|x| std::ptr::eq(x, e));
            let mut class = Vec::new();
            if i == 0 {
                class.push("group");
            }
            if is_best {
                class.push("best");
            }
            let run = if is_best {
                Cell {
                    class: "t".into(),
                    html: format!("<span class=\"star\">{BEST}</span> {}", esc(&e.run)),
                }
            } else {
                Cell::name(&e.run)
            };
            rows.push(Row {
                class: class.join(" "),
                cells: vec![
                    run,
                    Cell::name(&e.sampler),
                    Cell::text(&e.nfe.to_string()),
                    Cell::text(&format!("{:.3}", e.seconds)),
                    Cell::text(&format!("{:.0}", n as f64 / e.seconds)),
                    Cell::text(&format!("{:.2}×", e.ratio)),
                ],
            });
        }
    }
    html::table_rows(
        &[
            "run",
            "sampler",
            "NFE",
            "seconds",
            "samples/s",
            "sliced W2 / floor",
        ],
        &rows,
    )
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

    /// Flow better at 10 NFE, diffusion (its cheap entry at `low` NFE) better at 20.
    fn flow_and_diffusion(low: usize) -> Vec<Entry> {
        vec![
            e("flow", 10, 0.5, 1.5),
            e("flow", 20, 1.0, 1.2),
            e("diffusion", low, 0.5, 4.0),
            e("diffusion", 20, 1.0, 1.1),
        ]
    }

    #[test]
    fn the_conclusions_open_the_page_and_mark_the_best_per_budget() {
        let entries = flow_and_diffusion(9);
        assert_eq!(budget_of(9, &[10, 20]), 10);
        assert_eq!(budget_of(15, &[10, 20]), 10);
        assert_eq!(budget_of(16, &[10, 20]), 20);
        let c = conclusions(&entries, 5000, &[10, 20], "Conclusions");
        assert!(
            c.starts_with("<div class=\"conclusions\"><h3>Conclusions</h3><table>"),
            "{c}"
        );
        // Budget 10: flow (1.50x beats diffusion's 4.00x at 9 NFE); budget 20: diffusion.
        let star = format!("<td class=\"best\"><span class=\"star\">{BEST}</span>");
        assert!(
            c.contains(&format!("{star} 1.50× <small>s-10</small>")),
            "{c}"
        );
        assert!(
            c.contains(&format!("{star} 1.10× <small>s-20</small>")),
            "{c}"
        );
        assert!(c.contains("<td>4.00× <small>s-9</small></td>"), "{c}");
        assert_eq!(
            c.matches(BEST).count(),
            3,
            "two marked cells and the note: {c}"
        );
        let items = c.split("<li>").count() - 1;
        assert_eq!(items, 5, "one line per finding: {c}");
        assert!(
            c.contains("<b>flow</b> at 10 NFE; <b>diffusion</b> at 20 NFE"),
            "{c}"
        );
        assert!(
            c.contains("<b>flow</b> came within 2× the noise floor at 10 NFE"),
            "{c}"
        );
        assert!(
            c.contains("<b>diffusion</b> came within 2× the noise floor at 20 NFE"),
            "{c}"
        );
        assert!(
            c.contains("<b>flow</b> was 2.0× faster than diffusion"),
            "{c}"
        );
        assert!(
            c.contains("Closest overall: <b>diffusion</b> with s-20 at 20 NFE, 1.10×"),
            "{c}"
        );
        // The full table: grouped by budget, one marked row per budget.
        let t = entries_table(&entries, 5000, &[10, 20]);
        assert_eq!(t.matches("<tr class=\"group best\">").count(), 1, "{t}");
        assert_eq!(t.matches("<tr class=\"best\">").count(), 1, "{t}");
        assert_eq!(t.matches("class=\"group").count(), 2, "{t}");
        let pos = |s: &str| t.find(s).unwrap();
        assert!(pos("s-9") < pos("s-20"), "rows in budget order: {t}");
        // Reversed numbers move the marks.
        let worse: Vec<Entry> = entries
            .iter()
            .map(|x| Entry {
                ratio: if x.run == "flow" {
                    x.ratio * 10.0
                } else {
                    x.ratio
                },
                ..x.clone()
            })
            .collect();
        let c = conclusions(&worse, 5000, &[10, 20], "C");
        assert!(
            c.contains(&format!("{star} 4.00× <small>s-9</small>")),
            "{c}"
        );
        assert!(c.contains("<b>flow</b> did not come within 2×"), "{c}");
    }

    #[test]
    fn sentences_follow_the_numbers() {
        let entries = flow_and_diffusion(10);
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
