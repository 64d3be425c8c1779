//! Faults: a training killed with SIGKILL at random points (before its first checkpoint, while
//! writing one, while writing its results) resumes to exactly the run it would have been, and a
//! killed `sample` leaves no partial file where a user would take it for a result.
#![cfg(unix)]

mod common;

use common::{flowdiff, p};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Steps of the killed runs: 20 checkpoints.
const STEPS: &str = "120";

/// A small, fast point run with a checkpoint every few steps, so that a random kill often
/// lands inside a checkpoint write; `extra` flags are added (e.g. `--devices 2`).
fn train_args(out: &Path, extra: &[&str]) -> Vec<String> {
    [
        "train",
        "--data",
        "moons",
        "--method",
        "flow",
        "--steps",
        STEPS,
        "--width",
        "16",
        "--depth",
        "1",
        "--seed",
        "5",
        "--checkpoint-every",
        "6",
        "--quiet",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .chain(["--out".to_string(), p(out).to_string()])
    .collect()
}

/// How a user continues a killed run: `--resume` with only the run directory and the settings
/// that may change once its config.json exists, the original command before that.
fn restart_args(run: &Path, original: &[String]) -> Vec<String> {
    if !run.join("config.json").exists() {
        return original.to_vec();
    }
    [
        "train",
        "--resume",
        "--steps",
        STEPS,
        "--checkpoint-every",
        "6",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([p(run).to_string()])
    .collect()
}

/// A safetensors file's tensors (their header entries and data), without the `__metadata__`
/// map, whose key order is not fixed from one write to the next.
fn tensors(path: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    let entries = match header.find("\"__metadata__\":{") {
        Some(start) => {
            let end = start + header[start..].find('}').unwrap() + 1;
            format!("{}{}", &header[..start], &header[end..])
        }
        None => header.to_string(),
    };
    (entries, bytes[8 + len..].to_vec())
}

/// Runs flowdiff to the end, expecting success.
fn run_ok(args: &[String]) {
    let out = flowdiff(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_flowdiff"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start flowdiff")
}

/// Kills `child` with SIGKILL after `delay` (unless it has finished); true when it was killed.
fn kill_after(mut child: Child, delay: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().expect("poll flowdiff").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL flowdiff"); // std's kill is SIGKILL on Unix
    !child.wait().expect("reap flowdiff").success()
}

/// Files a user could take for results: everything not hidden, outside the checkpoint swap.
fn partial_leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        let rel = entry.strip_prefix(dir).unwrap().display().to_string();
        if name.contains(".partial") || rel.starts_with("checkpoint.") {
            found.push(rel);
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// A deterministic stream of kill delays (SplitMix64), so a failure can be replayed.
fn delays(seed: u64, n: usize, max: Duration) -> Vec<Duration> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            max.mul_f64((z ^ (z >> 31)) as f64 / u64::MAX as f64)
        })
        .collect()
}

#[test]
fn sigkill_at_random_points_then_resume_gives_the_uninterrupted_run() {
    kill_and_resume(&[], 21, 5, 3);
}

/// A run stopped after its final checkpoint, while writing its page (a picture half-written
/// by a process that is gone, no `index.html`), is finished by `--resume`: its results are
/// written, the half-written file is swept, and the weights are those of its training.
#[test]
fn a_run_stopped_while_writing_its_results_is_finished_by_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let args = train_args(&run, &[]);
    run_ok(&args);
    let weights = tensors(&run.join("model.safetensors"));
    // A process that has exited: its pid names the half-written file.
    let mut gone = Command::new("true").spawn().expect("start true");
    let pid = gone.id();
    gone.wait().unwrap();
    let stale = run.join(format!(".report-trajectories.png.{pid}.partial.png"));
    std::fs::write(&stale, b"half a png").unwrap();
    std::fs::remove_file(run.join("index.html")).unwrap();
    std::fs::remove_file(run.join("report-trajectories.png")).unwrap();

    let out = flowdiff(
        &restart_args(&run, &args)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("stopped before its results were written"),
        "{text}"
    );
    assert!(run.join("index.html").exists() && run.join("report-trajectories.png").exists());
    assert!(
        partial_leftovers(&run).is_empty(),
        "{:?}",
        partial_leftovers(&run)
    );
    assert!(tensors(&run.join("model.safetensors")) == weights);
    // Finished and reported: a second resume at the same length has nothing to do.
    let again = flowdiff(
        &restart_args(&run, &args)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!("already at step {STEPS}")));
}

/// A data-parallel run (two replicas) killed and resumed continues with the same losses
/// and ends at the same weights as its uninterrupted run.
#[test]
fn a_killed_two_device_run_resumes_to_the_uninterrupted_run() {
    kill_and_resume(&["--devices", "2"], 8, 3, 2);
}

/// Runs `train_args(extra)` once uninterrupted, then `kills` more times killed with SIGKILL
/// after random delays (seeded by `seed`) and resumed; each must end with the reference's
/// loss log and weights, and at least `min_killed` kills must land.
fn kill_and_resume(extra: &[&str], seed: u64, kills: usize, min_killed: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    let timer = Instant::now();
    run_ok(&train_args(&reference, extra));
    let full = timer.elapsed();
    let want_weights = tensors(&reference.join("model.safetensors"));
    let want_losses = std::fs::read_to_string(reference.join("loss.csv")).unwrap();

    // Near zero: before the first checkpoint (often before config.json); the rest anywhere
    // in the run: training with its checkpoints, then the report.
    let mut plan = vec![Duration::from_millis(5)];
    plan.extend(delays(seed, kills, full));
    let mut killed = 0;
    for (k, delay) in plan.iter().enumerate() {
        let run = tmp.path().join(format!("killed-{k}"));
        let args = train_args(&run, extra);
        // Killed, resumed, possibly killed again: at most three interruptions per run.
        let mut interrupted = kill_after(spawn(&args), *delay);
        killed += interrupted as usize;
        let mut rounds = 0;
        while interrupted && rounds < 3 {
            rounds += 1;
            let leftovers = partial_leftovers(&run);
            let again = restart_args(&run, &args);
            interrupted = kill_after(spawn(&again), delay.mul_f64(0.5));
            if !interrupted {
                // Finished: the repaired run holds nothing partial.
                assert!(
                    partial_leftovers(&run).is_empty(),
                    "kill {k} (seed {seed}, after {delay:?}): partial files after resume: {:?} (before: {leftovers:?})",
                    partial_leftovers(&run)
                );
            }
        }
        if interrupted {
            let last = restart_args(&run, &args);
            let out = flowdiff(&last.iter().map(String::as_str).collect::<Vec<_>>());
            let err = String::from_utf8_lossy(&out.stderr);
            // Killed after its final checkpoint: nothing is left to train.
            assert!(
                out.status.success() || err.contains(&format!("already at step {STEPS}")),
                "kill {k} (seed {seed}, after {delay:?}): resume failed:\n{err}"
            );
        }
        let got_losses = std::fs::read_to_string(run.join("loss.csv")).unwrap();
        assert_eq!(
            got_losses, want_losses,
            "kill {k} (seed {seed}, after {delay:?}): the loss log differs from the uninterrupted run"
        );
        assert!(
            tensors(&run.join("model.safetensors")) == want_weights,
            "kill {k} (seed {seed}, after {delay:?}): the weights differ from the uninterrupted run"
        );
    }
    println!(
        "{killed} of {} runs killed (reference run {full:?}); all resumed exactly",
        plan.len()
    );
    assert!(
        killed >= min_killed,
        "too few kills landed ({killed}): the plan needs revising"
    );
}

#[test]
fn a_killed_sample_leaves_no_result_and_its_partial_file_is_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = flowdiff(&[
        "train",
        "--data",
        "moons",
        "--steps",
        "20",
        "--width",
        "16",
        "--depth",
        "1",
        "--quiet",
        "--out",
        p(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = tmp.path().join("samples.npy");
    let sample = |n: &str| -> Vec<String> {
        ["sample", "--run", p(&run), "--n", n, "--out", p(&target)]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let timer = Instant::now();
    run_ok(&sample("30000"));
    let full = timer.elapsed();
    std::fs::remove_file(&target).unwrap();
    for (k, delay) in delays(8, 4, full).into_iter().enumerate() {
        kill_after(spawn(&sample("30000")), delay);
        // Either no result, or a complete one.
        if target.exists() {
            let a = flowdiff::io::read_array(&target).expect("a complete sample file");
            assert_eq!((a.rows, a.cols), (30_000, 2), "kill {k} after {delay:?}");
            std::fs::remove_file(&target).unwrap();
        }
    }
    // The next write to the same target removes what killed writers left behind.
    run_ok(&sample("10"));
    let left: Vec<_> = partial_leftovers(tmp.path())
        .into_iter()
        .filter(|f| !f.starts_with("run"))
        .collect();
    assert!(left.is_empty(), "partial files left: {left:?}");
    assert_eq!(flowdiff::io::read_array(&target).unwrap().rows, 10);
}
