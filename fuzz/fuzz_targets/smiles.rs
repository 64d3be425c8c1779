//! The SMILES reader in both modes, and the writers of a parsed graph: canonical SMILES
//! (which must read back to the same graph) and the SDF record.
#![no_main]

use flowdiff::chem::sdf::sdf_record;
use flowdiff::chem::smiles::parse_smiles_raw;
use flowdiff::chem::{canonical_smiles, parse_smiles, parse_smiles_kekulize, to_smiles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_smiles_raw(s) {
        assert!(e.pos <= s.len());
    }
    for r in [parse_smiles(s), parse_smiles_kekulize(s)] {
        let g = match r {
            Err(e) => {
                assert!(e.pos <= s.len());
                let _ = e.to_string();
                continue;
            }
            Ok(g) => g,
        };
        g.check().expect("the reader builds well-formed graphs");
        let written = to_smiles(&g);
        // Layout and canonical ranking grow fast with size; small molecules are the point.
        if g.n_atoms() == 0 || g.n_atoms() > 64 {
            continue;
        }
        sdf_record(&g, s).expect("an SDF record of a small well-formed graph");
        let back = parse_smiles(&written).unwrap_or_else(|e| {
            panic!("{s:?} is written as {written:?}, which does not read: {e}")
        });
        assert_eq!(
            canonical_smiles(&back),
            canonical_smiles(&g),
            "{s:?} → {written:?}"
        );
    }
});
