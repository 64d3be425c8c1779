use crate::data::toy::Toy;
use crate::io::{Array2, write_array, write_atomic};
use crate::rng::SeededRng;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Where `--download` fetches MNIST from by default (the mirror torchvision uses).
pub const MNIST_URL: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/// The four MNIST files.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data set: moons, circles, eight-gaussians, checkerboard, swiss-roll, two-spirals, or
    /// mnist (with --download DIR).
    #[arg(long)]
    name: String,
    /// Number of points.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (.npy or .csv).
    #[arg(long, required_unless_present = "download")]
    out: Option<PathBuf>,
    /// mnist: fetch the four IDX files into this directory.
    #[arg(long)]
    download: Option<PathBuf>,
    /// Base URL to fetch from.
    #[arg(long, default_value = MNIST_URL)]
    url: String,
}

pub fn run(a: Args) -> Result<()> {
    if a.name == "mnist" {
        let Some(dir) = &a.download else {
            bail!("--name mnist: give --download DIR (or train with --data mnist --data-dir DIR)")
        };
        return download_mnist(&a.url, dir);
    }
    let toy = Toy::from_name(&a.name).map_err(|e| anyhow::anyhow!("--name: {e}, or mnist"))?;
    let out = a.out.context("--out is required")?;
    println!("seed {}", a.seed);
    let pts = toy.sample(a.n, &mut SeededRng::new(a.seed));
    write_array(&out, &Array2::new(pts, a.n, 2))?;
    println!(
        "wrote {} points of {} to {}",
        a.n,
        toy.name(),
        out.display()
    );
    Ok(())
}

/// Fetches the MNIST files from `base` into `dir`, checks each with the IDX reader, and
/// writes it atomically.
pub fn download_mnist(base: &str, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for name in MNIST_FILES {
        let url = format!("{}/{name}", base.trim_end_matches('/'));
        let bytes = ureq::get(&url)
            .call()
            .and_then(|r| r.into_body().with_config().limit(100 << 20).read_to_vec())
            .with_context(|| {
                format!(
                    "fetching {url} failed; without a network, copy the four MNIST files ({}) into {} by hand",
                    MNIST_FILES.join(", "),
                    dir.display()
                )
            })?;
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.check"));
        std::fs::write(&tmp, &bytes)?;
        let checked = if name.contains("images") {
            crate::data::idx::read_images(&tmp).map(|i| i.count)
        } else {
            crate::data::idx::read_labels(&tmp).map(|l| l.len())
        };
        let _ = std::fs::remove_file(&tmp);
        let count = checked.with_context(|| format!("{url} is not a valid IDX file"))?;
        write_atomic(&path, &bytes)?;
        println!("{name}: {count} records -> {}", path.display());
    }
    Ok(())
}
