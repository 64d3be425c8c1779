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
    assert_eq!(record["pairs"], 500);
    assert_eq!(record["teacher_nfe_per_pair"], 20);
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
