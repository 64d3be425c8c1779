/// mimalloc keeps freed tensor buffers for reuse instead of returning them to the kernel;
/// with glibc's allocator page faults took ~15% of a graph-model training step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Err(err) = flowdiff::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
