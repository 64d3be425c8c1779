//! Kernel choices measured, not assumed (as oneDNN and burn's autotune do): where several
//! algorithms compute the same thing — a 3×3 convolution by Winograd or by im2col + GEMM, its
//! weight gradient accumulated transposed or not — the first call of each shape times every
//! candidate on its real operands and keeps the fastest, per shape, batch, thread count,
//! instruction set and CPU. Choices are cached in memory and on disk
//! (`$FLOWDIFF_CACHE_DIR` or `~/.cache/flowdiff/`, one file per CPU and instruction set), so a
//! second process reuses them without timing anything.
//!
//! `FLOWDIFF_AUTOTUNE=0` turns it off: every call takes the fixed default, for reproducible
//! A/B runs. Candidates agree up to float rounding (each is tested against its definition), so
//! results never depend on the choice beyond that. A cache file that cannot be read or parsed
//! is ignored with a warning and rewritten; one that cannot be written costs only a warning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Timed runs of each candidate on a shape's first call.
pub const ROUNDS: usize = 3;
/// How much faster (as a fraction of its time) a candidate must be to replace the default.
pub const MARGIN: f64 = 0.08;

/// The first line of a cache file; the rest are `key<TAB>choice` lines.
const HEADER: &str = "flowdiff-kernels autotune v1";

/// A table of measured choices, optionally backed by a file.
pub struct Tuner {
    enabled: bool,
    file: Option<PathBuf>,
    table: Mutex<HashMap<String, usize>>,
    /// Shapes timed by this tuner (not read from the file), for tests and logs.
    timed: Mutex<usize>,
}

impl Tuner {
    /// A tuner backed by `file` (read now if it exists; a corrupt one is ignored with a
    /// warning), or in memory only with `None`; `enabled: false` always takes the default.
    pub fn open(file: Option<PathBuf>, enabled: bool) -> Self {
        let table = match &file {
            Some(path) if enabled => read(path).unwrap_or_else(|why| {
                eprintln!(
                    "warning: ignoring the kernel autotuning cache {}: {why}; it will be rebuilt",
                    path.display()
                );
                HashMap::new()
            }),
            _ => HashMap::new(),
        };
        Self {
            enabled,
            file,
            table: Mutex::new(table),
            timed: Mutex::new(0),
        }
    }

    /// The process's tuner: enabled unless `FLOWDIFF_AUTOTUNE` is `0`/`off`/`false`, backed
    /// by [`cache_file`].
    pub fn global() -> &'static Tuner {
        static GLOBAL: OnceLock<Tuner> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            let enabled = !std::env::var("FLOWDIFF_AUTOTUNE")
                .is_ok_and(|v| matches!(v.trim(), "0" | "off" | "false"));
            Tuner::open(cache_file(), enabled)
        })
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many shapes this tuner has timed itself.
    pub fn timed(&self) -> usize {
        *lock(&self.timed)
    }

    /// The stored choice for `key`, if any.
    pub fn choice(&self, key: &str) -> Option<usize> {
        lock(&self.table).get(key).copied()
    }

    /// Runs one of `candidates` (all computing the same result) for the shape `key`: the
    /// stored choice; on the first call, each candidate [`ROUNDS`] times, interleaved, keeping
    /// the one with the fastest run (its result is returned) — but the `default` unless another
    /// beats it by more than [`MARGIN`], so that timing noise (another process, a cold cache)
    /// does not trade a good default for an equal one; `default` when disabled or with a
    /// single candidate.
    pub fn run<T>(&self, key: &str, default: usize, candidates: &[&dyn Fn() -> T]) -> T {
        let n = candidates.len();
        let default = default.min(n - 1);
        if !self.enabled || n == 1 {
            return candidates[default]();
        }
        if let Some(k) = self.choice(key).filter(|&k| k < n) {
            return candidates[k]();
        }
        // Interleaved rounds, the minimum kept: the first also warms the caches and the
        // allocator for all of them, and a burst of load elsewhere hits one round, not all.
        let mut best = vec![f64::INFINITY; n];
        let mut kept: Vec<Option<T>> = (0..n).map(|_| None).collect();
        for _ in 0..ROUNDS {
            for (k, f) in candidates.iter().enumerate() {
                let t = Instant::now();
                let out = f();
                best[k] = best[k].min(t.elapsed().as_secs_f64());
                kept[k] = Some(out);
            }
        }
        let fastest = (0..n)
            .min_by(|&a, &b| best[a].total_cmp(&best[b]))
            .filter(|&k| best[k] < best[default] * (1.0 - MARGIN))
            .unwrap_or(default);
        lock(&self.table).insert(key.to_string(), fastest);
        *lock(&self.timed) += 1;
        self.save();
        kept.swap_remove(fastest)
            .unwrap_or_else(|| candidates[fastest]())
    }

    /// Writes the table to the file (temporary file + rename), warning on failure.
    fn save(&self) {
        let Some(path) = &self.file else { return };
        let mut text = format!("{HEADER}\n");
        let mut rows: Vec<(String, usize)> = lock(&self.table)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        rows.sort();
        for (k, v) in rows {
            text.push_str(&format!("{k}\t{v}\n"));
        }
        if let Err(why) = write_atomic(path, &text) {
            eprintln!(
                "warning: could not save the kernel autotuning cache {}: {why}",
                path.display()
            );
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves a table that is still valid.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a cache file; `Ok(empty)` when it does not exist.
fn read(path: &Path) -> Result<HashMap<String, usize>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e.to_string()),
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("its first line is not {HEADER:?}"));
    }
    let mut table = HashMap::new();
    for (i, line) in lines.enumerate() {
        let parsed = line
            .split_once('\t')
            .and_then(|(k, v)| Some((k, v.parse::<usize>().ok()?)));
        let Some((k, v)) = parsed.filter(|(k, _)| !k.is_empty()) else {
            return Err(format!("line {} is not `key<TAB>choice`", i + 2));
        };
        table.insert(k.to_string(), v);
    }
    Ok(table)
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The cache file of this CPU and instruction set: `$FLOWDIFF_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/flowdiff`, else `$HOME/.cache/flowdiff`; `None` without any of them.
pub fn cache_file() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = env("FLOWDIFF_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("flowdiff")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("flowdiff")))?;
    let cpu: String = cpu_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Some(dir.join(format!(
        "kernels-{}-{}.tsv",
        cpu.trim_matches('-'),
        super::isa::active().name()
    )))
}

/// The CPU's model name (`/proc/cpuinfo` on Linux), or `unknown-cpu`.
pub fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-cpu".into())
}

#[cfg(test)]
mod tests;
