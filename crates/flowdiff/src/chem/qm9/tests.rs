//! Tests on the real QM9 files (skipped with a printed reason when they are absent).

use super::*;
use crate::chem::canonical::canonical_smiles;
use crate::chem::graph::Element;
use crate::chem::normalize::charge_separate_nitro;
use crate::chem::smiles::{parse_smiles, to_smiles};
use crate::chem::stats::DataStats;
use crate::chem::valence::is_valid;
use crate::chem::vocab::{ATOM_CLASSES, atom_class};
use crate::chem::xyz::open_xyz;
use std::collections::HashMap;
use std::sync::OnceLock;

fn qm9() -> Option<&'static Vec<Molecule>> {
    static MOLS: OnceLock<Option<Vec<Molecule>>> = OnceLock::new();
    MOLS.get_or_init(|| shared_dir().map(|d| load(&d).unwrap()))
        .as_ref()
}

#[test]
fn every_qm9_molecule_round_trips_through_the_writer() {
    let Some(mols) = qm9() else { return };
    assert_eq!(mols.len(), 130_831);
    let t = std::time::Instant::now();
    for m in mols {
        let c = canonical_smiles(&m.graph);
        let w = to_smiles(&m.graph);
        assert_eq!(
            w, c,
            "index {}: the writer emits the canonical form",
            m.index
        );
        let back = parse_smiles(&w).unwrap_or_else(|e| {
            panic!(
                "index {}: {} wrote {w:?}, which fails: {e}",
                m.index, m.smiles
            )
        });
        assert_eq!(
            canonical_smiles(&back),
            c,
            "index {}: {} -> {w}",
            m.index,
            m.smiles
        );
        let n = m.graph.n_atoms();
        let perm: Vec<usize> = (0..n).map(|i| (i * 4 + 3) % n.max(1)).collect();
        if (0..n).all(|k| perm.contains(&k)) {
            assert_eq!(
                canonical_smiles(&m.graph.permuted(&perm)),
                c,
                "index {}",
                m.index
            );
        }
    }
    eprintln!(
        "round trip of {} molecules: {:.2?}",
        mols.len(),
        t.elapsed()
    );
}

#[test]
fn vocabulary_covers_qm9_with_these_counts() {
    let Some(mols) = qm9() else { return };
    let mut counts = [0u64; ATOM_CLASSES.len()];
    for m in mols {
        for a in &m.graph.atoms {
            let c = atom_class(a).unwrap_or_else(|| {
                panic!(
                    "index {}: atom {} outside the vocabulary",
                    m.index,
                    a.label()
                )
            });
            counts[c] += 1;
        }
        assert_eq!(
            is_valid(&m.graph),
            Ok(()),
            "index {}: {}",
            m.index,
            m.smiles
        );
    }
    for (a, c) in ATOM_CLASSES.iter().zip(&counts) {
        eprintln!("{:>3}: {c}", a.label());
    }
    assert_eq!(counts, [831_828, 131_842, 182_854, 3_036, 582, 411, 97, 74]);
    let stats = DataStats::from_graphs(mols.iter().map(|m| &m.graph));
    assert_eq!(stats.max_atoms(), 9);
    assert_eq!(stats.atom_classes[ATOM_CLASSES.len()], 0);
    let p = stats.atom_count_distribution();
    assert!(
        p[9] > 0.5 && (p.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{p:?}"
    );
    let s = split(mols.len(), SPLIT_SEED);
    assert_eq!((s.valid.len(), s.test.len()), (13_083, 13_083));
}

#[test]
fn xyz_frames_match_the_smiles_table() {
    let Some(dir) = shared_dir() else { return };
    let Some(mols) = qm9() else { return };
    let by_index: HashMap<usize, &Molecule> = mols.iter().map(|m| (m.index, m)).collect();
    let frames = open_xyz(&dir.join("qm9.xyz.gz")).unwrap().take(30_000);
    let mut seen = 0;
    for f in frames {
        let f = f.unwrap();
        let m = by_index[&f.index];
        let mut g = parse_smiles(f.smiles.as_deref().unwrap()).unwrap();
        charge_separate_nitro(&mut g);
        assert_eq!(
            canonical_smiles(&g),
            canonical_smiles(&m.graph),
            "index {}",
            f.index
        );
        for e in Element::HEAVY {
            let in_xyz = f.heavy_atoms().filter(|(x, _)| *x == e).count();
            let in_graph = m.graph.atoms.iter().filter(|a| a.element == e).count();
            assert_eq!(in_xyz, in_graph, "index {}: {e:?}", f.index);
        }
        seen += 1;
    }
    assert_eq!(seen, 30_000);
}

#[test]
fn missing_tables_say_where_to_put_them() {
    let dir = tempfile::tempdir().unwrap();
    let e = format!("{:#}", load(dir.path()).unwrap_err());
    assert!(
        e.contains("qm9_smiles.csv.gz") && e.contains("--download"),
        "{e}"
    );
    let p = dir.path().join("qm9.csv");
    std::fs::write(&p, "mol_id,smiles\ngdb_1,C\ngdb_2,C1CC\n").unwrap();
    let e = format!("{:#}", load(dir.path()).unwrap_err());
    assert!(
        e.contains("qm9.csv: line 3") && e.contains("unclosed ring"),
        "{e}"
    );
    // DeepChem's table is RDKit output: aromatic rings are kekulized on loading.
    std::fs::write(&p, "mol_id,smiles\ngdb_1,C\ngdb_2,c1cc[nH]c1\n").unwrap();
    let m = load(dir.path()).unwrap();
    assert_eq!(m[1].index, 2);
    let pyrrole = parse_smiles("C1=CNC=C1").unwrap();
    assert_eq!(canonical_smiles(&m[1].graph), canonical_smiles(&pyrrole));
}
