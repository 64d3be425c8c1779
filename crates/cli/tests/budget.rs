//! `--minutes`: a time budget whose learning-rate schedule follows the clock, and
//! `--sample-every`, through the command line.

mod common;

use common::{flowdiff, p};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_timed_run_ends_on_the_clock_with_its_decay_complete_and_keeps_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let out = flowdiff(&[
        "train",
        "--data",
        "moons",
        "--minutes",
        "0.03",
        "--quiet",
        "--out",
        p(&run),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("schedule follows the clock"), "{said}");
    assert!(said.contains("budget is spent"), "{said}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["minutes"].as_f64(), Some(0.03), "{config}");
    let (peak, ratio) = (
        config["lr"].as_f64().unwrap(),
        config["min_lr_ratio"].as_f64().unwrap(),
    );
    let log = std::fs::read_to_string(run.join("loss.csv")).unwrap();
    let rates: Vec<f64> = log
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let steps = rates.len() as u64;
    assert!(
        steps < config["steps"].as_u64().unwrap(),
        "ended by the cap, not the clock"
    );
    let floor = peak * ratio;
    let last = *rates.last().unwrap();
    assert!(
        last <= floor + 0.05 * (peak - floor),
        "last rate {last}, floor {floor}"
    );
    // The spent budget is kept: resuming says so instead of training past it.
    let again = flowdiff(&["train", "--out", p(&run), "--resume", "--quiet"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("budget"), "{}", text(&again));
}

#[test]
fn budget_and_sample_grid_flags_are_refused_where_they_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let run = p(&dir.path().join("run")).to_string();
    for (args, expect) in [
        (vec!["--minutes", "1", "--steps", "5"], "cannot be combined"),
        (vec!["--minutes", "0"], "positive"),
        (vec!["--sample-every", "10"], "does not apply to points"),
    ] {
        let mut all = vec!["train", "--data", "moons", "--out", &run];
        all.extend(args);
        let out = flowdiff(&all);
        assert!(!out.status.success(), "{all:?}");
        assert!(text(&out).contains(expect), "{all:?}: {}", text(&out));
    }
    let out = flowdiff(&[
        "train",
        "--data",
        "qm9",
        "--sample-every",
        "10",
        "--out",
        &run,
    ]);
    assert!(text(&out).contains("--sample-every"), "{}", text(&out));
}
