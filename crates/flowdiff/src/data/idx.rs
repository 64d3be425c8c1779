//! The IDX format of the MNIST database (LeCun et al.): a big-endian header — magic
//! `0x00000803` (2051) for images with counts `n, rows, cols`, `0x00000801` (2049) for labels
//! with count `n` — then unsigned bytes. Files may be gzip-compressed (detected by content).

use crate::error::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

/// Images as rows of `rows·cols` bytes.
#[derive(Clone, Debug)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("{}: corrupt gzip stream", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(bytes: &[u8], path: &Path, words: usize) -> Result<Vec<usize>> {
    if bytes.len() < 4 * words {
        bail!(
            "{}: truncated header ({} bytes, need {})",
            path.display(),
            bytes.len(),
            4 * words
        );
    }
    Ok((0..words)
        .map(|i| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()) as usize)
        .collect())
}

/// Reads an IDX image file (magic 2051).
pub fn read_images(path: &Path) -> Result<IdxImages> {
    let bytes = read_maybe_gz(path)?;
    let magic = header(&bytes, path, 1)?[0];
    if magic != 2051 {
        bail!(
            "{}: wrong magic number {magic} (an IDX image file has 2051{})",
            path.display(),
            if magic == 2049 {
                "; this is a label file"
            } else {
                ""
            }
        );
    }
    let h = header(&bytes, path, 4)?;
    let (count, rows, cols) = (h[1], h[2], h[3]);
    let body = &bytes[16..];
    let need = count.checked_mul(rows).and_then(|n| n.checked_mul(cols));
    if count == 0 || rows == 0 || cols == 0 {
        bail!(
            "{}: header says {count} images of {rows}x{cols}: an image file needs at least one image of at least one pixel",
            path.display()
        );
    }
    let Some(need) = need.filter(|n| *n == body.len()) else {
        bail!(
            "{}: header says {count} images of {rows}x{cols} ({} bytes) but the file holds {} bytes",
            path.display(),
            need.map_or("more than 2^64".to_string(), |n| n.to_string()),
            body.len()
        );
    };
    debug_assert_eq!(need, body.len());
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: body.to_vec(),
    })
}

/// Reads an IDX label file (magic 2049).
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_maybe_gz(path)?;
    let magic = header(&bytes, path, 1)?[0];
    if magic != 2049 {
        bail!(
            "{}: wrong magic number {magic} (an IDX label file has 2049{})",
            path.display(),
            if magic == 2051 {
                "; this is an image file"
            } else {
                ""
            }
        );
    }
    let h = header(&bytes, path, 2)?;
    let body = &bytes[8..];
    if body.len() != h[1] {
        bail!(
            "{}: header says {} labels but the file holds {}",
            path.display(),
            h[1],
            body.len()
        );
    }
    if let Some(i) = body.iter().position(|l| *l > 9) {
        bail!(
            "{}: label {} at index {i} is not a digit",
            path.display(),
            body[i]
        );
    }
    Ok(body.to_vec())
}

/// The MNIST file names in a directory, accepting `.gz` or uncompressed.
pub fn mnist_file(dir: &Path, stem: &str) -> Result<std::path::PathBuf> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let p = dir.join(&name);
        if p.exists() {
            return Ok(p);
        }
    }
    bail!(
        "{}: no {stem}(.gz). Put the MNIST files there (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
         t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), e.g. from ../shared/data/mnist, or fetch them with \
         `flowdiff data --name mnist --download DIR`",
        dir.display()
    )
}

/// A labelled MNIST split: images and labels, checked to agree in count.
pub fn read_split(dir: &Path, train: bool) -> Result<(IdxImages, Vec<u8>)> {
    let prefix = if train { "train" } else { "t10k" };
    let img_path = mnist_file(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let lab_path = mnist_file(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_images(&img_path)?;
    let labels = read_labels(&lab_path)?;
    if images.count != labels.len() {
        bail!(
            "{} holds {} images but {} holds {} labels",
            img_path.display(),
            images.count,
            lab_path.display(),
            labels.len()
        );
    }
    Ok((images, labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(body);
        v
    }

    #[test]
    fn reads_raw_and_gzip_and_rejects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let img = idx(2051, &[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
        std::fs::write(dir.path().join("a"), &img).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&img).unwrap();
        std::fs::write(dir.path().join("a.gz"), gz.finish().unwrap()).unwrap();
        for name in ["a", "a.gz"] {
            let r = read_images(&dir.path().join(name)).unwrap();
            assert_eq!((r.count, r.rows, r.cols, r.pixels[11]), (2, 2, 3, 255));
        }
        std::fs::write(dir.path().join("short"), &img[..20]).unwrap();
        let e = format!("{:#}", read_images(&dir.path().join("short")).unwrap_err());
        assert!(
            e.contains("short") && e.contains("header says 2 images"),
            "{e}"
        );
        std::fs::write(dir.path().join("lab"), idx(2049, &[3], &[1, 2, 3])).unwrap();
        let e = format!("{:#}", read_images(&dir.path().join("lab")).unwrap_err());
        assert!(
            e.contains("wrong magic number 2049") && e.contains("label file"),
            "{e}"
        );
        std::fs::write(dir.path().join("lab2"), idx(2049, &[4], &[1, 2, 3])).unwrap();
        assert!(
            format!("{:#}", read_labels(&dir.path().join("lab2")).unwrap_err())
                .contains("header says 4 labels")
        );
        std::fs::write(dir.path().join("bad.gz"), [0x1f, 0x8b, 0, 1, 2]).unwrap();
        assert!(
            format!("{:#}", read_images(&dir.path().join("bad.gz")).unwrap_err()).contains("gzip")
        );
        let e = format!("{:#}", read_split(dir.path(), true).unwrap_err());
        assert!(
            e.contains("train-images-idx3-ubyte") && e.contains("Put the MNIST files"),
            "{e}"
        );
    }

    #[test]
    fn reads_the_shared_mnist_files() {
        let Some(dir) = flowdiff_testdata::shared_data_dir() else {
            return;
        };
        let (train, labels) = read_split(&dir.join("mnist"), true).unwrap();
        assert_eq!((train.count, train.rows, train.cols), (7000, 28, 28));
        let mut counts = [0usize; 10];
        labels.iter().for_each(|l| counts[*l as usize] += 1);
        assert!(counts.iter().all(|c| (620..=766).contains(c)), "{counts:?}");
        let (test, _) = read_split(&dir.join("mnist"), false).unwrap();
        assert_eq!(test.count, 1000);
        // Digits are mostly background with bright strokes.
        let mean = train.pixels.iter().map(|p| *p as f64).sum::<f64>() / train.pixels.len() as f64;
        assert!(mean > 20.0 && mean < 50.0, "mean pixel {mean}");
    }
}
