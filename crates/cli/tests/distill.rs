//! `flowdiff distill`: a reflow student is an ordinary run (sample, train --resume), records its
//! teacher and cost, and reuses its teacher's cached pairs.

mod common;

use common::{flowdiff, p};

fn ok(args: &[&str]) -> String {
    let out = flowdiff(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "flowdiff {args:?} failed:\n{text}");
    text
}

#[test]
fn a_reflow_student_is_a_run_that_records_its_teacher_and_reuses_the_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let (teacher, student) = (dir.path().join("teacher"), dir.path().join("student"));
    let (t, s) = (p(&teacher), p(&student));
    ok(&[
        "train", "--data", "moons", "--steps", "200", "--width", "32", "--depth", "2", "--out", t,
        "--quiet",
    ]);
    let distill = |out: &str| {
        ok(&[
            "distill", "--run", t, "--pairs", "500", "--steps", "100", "--solver", "midpoint",
            "--nfe", "20", "--out", out, "--quiet",
        ])
    };
    let text = distill(s);
    assert!(
        text.contains("made") && text.contains("starting from the teacher's weights"),
        "{text}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(student.join("distill.json")).unwrap())
            .unwrap();
    assert_eq!(record["method"], "reflow");
    assert_eq!(record["round"], 1);
    assert_eq!(record["pairs"]["rows"], 500);
    assert_eq!(record["pairs"]["nfe_per_pair"], 20);
    assert_eq!(record["teacher_evaluations"], 10_000);
    assert!(record["train_seconds"].as_f64().unwrap() > 0.0);
    // A second student of the same teacher reuses the pairs; a student of the student is round 2.
    let again = dir.path().join("again");
    let text = distill(p(&again));
    assert!(text.contains("reused from the cache"), "{text}");
    let round2 = dir.path().join("round2");
    ok(&[
        "distill",
        "--run",
        s,
        "--pairs",
        "300",
        "--steps",
        "50",
        "--out",
        p(&round2),
        "--quiet",
    ]);
    let r2 = std::fs::read_to_string(round2.join("distill.json")).unwrap();
    assert!(r2.contains("\"round\": 2"), "{r2}");
    // An ordinary run: one-step sampling, resumed training; a second distill into it is refused.
    let x = dir.path().join("x.npy");
    let text = ok(&[
        "sample",
        "--run",
        s,
        "--solver",
        "euler",
        "--nfe",
        "1",
        "--n",
        "100",
        "--out",
        p(&x),
    ]);
    assert!(text.contains("NFE 1"), "{text}");
    assert_eq!(flowdiff::io::read_array(&x).unwrap().rows, 100);
    let text = ok(&["train", "--out", s, "--resume", "--steps", "150", "--quiet"]);
    assert!(text.contains("done: 150 steps"), "{text}");
    let out = flowdiff(&["distill", "--run", t, "--out", s, "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("already holds a run"),
        "{err}"
    );
    let out = flowdiff(&[
        "distill",
        "--run",
        p(dir.path()),
        "--out",
        p(&dir.path().join("z")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not a run directory"),
        "{err}"
    );
}

/// Progressive distillation of a diffusion run: rounds 4 → 2 → 1, each an ordinary run with
/// its record; the final student samples in one step and resumes; reflow's flags are refused.
#[test]
fn progressive_rounds_are_runs_that_record_their_teachers() {
    let dir = tempfile::tempdir().unwrap();
    let (teacher, student) = (dir.path().join("teacher"), dir.path().join("student"));
    let (t, s) = (p(&teacher), p(&student));
    ok(&[
        "train",
        "--data",
        "moons",
        "--method",
        "diffusion",
        "--steps",
        "100",
        "--width",
        "32",
        "--depth",
        "2",
        "--out",
        t,
        "--quiet",
    ]);
    let text = ok(&[
        "distill",
        "--run",
        t,
        "--method",
        "progressive",
        "--teacher-steps",
        "4",
        "--steps",
        "60",
        "--out",
        s,
        "--quiet",
    ]);
    assert!(
        text.contains("in 2 round(s)") && text.contains("round 2:"),
        "{text}"
    );
    let round1 = student.join("rounds").join("student-2step");
    let read = |dir: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("distill.json")).unwrap()).unwrap()
    };
    let (r1, r2) = (read(&round1), read(&student));
    assert_eq!(
        (r1["method"].as_str(), r1["round"].as_u64()),
        (Some("progressive"), Some(1))
    );
    assert_eq!(
        (r1["teacher_steps"].as_u64(), r1["intended_steps"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(r2["teacher"].as_str(), Some(p(&round1)));
    assert_eq!(
        (r2["round"].as_u64(), r2["intended_steps"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r2["teacher_evaluations"].as_u64(), Some(2 * 512 * 60));
    // The diffusion teacher predicts noise, so round 1 starts afresh; round 2 starts from
    // round 1's velocity field.
    let cfg = |dir: &std::path::Path| std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(!cfg(&round1).contains("init_weights"), "{}", cfg(&round1));
    assert!(cfg(&student).contains("init_weights"), "{}", cfg(&student));
    let x = dir.path().join("x.npy");
    let text = ok(&[
        "sample",
        "--run",
        s,
        "--solver",
        "euler",
        "--nfe",
        "1",
        "--n",
        "50",
        "--out",
        p(&x),
    ]);
    assert!(text.contains("NFE 1"), "{text}");
    // bench puts the student's teacher beside it at the same budgets, with the cost.
    let text = ok(&[
        "bench",
        "--run",
        s,
        "--n",
        "300",
        "--nfe",
        "1,2",
        "--tol",
        "1e-2",
        "--out",
        p(&dir.path().join("bench")),
    ]);
    assert!(
        text.contains("its teacher")
            && text.contains("teacher ode-euler-1")
            && text.contains("progressive student (round 2)"),
        "{text}"
    );
    let text = ok(&["train", "--out", s, "--resume", "--steps", "80", "--quiet"]);
    assert!(text.contains("done: 80 steps"), "{text}");
    for (flag, value) in [("--pairs", "100"), ("--solver", "euler"), ("--nfe", "4")] {
        let out = flowdiff(&[
            "distill",
            "--run",
            t,
            "--method",
            "progressive",
            flag,
            value,
            "--out",
            p(&dir.path().join("bad")),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(flag), "{flag}: {err}");
    }
    let out = flowdiff(&[
        "distill",
        "--run",
        t,
        "--method",
        "progressive",
        "--teacher-steps",
        "6",
        "--out",
        p(&dir.path().join("bad")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("halving 6"), "{err}");
    assert!(!dir.path().join("bad").exists());
}

/// Progressive distillation of a class-conditional image run with guidance distilled: the
/// student keeps the U-Net and its classes, records the guided teacher's evaluations, and
/// samples per class in two Euler steps; reflow's flags and a guidance for an unconditional
/// teacher are refused.
#[test]
fn a_conditional_image_run_distils_progressively_with_its_guidance() {
    let dir = tempfile::tempdir().unwrap();
    let pics = dir.path().join("pics");
    common::two_class_pictures(&pics);
    let (teacher, student) = (dir.path().join("teacher"), dir.path().join("student"));
    let (t, s) = (p(&teacher), p(&student));
    ok(&[
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&pics),
        "--conditional",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--out",
        t,
        "--quiet",
    ]);
    let text = ok(&[
        "distill",
        "--run",
        t,
        "--method",
        "progressive",
        "--teacher-steps",
        "4",
        "--student-steps",
        "2",
        "--steps",
        "2",
        "--guidance",
        "0.5",
        "--out",
        s,
        "--quiet",
    ]);
    assert!(
        text.contains("guidance 0.5 distilled")
            && text.contains("starting from the teacher's weights"),
        "{text}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(student.join("distill.json")).unwrap())
            .unwrap();
    assert_eq!(record["method"], "progressive");
    assert_eq!(record["guidance"], 0.5);
    assert_eq!(record["intended_steps"], 2);
    // 2 steps × batch 4 × two teacher steps × (conditional + null class).
    assert_eq!(record["teacher_evaluations"], 32);
    let config = std::fs::read_to_string(student.join("config.json")).unwrap();
    let (tc, sc): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&std::fs::read_to_string(teacher.join("config.json")).unwrap())
            .unwrap(),
        serde_json::from_str(&config).unwrap(),
    );
    assert_eq!(tc["model"], sc["model"], "the teacher's U-Net and classes");
    let x = dir.path().join("x.npy");
    let text = ok(&[
        "sample",
        "--run",
        s,
        "--solver",
        "euler",
        "--nfe",
        "2",
        "--n",
        "4",
        "--per-class",
        "--out",
        p(&x),
    ]);
    assert!(text.contains("NFE 2"), "{text}");
    let bytes = std::fs::read(&x).unwrap();
    let header = String::from_utf8_lossy(&bytes[..128]).to_string();
    assert!(header.contains("(4, 16, 16, 3"), "{header}");
    for (args, expect) in [
        (
            vec!["--method", "reflow", "--guidance", "1"],
            "--guidance is for --method progressive",
        ),
        (
            vec!["--method", "progressive", "--minutes", "0"],
            "--minutes must be positive",
        ),
    ] {
        let out = dir.path().join("refused");
        let mut all = vec!["distill", "--run", t, "--out", p(&out), "--quiet"];
        all.extend(args);
        let run = flowdiff(&all);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success() && err.contains(expect),
            "{all:?}: {err}"
        );
    }
    let plain = dir.path().join("plain");
    ok(&[
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&pics),
        "--steps",
        "1",
        "--batch-size",
        "4",
        "--out",
        p(&plain),
        "--quiet",
    ]);
    let run = flowdiff(&[
        "distill",
        "--run",
        p(&plain),
        "--method",
        "progressive",
        "--teacher-steps",
        "4",
        "--student-steps",
        "2",
        "--guidance",
        "1",
        "--out",
        p(&dir.path().join("g")),
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && err.contains("not class-conditional"),
        "{err}"
    );
}
