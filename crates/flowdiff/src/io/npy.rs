//! `.npy` arrays (numpy's format, <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>):
//! the reader checks the header before npyz parses it or anything is allocated.

use super::{Array2, check_finite, write_atomic_with};
use crate::error::{Context, Result, bail};
use npyz::WriterBuilder;
use std::path::Path;

/// Writes float32 values as a C-ordered `.npy` of the given shape, atomically; a shape that
/// does not hold exactly `values.len()` values is an error naming the file.
pub fn write_npy(path: &Path, values: &[f32], shape: &[u64]) -> Result<()> {
    let holds = shape.iter().try_fold(1u64, |n, d| n.checked_mul(*d));
    if holds != Some(values.len() as u64) {
        bail!(
            "{}: shape {shape:?} does not hold the {} values to write",
            path.display(),
            values.len()
        );
    }
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

/// Reads a float32 or float64 `.npy`, 1-D (one column) or N-D (the trailing dimensions
/// flattened into columns), C order; the header is checked against the file's length before
/// anything is allocated.
pub(super) fn read_npy(path: &Path) -> Result<Array2> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let brackets = npy_header_brackets(&bytes);
    if brackets > 2 {
        bail!(
            "{}: header is not a flat dict of descr, fortran_order and shape ({brackets} opening brackets; such a header has 2)",
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

/// The opening brackets (`(`, `[`, `{`) within a `.npy` header's declared length, quoted or
/// not: 2 in every header flowdiff reads (the dict and its shape tuple). npyz's header parser
/// backtracks exponentially in their nesting (a 170-byte file with 26 open brackets took over
/// 10 s; closing brackets hidden in quoted keys kept a 296-byte one at 1.7 s — both found by the
/// `npy` fuzz target), so headers with more are refused before it sees them.
fn npy_header_brackets(bytes: &[u8]) -> usize {
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
    bytes[start.min(end)..end]
        .iter()
        .filter(|b| matches!(b, b'(' | b'[' | b'{'))
        .count()
}

/// The `shape` of an `.npy` header (as written) when the product of its non-zero dimensions
/// overflows `u64`. npyz multiplies the dimensions, and their partial products, unchecked: a
/// panic in debug builds, a wrapped size in release ones. A header written any other way
/// than numpy's (integers in decimal) is left to npyz.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read_array;

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
