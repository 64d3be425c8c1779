//! Runs side by side: every run sampled at the same NFE budgets with its natural samplers,
//! quality (sliced W2 over the noise floor) and wall time per run, and the sentences the
//! numbers support. The page opens with the conclusions (the best sampler of each run at each
//! budget, and one line per finding) and marks the best row of each budget in its tables.

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
    let mut body = conclusions(&entries, n, nfe, "Conclusions");
    body.push_str(&figure(&side, &format!("samples at {mid} NFE beside data")));
    body.push_str(&figure(
        "compare.png",
        "sliced W2 over its noise floor, against NFE (1.0 = as close as fresh data)",
    ));
    body.push_str(&format!(
        "<p class=\"note\">Every run, sampler and budget on {} ({n} points each), grouped by \
         NFE budget; <span class=\"star\">{BEST}</span> marks the lowest sliced-W2 ratio of each \
         budget.</p>",
        esc(&first.data.label())
    ));
    body.push_str(&entries_table(&entries, n, nfe));
    Ok((entries, body))
}

/// The requested budget nearest to `nfe` (ties go to the smaller; `nfe` itself when there are
/// no budgets).
pub fn budget_of(nfe: usize, budgets: &[usize]) -> usize {
    budgets
        .iter()
        .copied()
        .min_by_key(|b| (b.abs_diff(nfe), *b))
        .unwrap_or(nfe)
}

/// The budgets of `entries`: `budgets` when given, else the distinct NFE counts.
fn budget_list(entries: &[Entry], budgets: &[usize]) -> Vec<usize> {
    let mut b: Vec<usize> = if budgets.is_empty() {
        entries.iter().map(|e| e.nfe).collect()
    } else {
        budgets.to_vec()
    };
    b.sort();
    b.dedup();
    b
}

/// The runs of `entries` in the order they first appear.
fn run_names(entries: &[Entry]) -> Vec<&str> {
    let mut runs: Vec<&str> = Vec::new();
    for e in entries {
        if !runs.contains(&e.run.as_str()) {
            runs.push(&e.run);
        }
    }
    runs
}

fn lowest<'a>(it: impl Iterator<Item = &'a Entry>) -> Option<&'a Entry> {
    it.min_by(|a, b| a.ratio.total_cmp(&b.ratio))
}

/// Per budget (ascending), the best entry of each run (in run order) there and the best of all.
pub fn best_per_budget<'a>(
    entries: &'a [Entry],
    budgets: &[usize],
) -> Vec<(usize, Vec<Option<&'a Entry>>, Option<&'a Entry>)> {
    let runs = run_names(entries);
    budget_list(entries, budgets)
        .into_iter()
        .map(|b| {
            let at = |e: &&Entry| budget_of(e.nfe, budgets) == b;
            let per_run = runs
                .iter()
                .map(|r| lowest(entries.iter().filter(at).filter(|e| e.run == *r)))
                .collect();
            (b, per_run, lowest(entries.iter().filter(at)))
        })
        .filter(|(_, _, best)| best.is_some())
        .collect()
}

/// Per run, its cheapest entry (fewest NFE, then seconds) within 2× the noise floor.
fn within_two<'a>(entries: &'a [Entry], runs: &[&str]) -> Vec<(String, Option<&'a Entry>)> {
    runs.iter()
        .map(|r| {
            (
                r.to_string(),
                entries
                    .iter()
                    .filter(|e| e.run == *r && e.ratio <= 2.0)
                    .min_by(|a, b| (a.nfe, a.seconds).partial_cmp(&(b.nfe, b.seconds)).unwrap()),
            )
        })
        .collect()
}

/// The fastest and the slowest of the runs that came within 2× the floor, when they differ.
fn speedup<'a>(reach: &[(String, Option<&'a Entry>)]) -> Option<(&'a Entry, &'a Entry)> {
    let got: Vec<&Entry> = reach.iter().filter_map(|(_, e)| *e).collect();
    let fast = got.iter().min_by(|a, b| a.seconds.total_cmp(&b.seconds))?;
    let slow = got.iter().max_by(|a, b| a.seconds.total_cmp(&b.seconds))?;
    (got.len() >= 2 && fast.run != slow.run).then_some((*fast, *slow))
}

/// The findings as short lines (HTML, escaped), one per finding: which run was best at which
/// budgets, how many NFE each run needed to come within 2× the noise floor, how much faster
/// one was at that quality, and the closest sample overall.
pub fn findings(entries: &[Entry], n: usize, budgets: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let runs = run_names(entries);
    let mut wins: Vec<(&str, Vec<usize>)> = Vec::new();
    for (b, _, best) in best_per_budget(entries, budgets) {
        let Some(best) = best else { continue };
        match wins.iter_mut().find(|w| w.0 == best.run) {
            Some(w) => w.1.push(b),
            None => wins.push((&best.run, vec![b])),
        }
    }
    if !wins.is_empty() {
        let parts: Vec<String> = wins
            .iter()
            .map(|(r, ks)| {
                let ks: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                format!("<b>{}</b> at {} NFE", esc(r), ks.join(", "))
            })
            .collect();
        out.push(format!(
            "Lowest sliced-W2 ratio per budget: {}.",
            parts.join("; ")
        ));
    }
    let reach = within_two(entries, &runs);
    for (r, e) in &reach {
        out.push(match e {
            Some(e) => format!(
                "<b>{}</b> came within 2× the noise floor at {} NFE ({}, {:.2} s for {n} points).",
                esc(r),
                e.nfe,
                esc(&e.sampler),
                e.seconds
            ),
            None => match lowest(entries.iter().filter(|x| x.run == *r)) {
                Some(b) => format!(
                    "<b>{}</b> did not come within 2× the noise floor at the budgets tried \
                     (best {:.2}×, {} at {} NFE).",
                    esc(r),
                    b.ratio,
                    esc(&b.sampler),
                    b.nfe
                ),
                None => format!("<b>{}</b> has no results.", esc(r)),
            },
        });
    }
    if let Some((fast, slow)) = speedup(&reach) {
        out.push(format!(
            "At that quality <b>{}</b> was {:.1}× faster than {}.",
            esc(&fast.run),
            slow.seconds / fast.seconds,
            esc(&slow.run)
        ));
    }
    if let Some(b) = lowest(entries.iter()) {
        out.push(format!(
            "Closest overall: <b>{}</b> with {} at {} NFE, {:.2}× the noise floor.",
            esc(&b.run),
            esc(&b.sampler),
            b.nfe,
            b.ratio
        ));
    }
    out
}

/// The conclusions that open a comparison page, under the heading `title`: a table of each
/// run's best sampler at each budget (the best of the budget marked) and the findings list.
pub fn conclusions(entries: &[Entry], n: usize, budgets: &[usize], title: &str) -> String {
    let runs = run_names(entries);
    let rows: Vec<Row> = best_per_budget(entries, budgets)
        .into_iter()
        .map(|(b, per_run, best)| {
            let mut cells = vec![Cell::text(&b.to_string())];
            for e in per_run {
                cells.push(match e {
                    Some(e) if best.is_some_and(|top| std::ptr::eq(top, e)) => Cell {
                        class: "best".into(),
                        html: format!(
                            "<span class=\"star\">{BEST}</span> {:.2}× <small>{}</small>",
                            e.ratio,
                            esc(&e.sampler)
                        ),
                    },
                    Some(e) => Cell {
                        class: String::new(),
                        html: format!("{:.2}× <small>{}</small>", e.ratio, esc(&e.sampler)),
                    },
                    None => Cell::text("–"),
                });
            }
            Row {
                class: String::new(),
                cells,
            }
        })
        .collect();
    let mut headers = vec!["NFE budget"];
    headers.extend(runs.iter().copied());
    format!(
        "<div class=\"conclusions\"><h3>{}</h3>{}<p class=\"note\">Each cell: the run's best \
         sampler at that budget, as sliced W2 over its noise floor (lower is better; 1.00× = as \
         close as fresh data); <span class=\"star\">{BEST}</span> = best of the budget.</p>{}</div>",
        esc(title),
        html::table_rows(&headers, &rows),
        html::list(&findings(entries, n, budgets))
    )
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
    let reach = within_two(entries, &runs);
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
    if let Some((fast, slow)) = speedup(&reach) {
        out.push(format!(
            "At that quality {} was {:.1}x faster than {}.",
            fast.run,
            slow.seconds / fast.seconds,
            slow.run
        ));
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
    fn the_conclusions_open_the_page_and_mark_the_best_per_budget() {
        let entries = vec![
            e("flow", 10, 0.5, 1.5),
            e("flow", 20, 1.0, 1.2),
            e("diffusion", 9, 0.5, 4.0),
            e("diffusion", 20, 1.0, 1.1),
        ];
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
