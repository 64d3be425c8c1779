fn main() {
    if let Err(err) = flowdiff::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
