//! Files in and out: atomic writes (temporary file + rename, so nothing is left half-written)
//! and 2-D float arrays as `.npy` or `.csv`.

use crate::error::{Context, Result, bail};
use npyz::WriterBuilder;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

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
        "npy" => read_npy(path),
        "csv" => read_csv(path),
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

/// Writes float32 values as a C-ordered `.npy` of the given shape, atomically.
pub fn write_npy(path: &Path, values: &[f32], shape: &[u64]) -> Result<()> {
    assert_eq!(
        values.len() as u64,
        shape.iter().product::<u64>(),
        "shape {shape:?} does not fit {} values",
        values.len()
    );
    write_atomic_with(path, |w| {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .writer(w)
            .begin_nd()?;
        writer.extend(values.iter().copied())?;
        writer.finish()?;
        Ok(())
    })
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn read_npy(path: &Path) -> Result<Array2> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let depth = npy_header_depth(&bytes);
    if depth > 2 {
        bail!(
            "{}: header is not a flat dict of descr, fortran_order and shape (brackets nested {depth} deep)",
            path.display()
        );
    }
    if let Some(shape) = overflowing_npy_shape(&bytes) {
        bail!(
            "{}: header shape {shape} is corrupt (its dimensions multiply beyond 2^64)",
            path.display()
        );
    }
    let npy = npyz::NpyFile::new(&bytes[..])
        .with_context(|| format!("{}: not a valid .npy file", path.display()))?;
    let shape = npy.shape().to_vec();
    // The header's shape against the bytes the file holds, before anything is allocated.
    let elements = shape
        .iter()
        .try_fold(1u64, |n, d| n.checked_mul(*d))
        .and_then(|n| usize::try_from(n).ok());
    let item = npy.dtype().num_bytes().unwrap_or(0);
    match elements.and_then(|n| n.checked_mul(item)) {
        Some(need) if need <= bytes.len() => {}
        _ => bail!(
            "{}: header claims shape {shape:?} of {item}-byte values, more than the file's {} bytes (truncated or corrupt)",
            path.display(),
            bytes.len()
        ),
    }
    let (rows, cols) = match shape.as_slice() {
        [r, c] => (*r as usize, *c as usize),
        [r] => (*r as usize, 1),
        [r, rest @ ..] if !rest.is_empty() => {
            // Checked: with no rows (r = 0) the other dimensions are not bounded by the size.
            let cols = rest
                .iter()
                .try_fold(1u64, |n, d| n.checked_mul(*d))
                .and_then(|n| usize::try_from(n).ok());
            let Some(cols) = cols else {
                bail!(
                    "{}: header shape {shape:?} has more values per row than fit in memory",
                    path.display()
                );
            };
            (*r as usize, cols)
        }
        _ => bail!(
            "{}: expected a 2-D array [n, d], found shape {shape:?}",
            path.display()
        ),
    };
    if npy.order() != npyz::Order::C {
        bail!(
            "{}: Fortran-ordered arrays are not supported; save with C order",
            path.display()
        );
    }
    let descr = npy.dtype().descr().trim_matches('\'').to_string();
    let values: Vec<f32> = match descr.as_str() {
        "<f4" => npy
            .into_vec::<f32>()
            .with_context(|| format!("{}: reading the values", path.display()))?,
        "<f8" => npy
            .into_vec::<f64>()
            .with_context(|| format!("{}: reading the values", path.display()))?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        other => bail!(
            "{}: dtype {other} is not supported (expected float32 or float64)",
            path.display()
        ),
    };
    check_finite(path, &values, cols)?;
    Ok(Array2::new(values, rows, cols))
}

fn read_csv(path: &Path) -> Result<Array2> {
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

/// The `shape` of an `.npy` header (as written) when the product of its non-zero dimensions
/// overflows `u64`. npyz multiplies the dimensions, and their partial products, unchecked: a
/// panic in debug builds, a wrapped size in release ones. A header written any other way
/// than numpy's (integers in decimal) is left to npyz.
/// How deep brackets nest in a `.npy` header, counting every bracket of the header's declared
/// length (quotes included: a plain dtype's header never holds one there): 2 in every header
/// flowdiff reads (the dict and its shape tuple). npyz's header parser backtracks exponentially
/// in the depth (a 170-byte file with 26 open brackets took over 10 s, found by the `npy` fuzz
/// target), so deeper headers are refused before it sees them.
fn npy_header_depth(bytes: &[u8]) -> usize {
    // Magic (6 bytes), version (2), header length (u16 LE in version 1, u32 LE after), header.
    let (start, len): (usize, usize) = match bytes.get(6) {
        Some(&major) if major >= 2 && bytes.len() >= 12 => (
            12,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        Some(_) if bytes.len() >= 10 => (10, u16::from_le_bytes([bytes[8], bytes[9]]) as usize),
        _ => return 0,
    };
    let end = bytes.len().min(start.saturating_add(len)).min(1 << 20);
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &b in &bytes[start.min(end)..end] {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn overflowing_npy_shape(bytes: &[u8]) -> Option<String> {
    // Version 1 headers end within 64 KiB; later ones may be longer, but no real one is.
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
    for key in ["'shape'", "\"shape\""] {
        for (at, _) in text.match_indices(key) {
            let rest = text[at + key.len()..].trim_start();
            let Some(rest) = rest.strip_prefix(':').map(str::trim_start) else {
                continue;
            };
            let Some(close) = (match rest.chars().next() {
                Some('(') => rest.find(')'),
                Some('[') => rest.find(']'),
                _ => None,
            }) else {
                continue;
            };
            let dims = rest[1..close]
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty());
            let mut product = Some(1u64);
            for d in dims {
                match d.parse::<u64>() {
                    Ok(0) => {}
                    Ok(d) => product = product.and_then(|p| p.checked_mul(d)),
                    Err(_) => break,
                }
            }
            if product.is_none() {
                return Some(rest[..=close].to_string());
            }
        }
    }
    None
}

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

    #[test]
    fn image_stacks_flatten_and_bad_dtypes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cube.npy");
        write_npy(&p, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 1, 3]).unwrap();
        let a = read_array(&p).unwrap();
        assert_eq!((a.rows, a.cols, a.values[5]), (2, 3, 6.0));
        let q = dir.path().join("ints.npy");
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[3, 1])
            .writer(std::fs::File::create(&q).unwrap())
            .begin_nd()
            .unwrap();
        w.extend([1i32, 2, 3]).unwrap();
        w.finish().unwrap();
        let err = format!("{:#}", read_array(&q).unwrap_err());
        assert!(err.contains("ints.npy") && err.contains("dtype"), "{err}");
        let err = format!("{:#}", read_array(&dir.path().join("x.txt")).unwrap_err());
        assert!(err.contains("unsupported extension"), "{err}");
    }
}
