use anyhow::{Context, Result, bail};
use flowdiff::data::toy::Toy;
use flowdiff::io::{Array2, write_array, write_atomic};
use flowdiff::rng::SeededRng;
use std::path::{Path, PathBuf};

/// Where `--download` fetches MNIST from by default (the mirror torchvision uses).
pub const MNIST_URL: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/// Where `--download` fetches QM9 from by default: DeepChem's MoleculeNet copy
/// (`mol_id,smiles,A,B,C,mu,…`).
pub const QM9_URL: &str = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/qm9.csv";

/// The four MNIST files.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data set: moons, circles, eight-gaussians, checkerboard, swiss-roll, two-spirals,
    /// mnist or qm9 (with --download DIR).
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
    /// mnist: fetch the four IDX files into this directory; qm9: fetch the SMILES table.
    #[arg(long)]
    download: Option<PathBuf>,
    /// mnist: base URL of the four files (default: the torchvision mirror); qm9: URL of a
    /// CSV with a `smiles` column (default: DeepChem's qm9.csv).
    #[arg(long)]
    url: Option<String>,
    /// qm9: write this part of the fixed train/valid/test split as a `.smi` file (the SMILES as
    /// stored, then the QM9 index) to --out, e.g. the reference of `bench/rdkit_check.py`.
    #[arg(long, value_parser = ["train", "valid", "test"])]
    split: Option<String>,
    /// qm9 --split: directory of the QM9 SMILES table (default data/qm9).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if a.name == "mnist" {
        let Some(dir) = &a.download else {
            bail!("--name mnist: give --download DIR (or train with --data mnist --data-dir DIR)")
        };
        return download_mnist(a.url.as_deref().unwrap_or(MNIST_URL), dir);
    }
    if a.name == "qm9" {
        if let Some(part) = &a.split {
            let out = a.out.as_deref().context("--split needs --out FILE.smi")?;
            let dir = a
                .data_dir
                .clone()
                .unwrap_or_else(crate::molecules::default_dir);
            return write_qm9_split(&dir, part, out);
        }
        let Some(dir) = &a.download else {
            bail!(
                "--name qm9: give --download DIR (a directory for the SMILES table) or --split train|valid|test --out FILE.smi"
            )
        };
        return download_qm9(a.url.as_deref().unwrap_or(QM9_URL), dir);
    }
    let toy =
        str::parse::<Toy>(&a.name).map_err(|e| anyhow::anyhow!("--name: {e}, mnist, or qm9"))?;
    let out = a.out.context("--out is required")?;
    if a.n == 0 {
        bail!("--n must be positive");
    }
    // The points, and their text or binary image before it is written.
    flowdiff::memory::check(
        "--n",
        &format!("{} points", a.n),
        flowdiff::memory::floats(4.0 * a.n as f64),
    )?;
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
            flowdiff::data::idx::read_images(&tmp).map(|i| i.count)
        } else {
            flowdiff::data::idx::read_labels(&tmp).map(|l| l.len())
        };
        let _ = std::fs::remove_file(&tmp);
        let count = checked.with_context(|| format!("{url} is not a valid IDX file"))?;
        write_atomic(&path, &bytes)?;
        println!("{name}: {count} records -> {}", path.display());
    }
    Ok(())
}

/// Fetches a QM9 SMILES table (a CSV, plain or gzip, with a `smiles` column) from `url`,
/// checks that every row reads as a molecule, and saves it atomically as `dir/qm9.csv`
/// (`qm9.csv.gz` when gzip), where [`flowdiff::chem::qm9::load`] finds it.
pub fn download_qm9(url: &str, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bytes = ureq::get(url)
        .call()
        .and_then(|r| r.into_body().with_config().limit(200 << 20).read_to_vec())
        .with_context(|| {
            format!(
                "fetching {url} failed; without a network, put qm9_smiles.csv.gz (index,smiles) or qm9.csv (a CSV with a smiles column) into {} by hand",
                dir.display()
            )
        })?;
    let name = if bytes.starts_with(&[0x1f, 0x8b]) {
        "qm9.csv.gz"
    } else {
        "qm9.csv"
    };
    let tmp = dir.join(format!(".{name}.check{}", std::process::id()));
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    let checked = flowdiff::chem::qm9::load_file(&tmp);
    let _ = std::fs::remove_file(&tmp);
    let mols = checked.with_context(|| {
        format!("{url} does not read as a QM9 SMILES table (the reader takes Kekulé SMILES only)")
    })?;
    let path = dir.join(name);
    write_atomic(&path, &bytes)?;
    println!("{name}: {} molecules -> {}", mols.len(), path.display());
    Ok(())
}

/// Writes one part of QM9's fixed split ([`flowdiff::chem::qm9::split`]) as `SMILES index`
/// lines, atomically.
fn write_qm9_split(dir: &Path, part: &str, out: &Path) -> Result<()> {
    if out.extension().and_then(|e| e.to_str()) != Some("smi") {
        bail!("{}: --split writes a .smi file", out.display());
    }
    let mols = flowdiff::chem::qm9::load(dir)?;
    let split = flowdiff::chem::qm9::split(mols.len(), flowdiff::chem::qm9::SPLIT_SEED);
    let rows = match part {
        "train" => &split.train,
        "valid" => &split.valid,
        _ => &split.test,
    };
    let text: String = rows
        .iter()
        .map(|&i| format!("{} {}\n", mols[i].smiles, mols[i].index))
        .collect();
    write_atomic(out, text.as_bytes())?;
    println!(
        "{} molecules of the QM9 {part} split -> {}",
        rows.len(),
        out.display()
    );
    Ok(())
}
