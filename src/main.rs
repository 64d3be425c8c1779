/// mimalloc keeps freed tensor buffers for reuse instead of returning them to the kernel;
/// with glibc's allocator page faults took ~15% of a graph-model training step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's option enum (v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: i32 = 15;

fn main() {
    // Keep freed memory mapped instead of purging it after 10 ms: training frees and
    // reallocates same-sized tensors every step, and re-faulting (and zeroing) those pages
    // took ~10% of a U-Net step (82,773 minor faults → 860 per benchmark). The environment
    // variable MIMALLOC_PURGE_DELAY still overrides.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option value; mimalloc reads options atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    if let Err(err) = flowdiff::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
