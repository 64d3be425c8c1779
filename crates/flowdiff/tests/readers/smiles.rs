//! SMILES: the parser in both modes, and what is done with a parsed graph (canonical SMILES
//! round trip, SDF record).

use super::*;

mod smiles {
    use super::*;
    use flowdiff::chem::sdf::sdf_record;
    use flowdiff::chem::smiles::parse_smiles_raw;

    pub const TOKENS: &[&str] = &[
        "C",
        "C",
        "C",
        "N",
        "O",
        "F",
        "c",
        "c",
        "n",
        "o",
        "s",
        "p",
        "b",
        "[nH]",
        "[NH3+]",
        "[O-]",
        "[N+]",
        "[C-]",
        "[13C@@H+2:7]",
        "[Se]",
        "[se]",
        "[as]",
        "[H]",
        "[C+15]",
        "[C+16]",
        "[C---]",
        "[N+-]",
        "[CH999]",
        "[Xx]",
        "Cl",
        "Br",
        "I",
        "S",
        "P",
        "B",
        "(",
        "(",
        ")",
        ")",
        "=",
        "#",
        "-",
        ":",
        "/",
        "\\",
        "$",
        "1",
        "1",
        "2",
        "2",
        "3",
        "9",
        "0",
        "%10",
        "%(123)",
        "%(999999999)",
        "%(",
        "%1",
        "%",
        "[",
        "]",
        ".",
        "*",
        "H",
        "+",
        "@",
        "é",
        " ",
    ];

    /// Texts of SMILES tokens, valid or not.
    pub fn token_soup() -> impl Strategy<Value = String> {
        prop::collection::vec(select(TOKENS), 0..48).prop_map(|t| t.concat())
    }

    /// Valid molecules: QM9-like SMILES, Kekulé and aromatic.
    pub const VALID: &[&str] = &[
        "C",
        "CCO",
        "C#N",
        "OC1COC1C#N",
        "[NH3+]CC([O-])=O",
        "C1=CC=CC=C1",
        "c1ccccc1",
        "Cc1ccc(O)cc1",
        "c1ccc2ccccc2c1",
        "n1ccccc1",
        "c1cc[nH]c1",
        "c1ccoc1",
        "C#CC(=O)N",
        "O=C1CC1",
        "CC(C)(C)C%10CC%10",
        "C1CC2CC1C2",
        "FC(F)(F)C1=NN=C1",
        "[C-]#[N+]C",
        "C.O",
    ];

    /// Parse in both modes: errors point inside the text; graphs are well-formed and are
    /// written (SMILES, SDF) without panicking.
    pub fn check(s: &str) -> Result<(), TestCaseError> {
        if let Err(e) = parse_smiles_raw(s) {
            prop_assert!(e.pos <= s.len(), "{s:?}: {e}");
        }
        for (mode, r) in [
            ("kekulé", parse_smiles(s)),
            ("aromatic", parse_smiles_kekulize(s)),
        ] {
            match r {
                Err(e) => {
                    prop_assert!(
                        e.pos <= s.len(),
                        "{mode} {s:?}: position {} beyond the text",
                        e.pos
                    );
                    prop_assert!(!e.to_string().is_empty());
                }
                Ok(g) => graph(&g, s)?,
            }
        }
        Ok(())
    }

    /// A parsed (or generated) graph: well-formed, and for small graphs its canonical SMILES
    /// reads back to the same graph and its SDF record has one line per atom and bond.
    pub fn graph(g: &MolGraph, from: &str) -> Result<(), TestCaseError> {
        prop_assert!(g.check().is_ok(), "{from:?}: {:?}", g.check());
        let written = to_smiles(g);
        if g.n_atoms() > 64 {
            return Ok(());
        }
        sdf(g, from)?;
        if g.n_atoms() == 0 {
            return Ok(());
        }
        let back = parse_smiles(&written);
        prop_assert!(
            back.is_ok(),
            "{from:?} → {written:?} does not read back: {:?}",
            back.err()
        );
        let back = back.unwrap();
        prop_assert_eq!(
            canonical_smiles(&back),
            canonical_smiles(g),
            "{:?} → {:?} reads back as another graph",
            from,
            written
        );
        Ok(())
    }

    pub fn sdf(g: &MolGraph, from: &str) -> Result<(), TestCaseError> {
        let record = sdf_record(g, from);
        if g.check().is_err() {
            prop_assert!(record.is_err());
            return Ok(());
        }
        let record = record.map_err(|e| TestCaseError::fail(format!("{from:?}: {e}")))?;
        let lines: Vec<&str> = record.lines().collect();
        let charged = g.atoms.iter().filter(|a| a.charge != 0).count();
        prop_assert_eq!(
            lines.len(),
            4 + g.n_atoms() + g.bonds.len() + charged.div_ceil(8) + 2,
            "{}",
            record
        );
        prop_assert_eq!(&lines[lines.len() - 2..], &["M  END", "$$$$"][..]);
        prop_assert!(
            record.split_whitespace().all(|w| !w.contains("NaN")),
            "{}",
            record
        );
        // Read the V2000 tables back (fixed columns) and compare with the graph.
        let (n, m) = (g.n_atoms(), g.bonds.len());
        let int = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        prop_assert_eq!(
            (int(&lines[3][0..3]), int(&lines[3][3..6])),
            (n as i64, m as i64)
        );
        for (a, line) in g.atoms.iter().zip(&lines[4..4 + n]) {
            prop_assert_eq!(line.get(31..34).map(str::trim), Some(a.element.symbol()));
        }
        for (&(i, j, b), line) in g.bonds.iter().zip(&lines[4 + n..4 + n + m]) {
            let read = (int(&line[0..3]), int(&line[3..6]), int(&line[6..9]));
            prop_assert_eq!(read, (i as i64 + 1, j as i64 + 1, b.order() as i64));
        }
        let mut charges = vec![0i64; n];
        for line in &lines[4 + n + m..lines.len() - 2] {
            let f: Vec<i64> = line["M  CHG".len()..].split_whitespace().map(int).collect();
            prop_assert_eq!(f.len(), 1 + 2 * f[0] as usize, "{}", line);
            for pair in f[1..].chunks(2) {
                charges[pair[0] as usize - 1] = pair[1];
            }
        }
        let want: Vec<i64> = g.atoms.iter().map(|a| a.charge as i64).collect();
        prop_assert_eq!(charges, want);
        Ok(())
    }

    /// A random small graph: elements C N O F, charges, bonds of any order between
    /// any pairs (repeats and self-bonds are dropped, so it is well-formed).
    pub fn any_graph() -> impl Strategy<Value = MolGraph> {
        (1usize..24)
            .prop_flat_map(|n| {
                (
                    prop::collection::vec(
                        (
                            select(
                                &[Element::C, Element::C, Element::N, Element::O, Element::F][..],
                            ),
                            prop_oneof![6 => Just(0i8), 1 => -3i8..=3],
                        ),
                        n,
                    ),
                    prop::collection::vec((0..n, 0..n, 1u8..=3), 0..2 * n),
                )
            })
            .prop_map(|(atoms, bonds)| {
                let atoms: Vec<Atom> = atoms.into_iter().map(|(e, c)| Atom::new(e, c)).collect();
                let mut seen = std::collections::HashSet::new();
                let bonds = bonds
                    .into_iter()
                    .filter(|&(i, j, _)| i != j && seen.insert((i.min(j), i.max(j))))
                    .map(|(i, j, o)| (i, j, BondOrder::from_order(o).unwrap()))
                    .collect();
                MolGraph::new(atoms, bonds)
            })
    }

    /// Deeply nested or long inputs, up to and beyond the reader's length limit.
    pub fn deep() -> impl Strategy<Value = String> {
        (0usize..8, 0usize..2100).prop_map(|(kind, n)| match kind {
            0 => format!("C{}{}", "(C".repeat(n), ")".repeat(n)),
            1 => format!("C{}", "(C".repeat(n)),
            2 => format!("{}C", "(".repeat(n)),
            3 => "C".repeat(2 * n + 1),
            4 => {
                // n ring bonds opened on one atom, closed on the next
                let open: String = (0..n).map(|k| format!("%({k})")).collect();
                format!("C{open}C{open}")
            }
            5 => format!("c{}", "c".repeat(n)),
            6 => "C1".repeat(n),
            _ => format!("C{}", "=C".repeat(n)),
        })
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn smiles_arbitrary_text_never_panics(s in any::<String>()) {
        smiles::check(&s)?;
    }

    #[test]
    fn smiles_token_soup_never_panics(s in smiles::token_soup()) {
        smiles::check(&s)?;
    }

    #[test]
    fn smiles_mutated_molecules_never_panic(seed in select(smiles::VALID), edits in edits()) {
        let tokens: Vec<&[u8]> = smiles::TOKENS.iter().map(|t| t.as_bytes()).collect();
        let bytes = mutate(seed.as_bytes(), &edits, &tokens);
        smiles::check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_graphs_round_trip_through_smiles_and_sdf(g in smiles::any_graph()) {
        smiles::graph(&g, "a random graph")?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn smiles_deep_nesting_and_long_input_never_panic(s in smiles::deep()) {
        smiles::check(&s)?;
    }
}

#[test]
fn every_valid_smiles_reads_and_round_trips() {
    for s in smiles::VALID {
        parse_smiles_kekulize(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        smiles::check(s).unwrap();
    }
}
