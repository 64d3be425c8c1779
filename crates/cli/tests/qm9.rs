//! QM9 end to end on the real shared molecules: a few training steps of each method reduce
//! the loss, and the CLI trains, samples (.smi, .sdf, .png) and evaluates.

use flowdiff::discrete::{DiscreteMethod, Prior, PriorKind};
use flowdiff::molecules::{MAX_ATOMS, marginals, to_dense};
use flowdiff::train::TrainOptions;
use flowdiff::train::graph::{GraphTrainConfig, train};
use flowdiff_testdata::shared_data_dir;
use std::process::Command;

fn config(
    method: DiscreteMethod,
    kind: PriorKind,
    nodes: &[f64],
    edges: &[f64],
    counts: Vec<f64>,
) -> GraphTrainConfig {
    let (node_prior, edge_prior) = (Prior::new(kind, nodes), Prior::new(kind, edges));
    let mut cfg = GraphTrainConfig {
        data: "qm9".into(),
        batch_size: 64,
        ..GraphTrainConfig::tiny(method, node_prior, edge_prior, counts, 60)
    };
    cfg.optim.seed = 3;
    cfg
}

#[test]
fn a_few_steps_on_real_molecules_reduce_the_loss() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let mols = flowdiff::chem::qm9::load(&data.join("qm9")).unwrap();
    let graphs: Vec<_> = mols[..5000]
        .iter()
        .map(|m| to_dense(&m.graph).unwrap())
        .collect();
    let (nodes, edges, counts) = marginals(&graphs, MAX_ATOMS);
    for (method, kind) in [
        (
            DiscreteMethod::Diffusion { timesteps: 500 },
            PriorKind::Marginal,
        ),
        (DiscreteMethod::Flow, PriorKind::Mask),
    ] {
        let cfg = config(method, kind, &nodes, &edges, counts.clone());
        let dir = tempfile::tempdir().unwrap();
        let out = train(
            &cfg,
            &graphs,
            dir.path(),
            TrainOptions::default(),
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap()
        .outcome;
        let mean = |r: &[(usize, f64, f64)]| r.iter().map(|x| x.1).sum::<f64>() / r.len() as f64;
        let (first, last) = (mean(&out.losses[..10]), mean(&out.losses[50..]));
        assert!(
            last < 0.7 * first,
            "{method:?}: loss {first:.3} -> {last:.3}"
        );
    }
}

#[test]
fn cli_trains_samples_and_evaluates_molecules() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let qm9 = data.join("qm9");
    let bin = env!("CARGO_BIN_EXE_flowdiff");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let ok = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "flowdiff {args:?} failed:\n{text}");
        text
    };
    let q = qm9.to_str().unwrap();
    let r = run.to_str().unwrap();
    ok(&[
        "train",
        "--data",
        "qm9",
        "--data-dir",
        q,
        "--method",
        "flow",
        "--steps",
        "20",
        "--batch-size",
        "16",
        "--width",
        "32",
        "--depth",
        "1",
        "--quiet",
        "--out",
        r,
    ]);
    assert!(run.join("graph.json").exists() && run.join("model.safetensors").exists());
    assert!(run.join("index.html").exists());
    let smi = dir.path().join("s.smi");
    let text = ok(&[
        "sample",
        "--run",
        r,
        "--n",
        "20",
        "--steps",
        "10",
        "--out",
        smi.to_str().unwrap(),
    ]);
    assert!(text.contains("validity"), "{text}");
    let lines = std::fs::read_to_string(&smi).unwrap();
    assert_eq!(lines.lines().count(), 20);
    assert!(run.join("samples.png").exists() && run.join("metrics.json").exists());
    // DeFoG's sample-time distortion and target guidance: taken and printed; an unknown
    // distortion or a negative guidance is refused, naming it.
    let lever = |flag: &str, value: &str, out: &str| {
        let args = [
            "sample", "--run", r, "--n", "8", "--steps", "5", flag, value,
        ];
        let path = dir.path().join(out);
        ok(&[&args[..], &["--out", path.to_str().unwrap()]].concat())
    };
    let refused = |flag: &str, value: &str, out: &str| {
        let out = Command::new(bin)
            .args(["sample", "--run", r, "--n", "4", &format!("{flag}={value}")])
            .args(["--out", dir.path().join(out).to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{err}");
        err
    };
    let text = lever("--time-distortion", "polydec", "d.smi");
    assert!(text.contains("polydec times"), "{text}");
    let err = refused("--time-distortion", "square", "e.smi");
    assert!(err.contains("polydec") && err.contains("square"), "{err}");
    let text = lever("--target-guidance", "0.5", "g.smi");
    assert!(text.contains("target guidance 0.5"), "{text}");
    let err = refused("--target-guidance", "-1", "h.smi");
    assert!(err.contains("guidance") && err.contains("-1"), "{err}");
    for ext in ["sdf", "png"] {
        let p = dir.path().join(format!("s.{ext}"));
        ok(&[
            "sample",
            "--run",
            r,
            "--n",
            "8",
            "--steps",
            "5",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(std::fs::metadata(&p).unwrap().len() > 100);
    }
    let json = ok(&[
        "eval",
        "--samples",
        smi.to_str().unwrap(),
        "--data",
        "qm9",
        "--data-dir",
        q,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["n"], 20);
    assert!((0.0..=1.0).contains(&v["validity"].as_f64().unwrap()));
    // The standard `.smi` layout with a name after each SMILES scores the same.
    let named = dir.path().join("named.smi");
    let text = std::fs::read_to_string(&smi).unwrap();
    let lines: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l}\tmol{i}\n"))
        .collect();
    std::fs::write(&named, lines).unwrap();
    let json2 = ok(&[
        "eval",
        "--samples",
        named.to_str().unwrap(),
        "--data",
        "qm9",
        "--data-dir",
        q,
        "--json",
    ]);
    let v2: serde_json::Value = serde_json::from_str(&json2).unwrap();
    assert_eq!(v2["validity"], v["validity"]);
    // A bad SMILES file gives an error naming it.
    let bad = dir.path().join("empty.smi");
    std::fs::write(&bad, "\n").unwrap();
    let out = Command::new(bin)
        .args([
            "eval",
            "--samples",
            bad.to_str().unwrap(),
            "--data",
            "qm9",
            "--data-dir",
            q,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.smi"));
}

/// An edited graph.json is refused before any work, naming the file and the field.
#[test]
fn an_edited_graph_json_is_refused_naming_the_field() {
    let (nodes, edges) = ([0.5, 0.5], [0.7, 0.3]);
    let cfg = config(
        DiscreteMethod::Flow,
        PriorKind::Mask,
        &nodes,
        &edges,
        vec![0.0, 1.0],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = flowdiff::train::graph::config_path(dir.path());
    let text = serde_json::to_string_pretty(&cfg).unwrap();
    std::fs::write(&path, &text).unwrap();
    flowdiff::train::graph::load_config(dir.path()).expect("the unedited config loads");
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (field, bad) in [("heads", 0), ("layers", 0), ("max_nodes", 0)] {
        let mut edited = value.clone();
        edited["model"][field] = bad.into();
        std::fs::write(&path, edited.to_string()).unwrap();
        let err = flowdiff::train::graph::load_config(dir.path())
            .unwrap_err()
            .chain();
        assert!(
            err.contains("graph.json") && err.contains(&format!("model.{field}")),
            "{field}: {err}"
        );
    }
    value["batch_size"] = 0.into();
    std::fs::write(&path, value.to_string()).unwrap();
    let err = flowdiff::train::graph::load_config(dir.path())
        .unwrap_err()
        .chain();
    assert!(
        err.contains("graph.json") && err.contains("batch_size"),
        "{err}"
    );
}
