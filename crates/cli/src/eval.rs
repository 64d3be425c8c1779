use anyhow::{Result, bail};
use flowdiff::data::DataSource;
use flowdiff::data::DataSpec;
use flowdiff::io::read_array;
use flowdiff::metrics::{REFERENCE_DRAWS, evaluate, reference_draws};
use flowdiff::rng::SeededRng;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Samples to evaluate (.npy or .csv; images: also a folder of PNGs, as `sample --out
    /// DIR/` writes them).
    #[arg(long)]
    samples: PathBuf,
    /// Reference for points: a built-in data set (fresh draws) or a .npy/.csv file.
    #[arg(long, required_unless_present = "reference")]
    data: Option<String>,
    /// Reference for images: an IDX image file (e.g. t10k-images-idx3-ubyte.gz) or a folder
    /// of pictures (e.g. cifar10/test); switches to the image metrics (FID in the classifier's
    /// feature space, IS analogue, coverage).
    #[arg(long = "ref")]
    reference: Option<PathBuf>,
    /// Images: the classes the samples were asked for — `per-class` (class-major equal
    /// blocks, as `flowdiff sample --per-class` writes them) or one class K; prints how often
    /// the classifier agrees.
    #[arg(long)]
    expect_classes: Option<String>,
    /// The classifier of the image metrics (from `flowdiff classifier train`).
    #[arg(long, default_value = "classifier.safetensors")]
    classifier: PathBuf,
    /// Seed of the fresh reference draws.
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Molecules (`--data qm9`): directory of the QM9 files (default data/qm9).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.data.as_deref() == Some("qm9") {
        return super::molecules::eval(&a.samples, a.data_dir.as_deref(), a.json);
    }
    if let Some(reference) = &a.reference {
        return run_images(&a, reference);
    }
    let samples = read_array(&a.samples)?;
    samples.check_samples(2, &a.samples.display().to_string())?;
    let data = a.data.clone().unwrap_or_default();
    let source = DataSpec::parse(&data)?.open()?;
    if source.dim() != samples.cols {
        bail!(
            "{} has {} columns but --data {} has dimension {}",
            a.samples.display(),
            samples.cols,
            data,
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
        report.n, data, a.seed
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

/// Samples for the image metrics: `[N, c·h·w]` channel-major in [0, 1], from a folder of
/// PNGs or an array (`[N, H, W]` grey, `[N, H, W, C]` colour as `sample` writes them).
fn image_samples(path: &std::path::Path, shape: [usize; 3]) -> Result<flowdiff::io::Array2> {
    let d: usize = shape.iter().product();
    if path.is_dir() {
        let set = flowdiff::data::folder::read_folder(&flowdiff::data::folder::FolderSpec {
            dir: path,
            size: None,
            flip: false,
        })?;
        if set.shape != shape {
            bail!(
                "{}: pictures of {:?}, the classifier takes {:?}",
                path.display(),
                set.shape,
                shape
            );
        }
        let px = flowdiff::data::images::to_unit(&set.values());
        return Ok(flowdiff::io::Array2::new(px, set.len(), d));
    }
    let mut samples = read_array(path)?;
    samples.check_samples(2, &path.display().to_string())?;
    if samples.cols != d {
        bail!(
            "{}: the classifier takes pictures of {:?} ({d} values), found rows of {}",
            path.display(),
            shape,
            samples.cols
        );
    }
    if shape[0] > 1 {
        samples.values = flowdiff::data::images::to_channels_major(&samples.values, shape);
    }
    Ok(samples)
}

/// Image mode: samples in [0, 1] against a reference (MNIST's IDX file or a folder of
/// pictures), with as many real training images as the floor.
fn run_images(a: &Args, reference: &std::path::Path) -> Result<()> {
    let (clf, _) = flowdiff::image_score::classify::load_classifier(
        &a.classifier,
        &flowdiff::device::default(),
    )?;
    let samples = image_samples(&a.samples, clf.shape())?;
    let scorer = flowdiff::image_score::ImageScorer::load(
        &a.classifier,
        reference,
        samples.rows,
        a.seed,
        &a.dev.get()?,
    )?;
    let k = scorer.classes_count();
    let r = scorer.score(&samples.values);
    let agreement = match a.expect_classes.as_deref() {
        None => None,
        Some(spec) => {
            let expected: Vec<usize> = match spec {
                "per-class" => (0..samples.rows).map(|i| i * k / samples.rows).collect(),
                c => vec![
                    c.parse::<usize>().ok().filter(|c| *c < k).ok_or_else(
                        || anyhow::anyhow!(
                            "--expect-classes {c:?}: expected per-class or a class 0-{}",
                            k - 1
                        )
                    )?;
                    samples.rows
                ],
            };
            let predicted = scorer.classes(&samples.values);
            let hits = expected
                .iter()
                .zip(&predicted)
                .filter(|(e, p)| e == p)
                .count();
            Some(hits as f64 / samples.rows as f64)
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&(r, agreement))?);
        return Ok(());
    }
    println!(
        "{} samples vs {} ({} images); floor: {} real training images",
        r.n,
        reference.display(),
        scorer.reference_count,
        scorer.floor_count
    );
    if let Some(g) = agreement {
        println!(
            "classifier agrees with the asked class on {:.1}% of samples",
            100.0 * g
        );
    }
    println!(
        "FID (classifier features) {:.3}   floor {:.3}   ratio {:.2}x",
        r.fid,
        r.fid_floor,
        r.fid / r.fid_floor.max(1e-12)
    );
    println!(
        "Inception-score analogue   {:.3}   real {:.3}",
        r.inception_score, r.inception_score_real
    );
    println!(
        "classes covered (>= half their share of samples): {}/{k}; histogram {:?}",
        r.classes_covered,
        r.class_histogram
            .iter()
            .map(|h| (h * 1000.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    Ok(())
}
