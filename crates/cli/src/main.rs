//! The `flowdiff` command line: parses the arguments, calls the library, prints.

mod bench;
mod bench_images;
mod classifier;
mod data;
mod demo;
mod demo_reflow;
mod device_arg;
mod distill;
mod eval;
mod forward;
mod images;
mod method_flags;
mod molecules;
mod nll;
mod report;
mod resume;
mod sample;
mod train;
mod train_common;
mod train_images;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "flowdiff",
    version,
    about = "Diffusion models and flow matching, trained and sampled side by side"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Draw points from a built-in 2-D data set and write them as .npy or .csv.
    Data(data::Args),
    /// Train a diffusion or flow-matching model; writes a run directory.
    Train(train::Args),
    /// Sample from a trained run.
    Sample(sample::Args),
    /// A fewer-step student of a trained run (reflow): samples in one or two steps.
    Distill(distill::Args),
    /// Compare samples with data: sliced W2, energy distance and MMD, with noise floors.
    Eval(eval::Args),
    /// The MNIST classifier behind the image metrics.
    #[command(subcommand)]
    Classifier(classifier::Command),
    /// Rebuild the HTML report of runs (index.html with pictures and metrics).
    Report(report::ReportArgs),
    /// Put runs side by side at matched NFE: quality, wall time, and what the numbers say.
    Compare(report::CompareArgs),
    /// Picture the forward (noising) process of a data set.
    Forward(forward::Args),
    /// Sampling speed and quality per NFE for every applicable sampler.
    Bench(bench::Args),
    /// Exact negative log-likelihood of points under a trained run (nats/dim, bits/dim).
    Nll(nll::Args),
    /// The main job: train both methods on two data sets, sample, evaluate, draw.
    Demo(demo::Args),
}

/// Parses the command line and runs the command.
fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        // `bench` sizes the CPU pool first (`--threads`), then runs on it.
        Command::Bench(a) => bench::run(a),
        command => flowdiff::device::on_pool(move || dispatch(command)),
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Data(a) => data::run(a),
        Command::Train(a) => train::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Distill(a) => distill::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Nll(a) => nll::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Forward(a) => forward::run(a),
        Command::Report(a) => report::report(a),
        Command::Compare(a) => report::compare_cmd(a),
        Command::Classifier(c) => classifier::run(c),
        Command::Demo(a) => demo::run(a),
    }
}

/// mimalloc keeps freed tensor buffers for reuse instead of returning them to the kernel;
/// with glibc's allocator page faults took ~15% of a graph-model training step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    flowdiff_kernels::alloc::retain_freed_pages();
    if let Err(err) = run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
