//! Helpers shared by the fuzz targets: the readers take paths, so each input is written to a
//! file in a per-process temporary directory, and an error must name that file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The per-process directory the inputs are written to (libFuzzer runs one input at a time
/// per process; `-jobs`/`-workers` start separate processes).
pub fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

/// Writes `data` to `name` in [`dir`] and returns its path.
pub fn write(name: &str, data: &[u8]) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, data).expect("writing the fuzz input");
    path
}

/// Gzip of `data` (for the readers that accept compressed files).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("gzip into memory");
    gz.finish().expect("gzip into memory")
}

/// Panics (a crash to libFuzzer) when `r` is an error that does not name `name`.
pub fn check_names<T>(r: &flowdiff::Result<T>, name: &str) {
    if let Err(e) = r {
        let msg = e.chain();
        assert!(msg.contains(name), "the error does not name {name}: {msg}");
    }
}

/// [`check_names`] with a path.
pub fn check_names_path<T>(r: &flowdiff::Result<T>, path: &Path) {
    check_names(r, &path.display().to_string());
}
