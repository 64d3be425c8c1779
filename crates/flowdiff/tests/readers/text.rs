//! XYZ geometries and SMILES tables (text, plain or gzip).

use super::*;

mod text {
    use super::*;
    use flowdiff::chem::csv::{parse_smiles_csv, read_smiles_csv};
    use flowdiff::chem::xyz::read_xyz;

    pub const XYZ: &str = "3\nindex=7 smiles=\"C#N\" gap=0.3\nC 0 0 0\nN 1.15 0 -1.5*^-3\nH -1.0 0.5e1 2\n\n1\nindex=8\nO 0 0 0\n";

    pub const XYZ_TOKENS: &[&[u8]] = &[
        b"index=",
        b"smiles=\"",
        b"\"",
        b"\n",
        b"\r\n",
        b" ",
        b"\t",
        b"*^",
        b"e400",
        b"NaN",
        b"inf",
        b"Xx",
        b"H",
        b"Cl",
        b"\xc3\xa9",
        b"\xff",
        b"\x1f\x8b",
        b"18446744073709551615",
        b"1000000000000",
        b"-1",
    ];

    pub const CSV: &[&str] = &[
        "index,smiles\n1,C\n\n7,CC#N\n",
        "mol_id,smiles,A,B\ngdb_1,C,157.7,157.7\ngdb_22,\"C1CC1\",1,2\n",
        "\u{feff}name,SMILES\na,O\nb,c1ccccc1\n",
    ];

    pub const CSV_TOKENS: &[&[u8]] = &[
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b"smiles",
        b"index",
        b"id",
        b"mol_id",
        b"gdb_",
        b"\xef\xbb\xbf",
        b"\xc3\xa9",
        b"\xff",
        b" ",
        b"99999999999999999999999",
        b"c1ccccc1",
    ];

    pub fn check_xyz(bytes: &[u8]) -> Result<(), TestCaseError> {
        let dir = tempdir();
        let path = dir.path().join("qm9.xyz.gz");
        std::fs::write(&path, bytes).unwrap();
        let r = read_xyz(&path);
        names_path(&r, &path)?;
        if let Ok(frames) = &r {
            for f in frames {
                prop_assert!(f.atoms.iter().all(|(_, p)| p.iter().all(|v| v.is_finite())));
            }
        }
        Ok(())
    }

    pub fn check_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
        let r = parse_smiles_csv(bytes, "table.csv");
        names(&r, "table.csv")?;
        if let Ok(rows) = &r {
            for row in rows {
                prop_assert!(!row.smiles.is_empty());
                // What the QM9 loader does with each row.
                let _ = parse_smiles_kekulize(&row.smiles);
            }
        }
        let dir = tempdir();
        let path = dir.path().join("table.csv");
        std::fs::write(&path, bytes).unwrap();
        let from_file = read_smiles_csv(&path);
        names_path(&from_file, &path)?;
        if let (Ok(a), Ok(b)) = (&r, &from_file) {
            prop_assert_eq!(a, b);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn xyz_mutated_files_never_panic(edits in edits(), how in wrap()) {
        text::check_xyz(&wrapped(text::XYZ.as_bytes(), &edits, text::XYZ_TOKENS, how))?;
    }

    #[test]
    fn xyz_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"1\nindex=1\n", b"\x1f\x8b\x08\x00"])) {
        text::check_xyz(&bytes)?;
    }

    #[test]
    fn smiles_csv_mutated_tables_never_panic(edits in edits(), seed in select(text::CSV), gz in any::<bool>()) {
        let bytes = mutate(seed.as_bytes(), &edits, text::CSV_TOKENS);
        text::check_csv(&bytes)?;
        if gz {
            // Through the file reader only: the stream reader takes text.
            let dir = tempdir();
            let path = dir.path().join("table.csv.gz");
            std::fs::write(&path, gzip(&bytes)).unwrap();
            names_path(&flowdiff::chem::csv::read_smiles_csv(&path), &path)?;
        }
    }

    #[test]
    fn smiles_csv_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"smiles\n", b"index,smiles\n", b"id,smiles\n"])) {
        text::check_csv(&bytes)?;
    }
}
