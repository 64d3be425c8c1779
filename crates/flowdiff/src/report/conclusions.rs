//! What the measured entries of a comparison support: the best entry of each run at each NFE
//! budget, the findings (who was best where, how many NFE each run needed to come within 2×
//! the noise floor, how much faster one was there, the closest sample), the conclusions box
//! that opens a comparison page, and the same findings as plain sentences for the terminal.

use super::compare::Entry;
use super::html::{self, BEST, Cell, Row, esc};

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

/// Adds `value` to the group of `key` in `groups` (a new group, at the end, for a new key).
pub(super) fn push_grouped<K: PartialEq, V>(groups: &mut Vec<(K, Vec<V>)>, key: K, value: V) {
    match groups.iter_mut().find(|g| g.0 == key) {
        Some(g) => g.1.push(value),
        None => groups.push((key, vec![value])),
    }
}

/// "Lowest sliced-W2 ratio per budget: a at 10, 20 NFE; b at 40 NFE." from the winner of each
/// budget (`(budget, winner)`, budgets ascending), each run named by `name`; none without
/// winners.
fn wins_sentence<'a>(
    winners: impl Iterator<Item = (usize, &'a Entry)>,
    name: impl Fn(&str) -> String,
) -> Option<String> {
    let mut wins: Vec<(&str, Vec<usize>)> = Vec::new();
    for (b, e) in winners {
        push_grouped(&mut wins, e.run.as_str(), b);
    }
    if wins.is_empty() {
        return None;
    }
    let parts: Vec<String> = wins
        .iter()
        .map(|(r, ks)| {
            let ks: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
            format!("{} at {} NFE", name(r), ks.join(", "))
        })
        .collect();
    Some(format!(
        "Lowest sliced-W2 ratio per budget: {}.",
        parts.join("; ")
    ))
}

/// The findings as short lines (HTML, escaped), one per finding: which run was best at which
/// budgets, how many NFE each run needed to come within 2× the noise floor, how much faster
/// one was at that quality, and the closest sample overall.
pub fn findings(entries: &[Entry], n: usize, budgets: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let runs = run_names(entries);
    let winners = best_per_budget(entries, budgets)
        .into_iter()
        .filter_map(|(b, _, best)| Some((b, best?)));
    out.extend(wins_sentence(winners, |r| format!("<b>{}</b>", esc(r))));
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
    let winners = budgets.iter().filter_map(|&k| {
        runs.iter()
            .filter_map(|r| best(r, k))
            .min_by(|a, b| a.ratio.partial_cmp(&b.ratio).unwrap())
            .map(|w| (k, w))
    });
    out.extend(wins_sentence(winners, str::to_string));
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
