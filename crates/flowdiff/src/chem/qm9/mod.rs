//! The QM9 data set (Ramakrishnan et al., Sci. Data 1, 140022, 2014) as heavy-atom graphs:
//! loading the SMILES table, the fixed train/valid/test split, and where the shared copy
//! lives.

mod split;
#[cfg(test)]
mod tests;

pub use split::{SPLIT_SEED, Split, split};

use super::csv::read_smiles_csv;
use super::graph::MolGraph;
use super::normalize::charge_separate_nitro;
use super::smiles::parse_smiles_kekulize;
use crate::error::{Result, bail};
use std::path::{Path, PathBuf};

/// The SMILES tables [`load`] looks for in a directory, in this order: ours
/// (`index,smiles`), then DeepChem's (`mol_id,smiles,…`, as `flowdiff data --name qm9
/// --download` saves it).
pub const SMILES_FILES: [&str; 4] = [
    "qm9_smiles.csv.gz",
    "qm9_smiles.csv",
    "qm9.csv.gz",
    "qm9.csv",
];

/// One QM9 molecule: its QM9 index, its SMILES as stored, and its heavy-atom graph (with
/// nitro groups charge-separated, see [`crate::chem::normalize`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Molecule {
    pub index: usize,
    pub smiles: String,
    pub graph: MolGraph,
}

/// The first of [`SMILES_FILES`] present in `dir`; the error lists what to put there.
pub fn find_smiles_file(dir: &Path) -> Result<PathBuf> {
    for name in SMILES_FILES {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "no QM9 SMILES table in {}: put one of {} there (a CSV with a 'smiles' column), or run `flowdiff data --name qm9 --download {}`",
        dir.display(),
        SMILES_FILES.join(", "),
        dir.display()
    )
}

/// Loads every molecule of the SMILES table in `dir` (see [`find_smiles_file`]).
pub fn load(dir: &Path) -> Result<Vec<Molecule>> {
    load_file(&find_smiles_file(dir)?)
}

/// Loads every molecule of a SMILES CSV file; a SMILES the reader refuses is an error
/// naming the file and line. Aromatic SMILES (DeepChem's table) are kekulized
/// ([`parse_smiles_kekulize`]). Pentavalent nitro nitrogens are charge-separated
/// ([`charge_separate_nitro`]), so every QM9 graph passes [`crate::chem::is_valid`].
pub fn load_file(path: &Path) -> Result<Vec<Molecule>> {
    let records = read_smiles_csv(path)?;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        match parse_smiles_kekulize(&r.smiles) {
            Ok(mut graph) => {
                charge_separate_nitro(&mut graph);
                out.push(Molecule {
                    index: r.index,
                    smiles: r.smiles,
                    graph,
                })
            }
            Err(e) => bail!(
                "{}: line {}: SMILES {:?}: {e}",
                path.display(),
                r.line,
                r.smiles
            ),
        }
    }
    if out.is_empty() {
        bail!("{}: no molecules", path.display());
    }
    Ok(out)
}

/// The shared QM9 directory (`$FLOWDIFF_DATA/qm9`, else `../shared/data/qm9` from the crate
/// root), for tests. `None` with a printed reason when absent, except under `CI=true`,
/// where missing data is an error.
pub fn shared_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FLOWDIFF_DATA").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")),
    ];
    if let Some(dir) = candidates
        .into_iter()
        .flatten()
        .map(|p| p.join("qm9"))
        .find(|p| p.is_dir())
    {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "QM9 data not found: set FLOWDIFF_DATA or provide ../shared/data/qm9 (required under CI=true)"
        );
    }
    eprintln!("skipping: QM9 data not found (set FLOWDIFF_DATA or provide ../shared/data/qm9)");
    None
}
