//! `.csv` arrays: numeric rows, comma-separated.

use super::Array2;
use crate::error::{Context, Result, bail};
use std::io::BufRead;
use std::path::Path;

/// Reads numeric rows of a `.csv` (a header row of names and `#` comments are skipped).
pub(super) fn read_csv(path: &Path) -> Result<Array2> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut values = Vec::new();
    let mut cols = None;
    let mut rows = 0;
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        // A UTF-8 byte-order mark (as spreadsheet programs write) is not part of the first row.
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f32>, _> = fields.iter().map(|f| f.parse::<f32>()).collect();
        let parsed = match parsed {
            Ok(p) => p,
            Err(_) if rows == 0 && cols.is_none() => continue, // header row of names
            Err(e) => bail!(
                "{}: line {}: not a number ({e}): {line:?}",
                path.display(),
                i + 1
            ),
        };
        match cols {
            None => cols = Some(parsed.len()),
            Some(c) if c != parsed.len() => bail!(
                "{}: line {}: expected {c} columns, found {}",
                path.display(),
                i + 1,
                parsed.len()
            ),
            _ => {}
        }
        if let Some(j) = parsed.iter().position(|v| !v.is_finite()) {
            bail!(
                "{}: line {}: column {} is not finite",
                path.display(),
                i + 1,
                j + 1
            );
        }
        values.extend(parsed);
        rows += 1;
    }
    let Some(cols) = cols else {
        bail!("{}: no numeric rows", path.display())
    };
    Ok(Array2::new(values, rows, cols))
}
