//! Up-front memory checks: work whose memory cannot fit is refused before it starts, with the
//! estimate, instead of aborting on an allocation half-way.
//!
//! The estimates are lower bounds (only what must be allocated at once: weights and optimizer
//! state, the batch's activations, the samples), so a refusal is certain to be right; work that
//! passes may still need more.

use crate::error::{Error, Result};

/// Overrides the memory available (bytes), for tests and for machines that share memory.
pub const LIMIT_VAR: &str = "FLOWDIFF_MEMORY_LIMIT";

/// Bytes of memory available to this process: `FLOWDIFF_MEMORY_LIMIT` if set, else free memory
/// and swap from `/proc/meminfo`; `None` where neither tells.
pub fn available() -> Option<f64> {
    if let Some(limit) = std::env::var(LIMIT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(limit);
    }
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |key: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        let kib: f64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024.0)
    };
    Some(field("MemAvailable:")? + field("SwapFree:").unwrap_or(0.0))
}

/// Refuses `what` (set by `field`) when its estimated `bytes` exceed the memory available.
pub fn check(field: &str, what: &str, bytes: f64) -> Result<()> {
    match available() {
        Some(free) if bytes > free => Err(Error::invalid(
            field,
            format!(
                "{what} needs at least {} of memory; this machine has {} available",
                human(bytes),
                human(free)
            ),
        )),
        _ => Ok(()),
    }
}

/// `bytes` in the largest binary unit that keeps it ≥ 1 (`12.0 GiB`).
pub fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit + 1 == units.len() && value >= 1024.0 {
        format!("{bytes:.1e} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Bytes of `count` 32-bit floats.
pub fn floats(count: f64) -> f64 {
    count * 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(512.0), "512.0 B");
        assert_eq!(human(3.0 * 1024.0 * 1024.0 * 1024.0), "3.0 GiB");
        assert_eq!(human(1e30), "1.0e30 B");
    }

    #[test]
    fn the_machine_reports_some_memory_and_refuses_more_than_it_has() {
        let free = available().expect("Linux reports its memory in /proc/meminfo");
        assert!(free > 1e6, "{free}");
        assert!(check("n", "a test", free / 2.0).is_ok());
        let err = check("n", "a test", free * 4.0).unwrap_err().to_string();
        assert!(
            err.contains("needs at least") && err.contains("available"),
            "{err}"
        );
    }
}
