//! Bad input and interrupted runs: each case gets a clear error (exit ≠ 0, message naming the
//! file, field or flag) or the correct result, never a panic or a file of NaN with exit 0.

mod common;

use common::{flowdiff, p};
use std::path::Path;

/// Runs flowdiff expecting failure; returns stderr, after checking it is an error and no panic.
fn refused(args: &[&str], expect: &str) -> String {
    let out = flowdiff(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "flowdiff {args:?} should fail");
    assert_eq!(
        out.status.code(),
        Some(1),
        "flowdiff {args:?} panicked:\n{err}"
    );
    assert!(
        err.contains(expect),
        "flowdiff {args:?}: expected {expect:?} in:\n{err}"
    );
    err
}

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

/// A small trained point run (flow or diffusion) in `dir/name`.
fn point_run(dir: &Path, name: &str, method: &str, steps: &str) -> std::path::PathBuf {
    let run = dir.join(name);
    ok(&[
        "train",
        "--data",
        "moons",
        "--method",
        method,
        "--steps",
        steps,
        "--width",
        "16",
        "--depth",
        "1",
        "--out",
        p(&run),
        "--quiet",
    ]);
    run
}

fn write_npy(path: &Path, values: &[f32], shape: &[u64]) {
    flowdiff::io::write_npy(path, values, shape).unwrap();
}

#[test]
fn sampler_settings_out_of_range_are_refused_before_sampling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flow = point_run(d, "flow", "flow", "20");
    let diff = point_run(d, "diff", "diffusion", "20");
    let out = p(&d.join("s.npy")).to_string();
    let s = |run: &Path, extra: &[&str]| {
        let mut v = vec!["sample", "--run", p(run), "--n", "10", "--out", &out];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>, expect: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&a, expect);
    };
    run(
        s(&diff, &["--sampler", "ddim", "--eta=-1"]),
        "eta: must be finite and ≥ 0",
    );
    run(s(&flow, &["--nfe", "0"]), "nfe: must be at least 1");
    run(
        s(&flow, &["--solver", "rk4", "--nfe", "3"]),
        "nfe: rk4 takes 4 evaluations",
    );
    run(
        s(&flow, &["--solver", "dopri5", "--rtol", "0", "--atol", "0"]),
        "tolerances",
    );
    run(
        s(&flow, &["--solver", "dopri5", "--rtol", "nan"]),
        "tolerances",
    );
    run(s(&flow, &["--solver", "dopri5", "--rtol=-1"]), "tolerances");
    run(
        s(
            &flow,
            &["--solver", "dopri5", "--rtol", "1e-30", "--atol", "1e-30"],
        ),
        "tolerances",
    );
    run(
        s(&flow, &["--sampler", "ddpm"]),
        "discrete-time diffusion sampler",
    );
    run(
        s(&flow, &["--guidance", "nan"]),
        "--guidance must be a finite number",
    );
    for bad in ["0.8,0.2", "0.1", "-0.1,0.5", "0.2,1.5", "a,b"] {
        let flag = format!("--guidance-interval={bad}");
        run(
            s(&flow, &["--guidance", "1", &flag]),
            "expected LO,HI flow times",
        );
    }
    // Output paths are checked before any work.
    let txt = p(&d.join("s.txt")).to_string();
    refused(
        &["sample", "--run", p(&flow), "--n", "10", "--out", &txt],
        "--out",
    );
    refused(
        &[
            "sample",
            "--run",
            p(&flow),
            "--n",
            "10",
            "--out",
            &out,
            "--trajectory",
            p(&d.join("t.jpg")),
        ],
        "trajectories are drawn as .png",
    );
    assert!(
        !d.join("s.npy").exists(),
        "nothing written for refused requests"
    );
    refused(
        &["forward", "--data", "moons", "--out", p(&d.join("f.npy"))],
        "pictures are written as .png",
    );
}

#[test]
fn resume_applies_steps_and_refuses_other_changes() {
    let dir = tempfile::tempdir().unwrap();
    let run = point_run(dir.path(), "run", "flow", "30");
    let r = p(&run).to_string();
    refused(
        &["train", "--out", &r, "--resume", "--steps", "20", "--quiet"],
        "already at step 30 of 20",
    );
    refused(
        &["train", "--out", &r, "--resume", "--steps", "30", "--quiet"],
        "already at step 30 of 30",
    );
    let err = refused(
        &[
            "train", "--out", &r, "--resume", "--lr", "0.1", "--steps", "40",
        ],
        "--lr 0.1 (the run has 0.002) cannot change at --resume",
    );
    assert!(err.contains("config.json"), "{err}");
    refused(
        &[
            "train", "--out", &r, "--resume", "--data", "circles", "--steps", "40",
        ],
        "--data circles (the run has moons) cannot change at --resume",
    );
    refused(
        &[
            "train",
            "--out",
            &r,
            "--resume",
            "--devices",
            "2",
            "--steps",
            "40",
        ],
        "--devices 2 (the run has 1) cannot change at --resume",
    );
    let split = dir.path().join("split");
    refused(
        &[
            "train",
            "--data",
            "moons",
            "--batch-size",
            "4",
            "--devices",
            "5",
            "--out",
            p(&split),
        ],
        "5 devices cannot share a batch of 4",
    );
    refused(
        &[
            "train",
            "--out",
            &r,
            "--resume",
            "--method",
            "diffusion",
            "--timesteps",
            "50",
            "--steps",
            "40",
        ],
        "--method diffusion (the run has flow), --timesteps 50 (does not apply to this run)",
    );
    // The first command line again with --resume and more steps: the same settings are accepted.
    let text = ok(&[
        "train", "--data", "moons", "--method", "flow", "--steps", "40", "--width", "16",
        "--depth", "1", "--out", &r, "--resume", "--quiet",
    ]);
    assert!(text.contains("done: 40 steps"), "{text}");
    let text = ok(&["train", "--out", &r, "--resume", "--steps", "50", "--quiet"]);
    assert!(text.contains("done: 50 steps"), "{text}");
}

/// A flag that the chosen method or data would not use is refused, not ignored.
#[test]
fn flags_that_do_not_apply_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = p(&out);
    fn train<'a>(o: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "train", "--data", "moons", "--steps", "5", "--out", o, "--quiet",
        ];
        args.extend_from_slice(extra);
        args
    }
    refused(
        &train(o, &["--method", "flow", "--schedule", "cosine"]),
        "--schedule does not apply to --method flow",
    );
    refused(
        &train(o, &["--timesteps", "50", "--prediction", "v"]),
        "--timesteps, --prediction do not apply to --method flow",
    );
    refused(
        &train(o, &["--method", "diffusion", "--coupling", "ot"]),
        "--coupling does not apply to --method diffusion",
    );
    refused(
        &train(
            o,
            &["--method", "diffusion", "--time-sampling", "logit-normal"],
        ),
        "--time-sampling does not apply to --method diffusion",
    );
    refused(
        &train(o, &["--time-sampling", "logit-normal:0,0"]),
        "--time-sampling: \"logit-normal:0,0\": the mean must be finite and the std positive",
    );
    refused(
        &train(o, &["--min-snr-gamma", "5"]),
        "--min-snr-gamma does not apply to --method flow",
    );
    refused(
        &train(o, &["--method", "diffusion", "--min-snr-gamma", "0"]),
        "--min-snr-gamma must be finite and positive, got 0",
    );
    refused(
        &train(o, &["--method", "hybrid", "--schedule", "linear"]),
        "--schedule does not apply to --method hybrid",
    );
    refused(
        &train(o, &["--data-dir", "/nonexistent"]),
        "--data-dir is for --data mnist, images or qm9",
    );
    refused(
        &[
            "train",
            "--data",
            "qm9",
            "--method",
            "flow",
            "--timesteps",
            "100",
            "--out",
            o,
        ],
        "--timesteps does not apply to molecules",
    );
    refused(
        &["train", "--data", "mnist", "--width", "8", "--out", o],
        "--width does not apply to MNIST",
    );
    assert!(!out.exists(), "nothing is written for a refused command");
}

#[test]
fn a_run_without_checkpoint_resumes_from_step_0_or_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let run = point_run(dir.path(), "run", "flow", "10");
    // As a training killed before its first checkpoint leaves it: only config.json.
    std::fs::remove_dir_all(run.join("checkpoint")).unwrap();
    std::fs::remove_file(run.join("model.safetensors")).unwrap();
    let r = p(&run).to_string();
    let text = ok(&["train", "--out", &r, "--resume", "--quiet"]);
    assert!(text.contains("no checkpoint yet"), "{text}");
    assert!(text.contains("done: 10 steps"), "{text}");
    std::fs::remove_dir_all(run.join("checkpoint")).unwrap();
    let text = ok(&[
        "train", "--data", "moons", "--steps", "10", "--width", "16", "--depth", "1", "--out", &r,
        "--quiet",
    ]);
    assert!(text.contains("starting it afresh"), "{text}");
    // With a checkpoint, a fresh train over it is refused.
    refused(
        &[
            "train", "--data", "moons", "--steps", "10", "--out", &r, "--quiet",
        ],
        "already holds a run",
    );
}

#[test]
fn empty_and_non_finite_sample_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty.npy");
    write_npy(&empty, &[], &[0, 2]);
    refused(
        &["eval", "--samples", p(&empty), "--data", "moons"],
        "empty.npy",
    );
    let run = point_run(d, "flow", "flow", "10");
    refused(
        &["nll", "--run", p(&run), "--samples", p(&empty)],
        "empty.npy",
    );
    let zero_cols = d.join("zero.npy");
    write_npy(&zero_cols, &[], &[100, 0]);
    refused(
        &[
            "train",
            "--data",
            p(&zero_cols),
            "--steps",
            "5",
            "--out",
            p(&d.join("r")),
        ],
        "0 columns",
    );
    // A header claiming 2^62 rows is refused from its size, before anything is allocated.
    let huge = d.join("huge.npy");
    let mut header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 2), }".to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 8]);
    std::fs::write(&huge, &bytes).unwrap();
    refused(
        &["eval", "--samples", p(&huge), "--data", "moons"],
        "huge.npy",
    );
    // A UTF-8 byte-order mark does not drop the first row.
    let bom = d.join("bom.csv");
    std::fs::write(&bom, "\u{feff}1,2\n3,4\n5,6\n").unwrap();
    let a = flowdiff::io::read_array(&bom).unwrap();
    assert_eq!((a.rows, a.values[0]), (3, 1.0));
}

#[test]
fn idx_headers_that_overflow_or_hold_no_image_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, count: u32, rows: u32, cols: u32| {
        let mut b = vec![0, 0, 8, 3];
        for v in [count, rows, cols] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0; 16]);
        let path = dir.path().join(name);
        std::fs::write(&path, b).unwrap();
        path
    };
    let empty = write("empty-idx3-ubyte", 0, 28, 28);
    let err = flowdiff::data::idx::read_images(&empty)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least one image"), "{err}");
    let huge = write("huge-idx3-ubyte", u32::MAX, u32::MAX, u32::MAX);
    let err = flowdiff::data::idx::read_images(&huge)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("huge-idx3-ubyte") && err.contains("file holds 16 bytes"),
        "{err}"
    );
}

#[test]
fn overlong_smiles_lines_are_refused_with_the_limit() {
    let long = "C".repeat(10_000_000);
    let err = flowdiff::chem::parse_smiles(&long).unwrap_err().to_string();
    assert!(err.contains("limit of 4096"), "{err}");
    let nested = format!("C{}{}", "(C".repeat(100_000), ")".repeat(100_000));
    assert!(flowdiff::chem::parse_smiles(&nested).is_err());
}

/// Work whose memory cannot fit is refused up front with the estimate, naming the flag, instead
/// of aborting on an allocation half-way.
#[test]
fn work_that_cannot_fit_in_memory_is_refused_before_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let run = point_run(tmp.path(), "run", "flow", "5");
    let huge = "1000000000000";
    let out = tmp.path().join("x.npy");
    let e = refused(
        &["sample", "--run", p(&run), "--n", huge, "--out", p(&out)],
        "needs at least",
    );
    assert!(e.contains("--n") && !out.exists(), "{e}");
    let e = refused(
        &["data", "--name", "moons", "--n", huge, "--out", p(&out)],
        "needs at least",
    );
    assert!(e.contains("--n") && !out.exists(), "{e}");
    for (flag, what) in [("--width", "width"), ("--batch-size", "batch")] {
        let dir = tmp.path().join(what);
        let e = refused(
            &[
                "train",
                "--data",
                "moons",
                "--steps",
                "5",
                flag,
                huge,
                "--quiet",
                "--out",
                p(&dir),
            ],
            "needs at least",
        );
        assert!(e.contains("available"), "{flag}: {e}");
        assert!(!dir.join("model.safetensors").exists(), "{flag}");
    }
}

/// An output directory that cannot be created (under a file) is refused naming it, and by
/// `bench` before any sampling.
#[test]
fn an_output_directory_that_cannot_be_created_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let run = point_run(tmp.path(), "run", "flow", "5");
    let other = point_run(tmp.path(), "other", "diffusion", "5");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = file.join("sub");
    refused(&["report", "--out", p(&out), p(&run)], "a-file/sub");
    refused(
        &[
            "compare",
            "--out",
            p(&out),
            "--nfe",
            "5",
            "--n",
            "100",
            p(&run),
            p(&other),
        ],
        "a-file/sub",
    );
    let bench = ["bench", "--run", p(&run), "--out", p(&out), "--n", "100"];
    refused(&bench, "a-file/sub");
    let table = String::from_utf8_lossy(&flowdiff(&bench).stdout).to_string();
    assert!(
        !table.contains("x\n"),
        "bench sampled before checking --out:\n{table}"
    );
}

/// `--time-sampling` is stored in the run's config and cannot change at `--resume`.
#[test]
fn time_sampling_is_kept_by_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("run");
    let r = p(&r);
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
        "--time-sampling",
        "logit-normal:0.5,1.5",
        "--out",
        r,
        "--quiet",
    ]);
    let config = std::fs::read_to_string(dir.path().join("run/config.json")).unwrap();
    assert!(
        config.contains("\"logit-normal\"") && config.contains("1.5"),
        "{config}"
    );
    refused(
        &[
            "train",
            "--out",
            r,
            "--resume",
            "--steps",
            "8",
            "--time-sampling",
            "uniform",
        ],
        "--time-sampling uniform (the run has logit-normal:0.5,1.5)",
    );
    let text = ok(&[
        "train",
        "--out",
        r,
        "--resume",
        "--steps",
        "8",
        "--time-sampling",
        "logit-normal:0.5,1.5",
        "--quiet",
    ]);
    assert!(text.contains("done: 8 steps"), "{text}");
}

/// `--min-snr-gamma` is stored in a diffusion run's config and cannot change at `--resume`.
#[test]
fn min_snr_weighting_is_kept_by_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("run");
    let r = p(&r);
    let base = [
        "train",
        "--data",
        "moons",
        "--method",
        "diffusion",
        "--width",
        "16",
        "--depth",
        "1",
        "--quiet",
        "--out",
        r,
    ];
    ok(&[&base[..], &["--steps", "5", "--min-snr-gamma", "5"]].concat());
    let config = std::fs::read_to_string(dir.path().join("run/config.json")).unwrap();
    assert!(config.contains("\"min_snr_gamma\": 5.0"), "{config}");
    refused(
        &[
            "train",
            "--out",
            r,
            "--resume",
            "--steps",
            "8",
            "--min-snr-gamma",
            "2",
        ],
        "--min-snr-gamma 2.0 (the run has 5.0)",
    );
    let text = ok(&["train", "--out", r, "--resume", "--steps", "8", "--quiet"]);
    assert!(text.contains("done: 8 steps"), "{text}");
}
