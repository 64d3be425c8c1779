//! SMILES tables as CSV (plain or gzip): a header naming a `smiles` column anywhere (our
//! `index,smiles`, DeepChem's `mol_id,smiles,A,B,…`), then one molecule per line.

use super::files::open_text;
use crate::error::{Context, Result, bail};
use std::io::BufRead;
use std::path::Path;

/// One row: its line number (1-based, header = line 1), the molecule's index, and its SMILES.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmilesRecord {
    pub line: usize,
    /// From an `index` column, else the digits ending a `mol_id`/`id` column (`gdb_17` →
    /// 17), else the row's position counting from 1.
    pub index: usize,
    pub smiles: String,
}

/// Reads a SMILES CSV file (gzip detected by content).
pub fn read_smiles_csv(path: &Path) -> Result<Vec<SmilesRecord>> {
    parse_smiles_csv(open_text(path)?, &path.display().to_string())
}

/// Reads SMILES CSV text from `reader`; `name` labels errors (`name: line N: …`).
pub fn parse_smiles_csv(reader: impl BufRead, name: &str) -> Result<Vec<SmilesRecord>> {
    let mut lines = reader.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => bail!("{name}: empty file (expected a header with a 'smiles' column)"),
            Some((i, line)) => {
                let line = line.with_context(|| format!("{name}: line {}", i + 1))?;
                if !line.trim().is_empty() {
                    break fields(line.trim_start_matches('\u{feff}'));
                }
            }
        }
    };
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let Some(smiles_col) = col(&["smiles"]) else {
        bail!("{name}: line 1: no 'smiles' column in the header {header:?}");
    };
    let index_col = col(&["index"]);
    let id_col = col(&["mol_id", "id"]);
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let line = line.with_context(|| format!("{name}: line {n}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let f = fields(&line);
        let Some(smiles) = f.get(smiles_col).map(|s| s.trim().to_string()) else {
            bail!(
                "{name}: line {n}: {} fields, but 'smiles' is column {}",
                f.len(),
                smiles_col + 1
            );
        };
        if smiles.is_empty() {
            bail!("{name}: line {n}: empty SMILES");
        }
        let index = if let Some(c) = index_col {
            let v = f.get(c).map(|s| s.trim()).unwrap_or("");
            v.parse()
                .with_context(|| format!("{name}: line {n}: index {v:?} is not a number"))?
        } else if let Some(c) = id_col {
            let v = f.get(c).map(|s| s.trim()).unwrap_or("");
            let digits = &v[v.trim_end_matches(|ch: char| ch.is_ascii_digit()).len()..];
            digits
                .parse()
                .with_context(|| format!("{name}: line {n}: id {v:?} does not end in a number"))?
        } else {
            out.len() + 1
        };
        out.push(SmilesRecord {
            line: n,
            index,
            smiles,
        });
    }
    Ok(out)
}

/// Splits a CSV line at commas, honouring double-quoted fields (`""` inside quotes is a
/// quote).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<SmilesRecord>> {
        parse_smiles_csv(text.as_bytes(), "t.csv")
    }

    #[test]
    fn finds_the_smiles_column_in_either_layout() {
        let ours = parse("index,smiles\n1,C\n\n7,CC#N\n").unwrap();
        assert_eq!(
            ours[1],
            SmilesRecord {
                line: 4,
                index: 7,
                smiles: "CC#N".into()
            }
        );
        let deepchem = parse("mol_id,smiles,A,B\ngdb_1,C,157.7,157.7\ngdb_22,\"C1CC1\",1,2\n");
        let deepchem = deepchem.unwrap();
        assert_eq!(
            (deepchem[1].index, deepchem[1].smiles.as_str()),
            (22, "C1CC1")
        );
        let bare = parse("name,SMILES\na,O\nb,N\n").unwrap();
        assert_eq!((bare[1].index, bare[1].smiles.as_str()), (2, "N"));
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = format!("{:#}", parse("index,mol\n1,C\n").unwrap_err());
        assert!(
            e.contains("t.csv: line 1") && e.contains("no 'smiles' column"),
            "{e}"
        );
        let e = format!("{:#}", parse("index,smiles\n1,C\n2\n").unwrap_err());
        assert!(e.contains("line 3"), "{e}");
        let e = format!("{:#}", parse("index,smiles\nx,C\n").unwrap_err());
        assert!(e.contains("line 2") && e.contains("not a number"), "{e}");
        let e = format!("{:#}", parse("index,smiles\n1, \n").unwrap_err());
        assert!(e.contains("line 2") && e.contains("empty SMILES"), "{e}");
        assert!(parse("").is_err());
    }
}
