//! `flowdiff data --name qm9 --download DIR` against a local HTTP server.

mod common;

use common::{flowdiff, p, serve};

use flowdiff::chem::csv::read_smiles_csv;
use flowdiff::chem::qm9;
use std::path::Path;

#[test]
fn qm9_download_fetches_checks_and_saves_the_table() {
    let Some(shared) = qm9::shared_dir() else {
        return;
    };
    let records = read_smiles_csv(&shared.join("qm9_smiles.csv.gz")).unwrap();
    let site = tempfile::tempdir().unwrap();
    let mut csv = String::from("mol_id,smiles,A,B\n");
    for r in records.iter().take(50) {
        csv.push_str(&format!("gdb_{},{},1.0,2.0\n", r.index, r.smiles));
    }
    std::fs::write(site.path().join("small.csv"), &csv).unwrap();
    std::fs::write(
        site.path().join("bad.csv"),
        "mol_id,smiles\ngdb_1,C\ngdb_2,C1CC\n",
    )
    .unwrap();
    let (url, server) = serve(site.path().to_path_buf(), 2);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("qm9");
    let run = |file: &str, dest: &Path| {
        flowdiff(&[
            "data",
            "--name",
            "qm9",
            "--download",
            p(dest),
            "--url",
            &format!("{url}{file}"),
        ])
    };
    let ok = run("small.csv", &dest);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success() && stdout.contains("50 molecules"),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let mols = qm9::load(&dest).unwrap();
    assert_eq!(mols.len(), 50);
    assert_eq!(mols[49].index, records[49].index);
    // A table the strict reader refuses is not saved, and the error names the line.
    let bad_dest = out.path().join("bad");
    let bad = run("bad.csv", &bad_dest);
    server.join().unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("line 3") && err.contains("unclosed ring"),
        "{err}"
    );
    assert!(!bad_dest.join("qm9.csv").exists());
    // No server at all: the error says where to put the files.
    let none = flowdiff(&[
        "data",
        "--name",
        "qm9",
        "--download",
        p(&out.path().join("none")),
        "--url",
        "http://127.0.0.1:9/qm9.csv",
    ]);
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        !none.status.success() && err.contains("put qm9_smiles.csv.gz"),
        "{err}"
    );
}

/// `flowdiff data --name qm9 --split`: the three parts written as `.smi` partition the table
/// 80/10/10 (the split novelty is measured against), and a non-`.smi` output is refused.
#[test]
fn qm9_split_is_written_as_smi_files_that_partition_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("index,smiles\n");
    let smiles: Vec<String> = (1..=10)
        .flat_map(|k| ["C".repeat(k), "C".repeat(k) + "O"])
        .collect();
    for (i, s) in smiles.iter().enumerate() {
        csv.push_str(&format!("{},{s}\n", i + 1));
    }
    std::fs::write(dir.path().join("qm9_smiles.csv"), csv).unwrap();
    let mut seen = Vec::new();
    for (part, expected) in [("train", 16), ("valid", 2), ("test", 2)] {
        let out = dir.path().join(format!("{part}.smi"));
        let o = flowdiff(&[
            "data",
            "--name",
            "qm9",
            "--split",
            part,
            "--data-dir",
            p(dir.path()),
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), expected, "{part}: {text}");
        for line in lines {
            let (s, index) = line.split_once(' ').unwrap();
            let index: usize = index.parse().unwrap();
            assert_eq!(smiles[index - 1], s, "{line}");
            seen.push(index);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<_>>());
    let o = flowdiff(&[
        "data",
        "--name",
        "qm9",
        "--split",
        "train",
        "--data-dir",
        p(dir.path()),
        "--out",
        p(&dir.path().join("train.txt")),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains(".smi"));
}
