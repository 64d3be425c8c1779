//! The image metric end to end on the real shared digits: flowdiff's classifier learns, and
//! `eval --ref` and `bench --run` score samples with it.

mod common;

use common::{flowdiff, p, train_tiny_conditional_flow};
use flowdiff_testdata::shared_data_dir;

/// The metric's classifier learns digits, and `eval --ref` and `bench --run` (image mode)
/// score samples with it.
#[test]
fn classifier_learns_and_scores_samples_in_eval_and_bench() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let mnist = data.join("mnist");
    let dir = tempfile::tempdir().unwrap();
    let clf = dir.path().join("clf.safetensors");
    let out = flowdiff(&[
        "classifier",
        "train",
        "--data-dir",
        p(&mnist),
        "--steps",
        "300",
        "--out",
        p(&clf),
        "--quiet",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acc: f64 = text
        .split("test accuracy ")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in {text}"));
    // 300 Adam steps of batch 64 (2.7 epochs of the 7,000 digits; 150 steps gave 79.5%).
    assert!(acc > 85.0, "test accuracy {acc}%");
    // A barely trained conditional flow model, benchmarked with that classifier.
    let run = dir.path().join("run");
    let out = train_tiny_conditional_flow(&mnist, &run);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bench = dir.path().join("bench");
    let out = flowdiff(&[
        "bench",
        "--run",
        p(&run),
        "--n",
        "30",
        "--nfe",
        "2",
        "--classifier",
        p(&clf),
        "--out",
        p(&bench),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bench.join("bench.json")).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let (fid, floor) = (r["fid"].as_f64().unwrap(), r["fid_floor"].as_f64().unwrap());
        // Noise after two steps of an untrained model is far from digits.
        assert!(fid > 2.0 * floor && floor > 0.0, "{r}");
        assert_eq!(r["nfe"].as_u64().unwrap(), 2, "{r}");
    }
    assert!(
        std::fs::read(bench.join("bench.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    // Real test digits score at the floor in `eval --ref`; the classes asked are found.
    let test = flowdiff::data::images::ImageSet::mnist(&mnist, false).unwrap();
    let real = dir.path().join("real.npy");
    let n = 200;
    let px: Vec<f32> = test.values()[..n * 784]
        .iter()
        .map(|v| (v + 1.0) / 2.0)
        .collect();
    flowdiff::io::write_npy(&real, &px, &[n as u64, 28, 28]).unwrap();
    let reference = flowdiff::data::idx::mnist_file(&mnist, "t10k-images-idx3-ubyte").unwrap();
    let out = flowdiff(&[
        "eval",
        "--samples",
        p(&real),
        "--ref",
        p(&reference),
        "--classifier",
        p(&clf),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (fid, floor) = (
        v[0]["fid"].as_f64().unwrap(),
        v[0]["fid_floor"].as_f64().unwrap(),
    );
    assert!(fid < 3.0 * floor, "real digits: FID {fid} vs floor {floor}");
    assert!(v[0]["classes_covered"].as_u64().unwrap() >= 9, "{v}");
}
