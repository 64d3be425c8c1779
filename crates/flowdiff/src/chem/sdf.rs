//! MDL SDF (V2000 molfiles, `$$$$` between records) with the 2-D coordinates of
//! [`crate::chem::layout`] and charges in `M  CHG` lines.

use super::canonical::canonical_smiles;
use super::graph::MolGraph;
use super::layout::layout_2d;
use crate::error::{Result, bail};
use std::fmt::Write;
use std::path::Path;

/// Bond length of the 2-D coordinates, in Å.
const BOND_LENGTH: f64 = 1.5;

/// One V2000 record (molfile plus `$$$$`), titled `title`. Fails beyond 999 atoms or bonds
/// (the V2000 limit) and for a malformed graph.
pub fn sdf_record(g: &MolGraph, title: &str) -> Result<String> {
    g.check()?;
    if g.n_atoms() > 999 || g.bonds.len() > 999 {
        bail!(
            "a V2000 molfile holds at most 999 atoms and bonds, this graph has {} and {}",
            g.n_atoms(),
            g.bonds.len()
        );
    }
    let pos = layout_2d(g);
    let mut s = String::new();
    writeln!(s, "{}", title.lines().next().unwrap_or(""))?;
    writeln!(s, "  {:<8}{:10}2D", "flowdiff", "")?;
    writeln!(s)?;
    writeln!(
        s,
        "{:>3}{:>3}  0  0  0  0  0  0  0  0999 V2000",
        g.n_atoms(),
        g.bonds.len()
    )?;
    for (a, p) in g.atoms.iter().zip(&pos) {
        writeln!(
            s,
            "{:>10.4}{:>10.4}{:>10.4} {:<3} 0  0  0  0  0  0  0  0  0  0  0  0",
            coordinate(p[0]),
            coordinate(p[1]),
            0.0,
            a.element.symbol()
        )?;
    }
    for &(i, j, b) in &g.bonds {
        writeln!(s, "{:>3}{:>3}{:>3}  0  0  0  0", i + 1, j + 1, b.order())?;
    }
    let charged: Vec<(usize, i8)> = g
        .atoms
        .iter()
        .enumerate()
        .filter(|(_, a)| a.charge != 0)
        .map(|(i, a)| (i + 1, a.charge))
        .collect();
    for chunk in charged.chunks(8) {
        write!(s, "M  CHG{:>3}", chunk.len())?;
        for (i, c) in chunk {
            write!(s, " {i:>3} {c:>3}")?;
        }
        writeln!(s)?;
    }
    writeln!(s, "M  END")?;
    writeln!(s, "$$$$")?;
    Ok(s)
}

/// A layout coordinate in Å, rounded to the 4 decimals written (no `-0.0000`).
fn coordinate(v: f64) -> f64 {
    let r = (v * BOND_LENGTH * 1e4).round() / 1e4;
    if r == 0.0 { 0.0 } else { r }
}

/// Writes molecules as one SDF file, each titled with its canonical SMILES, atomically.
pub fn write_sdf(mols: &[MolGraph], path: &Path) -> Result<()> {
    let mut text = String::new();
    for (k, g) in mols.iter().enumerate() {
        let record = sdf_record(g, &canonical_smiles(g));
        text.push_str(
            &record.map_err(|e| crate::error::err!("{}: molecule {k}: {e}", path.display()))?,
        );
    }
    crate::io::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    #[test]
    fn records_hold_atoms_bonds_and_charges() {
        let g = parse_smiles("[NH3+]CC([O-])=O").unwrap();
        let r = sdf_record(&g, "glycine").unwrap();
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "glycine");
        assert!(
            lines[3].starts_with("  5  4  0") && lines[3].ends_with("V2000"),
            "{}",
            lines[3]
        );
        assert_eq!(&lines[4][31..34], "N  ");
        assert_eq!(lines[4].len(), 69);
        assert!(lines.contains(&"  3  5  2  0  0  0  0"), "{r}");
        assert!(lines.contains(&"M  CHG  2   1   1   4  -1"), "{r}");
        assert_eq!(&lines[lines.len() - 2..], ["M  END", "$$$$"]);
    }

    #[test]
    fn files_hold_one_record_per_molecule() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.sdf");
        let mols: Vec<MolGraph> = ["CCO", "C#N", "O"]
            .iter()
            .map(|s| parse_smiles(s).unwrap())
            .collect();
        write_sdf(&mols, &p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("$$$$").count(), 3);
        assert!(text.starts_with("CCO\n"), "{text}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
