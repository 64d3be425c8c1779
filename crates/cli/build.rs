//! With the `tch` feature: an rpath to the libtorch that torch-sys linked (for example the one
//! inside PyPI's `torch` wheel with `LIBTORCH_USE_PYTORCH=1`), so the binary runs without
//! `LD_LIBRARY_PATH`. Without the feature this does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // torch-sys (`links = "tch"`) exports its library directory to direct dependents.
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
