use crate::data::DataSpec;
use crate::io::read_array;
use crate::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use crate::rng::SeededRng;
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Samples to evaluate (.npy or .csv).
    #[arg(long)]
    samples: PathBuf,
    /// Reference: a built-in data set (fresh draws) or a .npy/.csv file.
    #[arg(long)]
    data: String,
    /// Seed of the fresh reference draws.
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let samples = read_array(&a.samples)?;
    let source = DataSpec::parse(&a.data)?.open()?;
    if source.dim() != samples.cols {
        bail!(
            "{} has {} columns but --data {} has dimension {}",
            a.samples.display(),
            samples.cols,
            a.data,
            source.dim()
        );
    }
    let mut rng = SeededRng::new(a.seed);
    let refs = reference_draws(
        |n| source.sample(n, &mut rng),
        samples.rows,
        REFERENCE_DRAWS,
    );
    let report = evaluate(&samples.values, &refs, samples.cols, 2000);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{} samples vs {REFERENCE_DRAWS} fresh draws of {} (seed {}):",
        report.n, a.data, a.seed
    );
    println!(
        "{:<14} {:>10} {:>12} {:>8}",
        "metric", "value", "noise floor", "ratio"
    );
    for (name, s) in [
        ("sliced W2", report.sliced_w2),
        ("energy", report.energy),
        ("MMD (RBF)", report.mmd),
    ] {
        println!(
            "{name:<14} {:>10.4} {:>12.4} {:>7.2}x",
            s.value, s.floor, s.ratio
        );
    }
    Ok(())
}
