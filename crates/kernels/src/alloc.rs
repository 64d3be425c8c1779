//! The allocator setting the `flowdiff` binary makes (it installs mimalloc as its global
//! allocator).

/// `mi_option_purge_delay` in mimalloc's option enum (v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Keeps freed memory mapped instead of purging it after 10 ms: training frees and
/// reallocates same-sized tensors every step, and re-faulting (and zeroing) those pages took
/// ~10% of a U-Net step. The environment variable `MIMALLOC_PURGE_DELAY` still overrides.
pub fn retain_freed_pages() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option value; mimalloc reads options atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}
