use crate::data::toy::Toy;
use crate::io::{Array2, write_array};
use crate::rng::SeededRng;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data set: moons, circles, eight-gaussians, checkerboard, swiss-roll, two-spirals.
    #[arg(long)]
    name: String,
    /// Number of points.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (.npy or .csv).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let toy = Toy::from_name(&a.name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    println!("seed {}", a.seed);
    let pts = toy.sample(a.n, &mut SeededRng::new(a.seed));
    write_array(&a.out, &Array2::new(pts, a.n, 2))?;
    println!(
        "wrote {} points of {} to {}",
        a.n,
        toy.name(),
        a.out.display()
    );
    Ok(())
}
