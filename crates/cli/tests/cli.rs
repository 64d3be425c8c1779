//! The command line end to end: data → train → sample → eval, resume, and clear errors.

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

fn fails(args: &[&str]) -> String {
    let out = flowdiff(args);
    assert!(!out.status.success(), "flowdiff {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn data_train_sample_eval_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&[
        "data",
        "--name",
        "moons",
        "--n",
        "300",
        "--seed",
        "1",
        "--out",
        p(&d.join("moons.csv")),
    ]);
    let run = d.join("run");
    let out = ok(&[
        "train",
        "--data",
        p(&d.join("moons.csv")),
        "--method",
        "diffusion",
        "--steps",
        "60",
        "--width",
        "32",
        "--depth",
        "2",
        "--out",
        p(&run),
        "--quiet",
    ]);
    assert!(out.contains("seed 0"), "{out}");
    // Resume extends the same run.
    ok(&[
        "train",
        "--out",
        p(&run),
        "--resume",
        "--steps",
        "80",
        "--quiet",
    ]);
    let loss = std::fs::read_to_string(run.join("loss.csv")).unwrap();
    assert_eq!(loss.lines().count(), 81);
    for (sampler, extra) in [
        ("ddpm", vec!["--nfe", "30"]),
        ("ddim", vec!["--nfe", "10"]),
        ("ode", vec!["--solver", "rk4", "--nfe", "9"]),
    ] {
        let s = d.join(format!("{sampler}.npy"));
        let mut args = vec![
            "sample",
            "--run",
            p(&run),
            "--n",
            "200",
            "--sampler",
            sampler,
            "--out",
            p(&s),
        ];
        args.extend(extra.iter());
        let text = ok(&args);
        assert!(text.contains("NFE"), "{text}");
        let text = ok(&["eval", "--samples", p(&s), "--data", "moons"]);
        assert!(
            text.contains("sliced W2") && text.contains("noise floor"),
            "{text}"
        );
    }
    let traj = d.join("traj.png");
    ok(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "100",
        "--sampler",
        "ddim",
        "--nfe",
        "5",
        "--out",
        p(&d.join("t.csv")),
        "--trajectory",
        p(&traj),
    ]);
    assert!(std::fs::read(&traj).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn bad_input_names_the_flag_file_or_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(fails(&["data", "--name", "banana", "--out", p(&d.join("x.npy"))]).contains("--name"));
    assert!(
        fails(&[
            "train",
            "--data",
            "moons",
            "--method",
            "gan",
            "--out",
            p(&d.join("r"))
        ])
        .contains("--method")
    );
    assert!(
        fails(&[
            "train",
            "--data",
            "moons",
            "--schedule",
            "cubic",
            "--method",
            "diffusion",
            "--out",
            p(&d.join("r"))
        ])
        .contains("--schedule")
    );
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "1,2\n3,x\n").unwrap();
    let err = fails(&["train", "--data", p(&bad), "--out", p(&d.join("r2"))]);
    assert!(err.contains("bad.csv") && err.contains("line 2"), "{err}");
    assert!(
        fails(&[
            "sample",
            "--run",
            p(&d.join("nope")),
            "--out",
            p(&d.join("s.npy"))
        ])
        .contains("not a run directory")
    );
    // A flow run refuses diffusion samplers, with the reason.
    let run = d.join("flow");
    ok(&[
        "train",
        "--data",
        "moons",
        "--steps",
        "5",
        "--width",
        "16",
        "--depth",
        "1",
        "--out",
        p(&run),
        "--quiet",
    ]);
    let err = fails(&[
        "sample",
        "--run",
        p(&run),
        "--sampler",
        "ddpm",
        "--out",
        p(&d.join("s.npy")),
    ]);
    assert!(err.contains("diffusion sampler"), "{err}");
    let err = fails(&["train", "--data", "moons", "--out", p(&run)]);
    assert!(err.contains("--resume"), "{err}");
    let err = fails(&[
        "eval",
        "--samples",
        p(&d.join("missing.npy")),
        "--data",
        "moons",
    ]);
    assert!(err.contains("missing.npy"), "{err}");
}

#[test]
fn bench_writes_a_table_plot_and_json_with_every_sampler() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let text = ok(&[
        "bench",
        "--exact",
        "gaussian",
        "--method",
        "diffusion",
        "--n",
        "300",
        "--nfe",
        "10",
        "--tol",
        "1e-2",
        "--json",
        "--out",
        p(&out),
    ]);
    assert!(text.contains("samples/s"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let families: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["family"].as_str().unwrap())
        .collect();
    for f in [
        "ddpm",
        "ddim",
        "ode-midpoint",
        "dpm-solver++",
        "edm-euler",
        "edm-heun",
        "euler-ancestral",
        "ode-dopri5",
        "ode-tsit5",
        "ode-bosh3",
    ] {
        assert!(families.contains(&f), "{f} missing from {families:?}");
    }
    for r in json.as_array().unwrap() {
        let ratio = r["sliced_w2_ratio"].as_f64().unwrap();
        assert!(
            ratio.is_finite() && ratio > 0.0 && r["seconds"].as_f64().unwrap() > 0.0,
            "{r}"
        );
    }
    assert!(
        std::fs::read(out.join("bench.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
}

#[test]
fn nll_and_the_fast_samplers_run_on_a_trained_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = d.join("flow");
    ok(&[
        "train",
        "--data",
        "moons",
        "--steps",
        "50",
        "--width",
        "32",
        "--depth",
        "2",
        "--out",
        p(&run),
        "--quiet",
    ]);
    ok(&[
        "data",
        "--name",
        "moons",
        "--n",
        "50",
        "--out",
        p(&d.join("pts.npy")),
    ]);
    let text = ok(&["nll", "--run", p(&run), "--samples", p(&d.join("pts.npy"))]);
    assert!(
        text.contains("nats/dim") && text.contains("bits/dim") && text.contains("NFE"),
        "{text}"
    );
    let text = ok(&[
        "nll",
        "--run",
        p(&run),
        "--samples",
        p(&d.join("pts.npy")),
        "--hutchinson",
        "2",
        "--solver",
        "bosh3",
        "--rtol",
        "1e-3",
        "--atol",
        "1e-3",
    ]);
    assert!(text.contains("Hutchinson"), "{text}");
    assert!(
        fails(&[
            "nll",
            "--run",
            p(&run),
            "--samples",
            p(&d.join("pts.npy")),
            "--solver",
            "rk4"
        ])
        .contains("adaptive")
    );
    for sampler in [
        "dpm-solver++",
        "euler",
        "heun",
        "euler-ancestral",
        "heun-churn",
    ] {
        ok(&[
            "sample",
            "--run",
            p(&run),
            "--n",
            "100",
            "--sampler",
            sampler,
            "--nfe",
            "8",
            "--out",
            p(&d.join("s.npy")),
        ]);
    }
    for solver in ["bosh3", "tsit5"] {
        ok(&[
            "sample",
            "--run",
            p(&run),
            "--n",
            "100",
            "--solver",
            solver,
            "--rtol",
            "1e-3",
            "--atol",
            "1e-3",
            "--out",
            p(&d.join("s.npy")),
        ]);
    }
}

#[test]
fn demo_runs_end_to_end_at_a_small_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let text = ok(&[
        "demo",
        "--out",
        p(&out),
        "--steps",
        "60",
        "--n",
        "300",
        "--quiet",
    ]);
    assert!(
        text.contains("What the numbers say:")
            && text.contains("To come within 2x the noise floor"),
        "{text}"
    );
    for f in [
        "index.html",
        "summary.json",
        "moons-comparison.png",
        "eight-gaussians-comparison.png",
        "moons-compare/compare.png",
        "moons-hybrid/index.html",
        "moons-progressive/index.html",
        "moons-progressive/rounds/moons-progressive-2step/index.html",
        "forward-noising.png",
        "loss.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["sentences"].as_array().unwrap().len() >= 4);
    let sentences = summary["sentences"].to_string();
    assert!(
        sentences.contains("progressive distillation of moons-flow"),
        "{sentences}"
    );
}

/// `bench --workload W --profile` shows where a step's time goes: the conv rows of both
/// passes with their GFLOP/s, the rest, and the step against the GEMM peak; `--json` carries
/// the same profile.
#[test]
fn a_profiled_workload_shows_its_ops_and_the_peak() {
    let args = [
        "bench",
        "--workload",
        "unet-small-train",
        "--repeats",
        "1",
        "--warmup",
        "0",
        "--iters",
        "1",
        "--threads",
        "2",
        "--profile",
    ];
    let text = ok(&args);
    for want in [
        "| conv | forward |",
        "| conv | backward |",
        "| rest (burn ops",
        "GEMM peak",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let json = ok(&[&args[..], &["--json"]].concat());
    let r: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let p = &r["profile"];
    let step = p["step_seconds"].as_f64().unwrap();
    let fused: f64 = p["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seconds"].as_f64().unwrap())
        .sum();
    assert!(fused > 0.0 && fused <= step * 1.001, "{p}");
    assert!(p["peak_gflops"].as_f64().unwrap() > 1.0, "{p}");
    assert!(p["step_gflops"].as_f64().unwrap() > 0.0, "{p}");
}
