//! Test support shared by flowdiff's crates (a dev-dependency only, never part of the library's
//! API): where the real data sets are.

use std::path::{Path, PathBuf};

/// The shared real-data directory: `$FLOWDIFF_DATA`, else `shared/data` beside the workspace
/// (`../shared/data` from the repository root). `None` (with a printed reason) when neither
/// exists, except under `CI=true`, where missing data is an error.
pub fn shared_data_dir() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("FLOWDIFF_DATA").map(PathBuf::from),
        Some(workspace.join("../shared/data")),
    ];
    if let Some(dir) = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("mnist").is_dir())
    {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "real data not found: set FLOWDIFF_DATA or provide ../shared/data (required under CI=true)"
        );
    }
    eprintln!("skipping: real data not found (set FLOWDIFF_DATA or provide ../shared/data)");
    None
}
