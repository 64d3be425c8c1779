//! Text input that may be gzip-compressed (detected by the `1f 8b` magic bytes, not by
//! the file name).

use crate::error::{Context, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Opens `path` for buffered line reading, decompressing gzip transparently.
pub fn open_text(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let gz = reader
        .fill_buf()
        .with_context(|| format!("reading {}", path.display()))?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    })
}

/// Reads all of `path` as UTF-8 text, decompressing gzip transparently.
pub fn read_text(path: &Path) -> Result<String> {
    let mut text = String::new();
    open_text(path)?
        .read_to_string(&mut text)
        .with_context(|| {
            format!(
                "{}: not readable UTF-8 text (or a corrupt gzip stream)",
                path.display()
            )
        })?;
    Ok(text)
}
