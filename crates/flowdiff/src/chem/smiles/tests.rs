use super::*;
use crate::chem::canonical::canonical_smiles;
use crate::chem::graph::{Atom, BondOrder, Element, MolGraph};

fn err(s: &str) -> String {
    match parse_smiles(s) {
        Ok(g) => panic!("{s:?} should fail, parsed as {g:?}"),
        Err(e) => e.to_string(),
    }
}

fn iso(a: &MolGraph, b: &MolGraph) -> bool {
    canonical_smiles(a) == canonical_smiles(b)
}

#[test]
fn reads_atoms_bonds_branches_and_rings() {
    let g = parse_smiles("CC(=O)O").unwrap();
    assert_eq!(g.n_atoms(), 4);
    assert_eq!(
        g.sorted_bonds(),
        vec![
            (0, 1, BondOrder::Single),
            (1, 2, BondOrder::Double),
            (1, 3, BondOrder::Single)
        ]
    );
    let ring = parse_smiles("C1CC=1").unwrap();
    assert_eq!(ring.bond_between(0, 2), Some(BondOrder::Double));
    let ring = parse_smiles("C=1CC1").unwrap();
    assert_eq!(ring.bond_between(0, 2), Some(BondOrder::Double));
    let big = parse_smiles("C%12CC%(123)CC%12%(123)").unwrap();
    assert_eq!(big.bonds.len(), 6);
    let g = parse_smiles("[NH3+]CC([O-])=O").unwrap();
    assert_eq!(g.atoms[0], Atom::new(Element::N, 1));
    assert_eq!(g.atoms[3], Atom::new(Element::O, -1));
    let parsed = parse_smiles_raw("[NH3+]C").unwrap();
    assert_eq!(parsed.atoms[0].hydrogens, Some(3));
    assert_eq!(parsed.atoms[1].hydrogens, None);
}

#[test]
fn reads_charges_stereo_isotopes_and_dots() {
    let charges: Vec<i8> = [
        "[N+]", "[O-]", "[C-]", "[N++]", "[N+2]", "[O--]", "[C-2]", "[NH2+]",
    ]
    .iter()
    .map(|s| parse_smiles(s).unwrap().atoms[0].charge)
    .collect();
    assert_eq!(charges, vec![1, -1, -1, 2, 2, -2, -2, 1]);
    let g = parse_smiles("F/C=C\\F").unwrap();
    assert_eq!(g.bonds.len(), 3);
    let g = parse_smiles("C[C@@H](O)[C@H](N)[13CH3:7]").unwrap();
    assert_eq!(g.n_atoms(), 6);
    let g = parse_smiles("CC.O.[NH4+]").unwrap();
    assert_eq!(g.components().len(), 3);
    let raw = parse_smiles_raw("ClCBr.S[Si]").unwrap();
    let syms: Vec<&str> = raw.atoms.iter().map(|a| a.symbol).collect();
    assert_eq!(syms, ["Cl", "C", "Br", "S", "Si"]);
}

#[test]
fn malformed_smiles_name_the_position_and_character() {
    let e = err("C1CC");
    assert!(
        e.contains("position 1 ('1')") && e.contains("unclosed ring"),
        "{e}"
    );
    let e = err("CC(C");
    assert!(
        e.contains("position 2 ('(')") && e.contains("unclosed branch"),
        "{e}"
    );
    let e = err("CC)C");
    assert!(
        e.contains("position 2 (')')") && e.contains("unbalanced"),
        "{e}"
    );
    let e = err("CXC");
    assert!(
        e.contains("position 1 ('X')") && e.contains("unknown element"),
        "{e}"
    );
    let e = err("C[Xx]");
    assert!(
        e.contains("position 2 ('X')") && e.contains("unknown element"),
        "{e}"
    );
    let e = err("c1ccccc1");
    assert!(
        e.contains("position 0 ('c')") && e.contains("aromatic") && e.contains("Kekulé"),
        "{e}"
    );
    let e = err("C1=CC=C[nH]1");
    assert!(
        e.contains("position 8 ('n')") && e.contains("aromatic"),
        "{e}"
    );
    let e = err("[N+-]");
    assert!(
        e.contains("position 3 ('-')") && e.contains("bad charge"),
        "{e}"
    );
    let e = err("[N+99]");
    assert!(e.contains("bad charge"), "{e}");
    let e = err("C:C");
    assert!(
        e.contains("position 1 (':')") && e.contains("aromatic bond"),
        "{e}"
    );
    let e = err("C[Na]");
    assert!(
        e.contains("position 2 ('N')") && e.contains("'Na' is not supported"),
        "{e}"
    );
    let e = err("CCCl");
    assert!(
        e.contains("position 2 ('C')") && e.contains("'Cl' is not supported"),
        "{e}"
    );
    let e = err("[NH3+");
    assert!(
        e.contains("position 0 ('[')") && e.contains("unclosed bracket"),
        "{e}"
    );
    let e = err("C[H]");
    assert!(e.contains("explicit hydrogen"), "{e}");
    let e = err("CSi");
    assert!(e.contains("'Si' must be written in brackets"), "{e}");
}

#[test]
fn malformed_structure_is_refused() {
    for (s, what) in [
        ("", "empty"),
        ("=C", "no atom before"),
        ("C=", "no atom after"),
        ("C==C", "two bond symbols"),
        ("C()C", "branch must start"),
        ("(C)C", "must follow an atom"),
        ("C11", "closes on the atom"),
        ("C1C1", "repeats a bond"),
        ("C=1CC#1", "conflicts"),
        ("C.", "ends with '.'"),
        (".C", "must follow an atom"),
        ("C%1C", "two digits"),
        ("C C", "unexpected character"),
        ("C$C", "quadruple"),
        ("C(=)C", "no atom after"),
        ("CÉ", "unexpected character"),
    ] {
        let e = err(s);
        assert!(e.contains(what) && e.contains("position"), "{s:?}: {e}");
    }
}

#[test]
fn writer_uses_brackets_branches_rings_and_dots() {
    for (s, written) in [
        ("OCC", "CCO"),
        ("[NH3+]CC([O-])=O", ""),
        ("C#N", "C#N"),
        ("O.C", "C.O"),
        ("[N+](C)(C)(C)C", "C[N+](C)(C)C"),
    ] {
        let g = parse_smiles(s).unwrap();
        let w = to_smiles(&g);
        if !written.is_empty() {
            assert_eq!(w, written, "{s}");
        }
        assert!(iso(&parse_smiles(&w).unwrap(), &g), "{s} -> {w}");
    }
    let w = to_smiles(&parse_smiles("[NH3+]CC([O-])=O").unwrap());
    assert!(
        w.contains("[NH3+]") && w.contains("[O-]") && w.contains("=O"),
        "{w}"
    );
    let ring = to_smiles(&parse_smiles("C1=CC=CC=C1").unwrap());
    assert!(
        ring.contains('1') && ring.matches('=').count() == 3,
        "{ring}"
    );
}

#[test]
fn writer_handles_any_graph_the_model_may_produce() {
    let c = Atom::neutral(Element::C);
    let n = 9;
    let mut bonds = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            bonds.push((
                i,
                j,
                BondOrder::from_order((1 + (i + j) % 3) as u8).unwrap(),
            ));
        }
    }
    let dense = MolGraph::new(vec![c; n], bonds);
    let w = to_smiles(&dense);
    assert!(w.starts_with('[') && w.contains("[C]"), "{w}");
    let back = parse_smiles(&w).unwrap();
    assert!(iso(&back, &dense), "{w}");
    let odd = MolGraph::new(
        vec![
            Atom::new(Element::O, 1),
            Atom::new(Element::F, -1),
            Atom::new(Element::C, 2),
        ],
        vec![(0, 1, BondOrder::Triple), (1, 2, BondOrder::Double)],
    );
    let w = to_smiles(&odd);
    assert!(w.contains("[F-]") && w.contains("[C+2]"), "{w}");
    assert!(iso(&parse_smiles(&w).unwrap(), &odd), "{w}");
    assert_eq!(to_smiles(&MolGraph::default()), "");
}

#[test]
fn aromatic_input_is_kekulized_on_request() {
    for (aromatic, kekule) in [
        ("c1ccccc1", "C1=CC=CC=C1"),
        ("c1cc[nH]c1", "C1=CNC=C1"),
        ("n1ccccc1", "N1=CC=CC=C1"),
        ("o1cccc1", "O1C=CC=C1"),
        ("Cn1cccc1", "CN1C=CC=C1"),
        ("O=c1cccc[nH]1", "O=C1C=CC=CN1"),
        ("C[n+]1ccccc1", "C[N+]1=CC=CC=C1"),
        ("c1c[nH]cn1", "C1=CNC=N1"),
        ("c1ccc2ccccc2c1", "C1=CC=C2C=CC=CC2=C1"),
        ("c1:c:c:c:c:c:1", "C1=CC=CC=C1"),
        ("Cc1ccoc1C#N", "CC1=C(C#N)OC=C1"),
        ("[O-]c1ccon1", "[O-]C1=NOC=C1"),
        ("C[C@H](O)c1ccccc1", "CC(O)C1=CC=CC=C1"),
    ] {
        let g = parse_smiles_kekulize(aromatic).unwrap_or_else(|e| panic!("{aromatic}: {e}"));
        let want = parse_smiles(kekule).unwrap();
        assert!(iso(&g, &want), "{aromatic} gave {}", to_smiles(&g));
        assert_eq!(crate::chem::valence::is_valid(&g), Ok(()), "{aromatic}");
    }
    assert_eq!(
        parse_smiles_kekulize("CC(=O)O").unwrap(),
        parse_smiles("CC(=O)O").unwrap()
    );
    for bad in ["c1cccc1", "c", "c1ccncc1C1CC"] {
        let e = parse_smiles_kekulize(bad).unwrap_err().to_string();
        assert!(e.contains("position"), "{bad}: {e}");
    }
    let e = parse_smiles_kekulize("c1ccccc1")
        .map(|_| ())
        .and(parse_smiles("c1ccccc1").map(|_| ()));
    assert!(e.unwrap_err().to_string().contains("aromatic"));
}

#[test]
fn random_model_outputs_round_trip_through_the_writer() {
    use crate::chem::vocab::{NUM_ATOM_CLASSES, NUM_EDGE_CLASSES};
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for trial in 0..3000 {
        let n = rng.random_range(1..=12usize);
        let density = rng.random_range(0.0..1.0f64);
        let nodes: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..NUM_ATOM_CLASSES))
            .collect();
        let mut edges = vec![0; n * n];
        for i in 0..n {
            for j in i + 1..n {
                if rng.random_bool(density) {
                    edges[i * n + j] = rng.random_range(1..NUM_EDGE_CLASSES);
                }
            }
        }
        let g = MolGraph::from_dense(&nodes, &edges, n).unwrap();
        let w = to_smiles(&g);
        let back = parse_smiles(&w).unwrap_or_else(|e| panic!("trial {trial}: {w:?}: {e}"));
        assert_eq!(canonical_smiles(&back), w, "trial {trial}");
    }
}
