//! Files in and out: atomic writes (temporary file + rename, so nothing is left half-written)
//! and 2-D float arrays as `.npy` or `.csv`.

use crate::error::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

mod csv;
mod npy;

pub use npy::write_npy;

/// A row-major `[rows, cols]` array of `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct Array2 {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

impl Array2 {
    /// Checks that the array (read from `source`) has the shape of usable samples: at least
    /// `min_rows` rows and at least one column; the error names the source. Finiteness is not
    /// rescanned here: [`read_array`] refuses a non-finite value with its row and column.
    pub fn check_samples(&self, min_rows: usize, source: &str) -> Result<()> {
        let invalid = |reason: String| crate::error::Error::invalid(source, reason);
        if self.rows < min_rows {
            return Err(invalid(format!(
                "needs at least {min_rows} rows, found {}",
                self.rows
            )));
        }
        if self.cols == 0 {
            return Err(invalid("its rows have no values (0 columns)".into()));
        }
        Ok(())
    }

    pub fn new(values: Vec<f32>, rows: usize, cols: usize) -> Self {
        assert_eq!(
            values.len(),
            rows * cols,
            "array of {rows}x{cols} needs {} values",
            rows * cols
        );
        Self { rows, cols, values }
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }
}

/// Creates `dir` and its parents (if missing); the error names the directory.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes).map_err(Into::into))
}

/// Writes through `fill` into a temporary file beside `path`, then renames it into place.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir(dir)?;
    let tmp = temp_beside(path, "")?;
    let result = (|| -> Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// A hidden temporary path beside `path` for a file renamed into place once complete:
/// `.NAME.PID.partial` + `suffix` (a suffix such as `.png` lets encoders that go by the
/// extension write it). Temporary files of the same target left by a process that no longer
/// runs (killed mid-write) are removed first, so none outlives the next write.
pub fn temp_beside(path: &Path, suffix: &str) -> Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?
        .to_string_lossy()
        .to_string();
    remove_stale_temps(dir, &name);
    Ok(dir.join(format!(".{name}.{}.partial{suffix}", std::process::id())))
}

/// Removes `.NAME.PID.partial*` files in `dir` whose process is gone. Where the platform
/// cannot tell (no `/proc`), nothing is removed.
fn remove_stale_temps(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once(".partial"))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes a serializable value as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    write_atomic(path, text.as_bytes())
}

/// Reads an array from `.npy` (float32 or float64, 2-D) or `.csv` (numeric rows; a header
/// row of names is skipped), chosen by extension.
pub fn read_array(path: &Path) -> Result<Array2> {
    match extension(path).as_str() {
        "npy" => npy::read_npy(path),
        "csv" => csv::read_csv(path),
        other => bail!(
            "{}: unsupported extension {other:?} (expected .npy or .csv)",
            path.display()
        ),
    }
}

/// Writes an array as `.npy` (float32) or `.csv`, chosen by extension, atomically.
pub fn write_array(path: &Path, array: &Array2) -> Result<()> {
    match extension(path).as_str() {
        "npy" => write_npy(path, &array.values, &[array.rows as u64, array.cols as u64]),
        "csv" => write_atomic_with(path, |w| {
            let header: Vec<String> = (0..array.cols).map(|j| format!("x{j}")).collect();
            writeln!(w, "{}", header.join(","))?;
            for i in 0..array.rows {
                let row: Vec<String> = array.row(i).iter().map(|v| v.to_string()).collect();
                writeln!(w, "{}", row.join(","))?;
            }
            Ok(())
        }),
        other => bail!(
            "{}: unsupported extension {other:?} (expected .npy or .csv)",
            path.display()
        ),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Refuses a non-finite value, naming its row and column.
fn check_finite(path: &Path, values: &[f32], cols: usize) -> Result<()> {
    if let Some(k) = values.iter().position(|v| !v.is_finite()) {
        bail!(
            "{}: row {} column {} is not finite",
            path.display(),
            k / cols,
            k % cols
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_and_csv_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let a = Array2::new(vec![1.0, -2.5, 3.25, 4.0, 0.0, 1e-3], 3, 2);
        for name in ["a.npy", "a.csv"] {
            let p = dir.path().join(name);
            write_array(&p, &a).unwrap();
            assert_eq!(read_array(&p).unwrap(), a, "{name}");
        }
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn bad_csv_rows_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "x,y\n1,2\n3,oops\n").unwrap();
        let err = format!("{:#}", read_array(&p).unwrap_err());
        assert!(err.contains("line 3") && err.contains("bad.csv"), "{err}");
        std::fs::write(&p, "1,2\n3\n").unwrap();
        let err = format!("{:#}", read_array(&p).unwrap_err());
        assert!(
            err.contains("line 2") && err.contains("expected 2 columns"),
            "{err}"
        );
    }
}
