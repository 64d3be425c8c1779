use anyhow::{Result, bail};
use flowdiff::data::folder::{FolderSpec, read_folder};
use flowdiff::data::images::ImageSet;
use flowdiff::image_score::classify::{ClassifierInfo, save_classifier};
use flowdiff::image_score::train_classifier;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Train the classifier used by the image metrics (MNIST, or a labelled folder of
    /// pictures); prints its test accuracy.
    Train(TrainArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// `mnist` (IDX files in --data-dir) or `images` (one sub-folder per class in --data-dir).
    #[arg(long, default_value = "mnist")]
    data: String,
    /// Directory of the MNIST IDX files, or the training pictures.
    #[arg(long, default_value = "data/mnist")]
    data_dir: PathBuf,
    /// Images: the test pictures (default: the `test` folder beside --data-dir).
    #[arg(long)]
    test_dir: Option<PathBuf>,
    /// Images: resize and centre-crop to S×S (as `train --image-size`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    image_size: Option<u64>,
    #[arg(long, default_value_t = 3000)]
    steps: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output weights (safetensors).
    #[arg(long, default_value = "classifier.safetensors")]
    out: PathBuf,
    #[arg(long)]
    quiet: bool,
}

pub fn run(c: Command) -> Result<()> {
    match c {
        Command::Train(a) => {
            let (train, test, info) = data(&a)?;
            println!(
                "training the classifier on {} pictures of {:?} in {} classes for {} steps, seed {}",
                train.len(),
                train.shape,
                train.classes.len(),
                a.steps,
                a.seed
            );
            let t = std::time::Instant::now();
            let (clf, acc) = train_classifier(
                &train,
                &test,
                a.steps,
                a.batch_size,
                a.seed,
                !a.quiet,
                &a.dev.get()?,
            )?;
            save_classifier(&clf, &info, &a.out)?;
            println!(
                "test accuracy {:.2}% on {} pictures ({:.0}s); wrote {} and {}",
                100.0 * acc,
                test.labels.len(),
                t.elapsed().as_secs_f64(),
                a.out.display(),
                ClassifierInfo::path(&a.out).display()
            );
            Ok(())
        }
    }
}

/// The training and test sets of `a`, and the description saved with the classifier.
fn data(a: &TrainArgs) -> Result<(ImageSet, ImageSet, ClassifierInfo)> {
    match a.data.as_str() {
        "mnist" => {
            if a.test_dir.is_some() || a.image_size.is_some() {
                bail!("--test-dir and --image-size are for --data images");
            }
            let train = ImageSet::mnist(&a.data_dir, true)?;
            let test = ImageSet::mnist(&a.data_dir, false)?;
            let info = ClassifierInfo {
                shape: train.shape,
                classes: train.classes.clone(),
                train: None,
                image_size: None,
            };
            Ok((train, test, info))
        }
        "images" => {
            let size = a.image_size.map(|s| s as usize);
            let test_dir = match &a.test_dir {
                Some(d) => d.clone(),
                None => a.data_dir.with_file_name("test"),
            };
            let read = |dir: &std::path::Path| {
                read_folder(&FolderSpec {
                    dir,
                    size,
                    flip: false,
                })
            };
            let mut train = read(&a.data_dir)?;
            // Mirrored pictures are as real as the originals: the augmentation a colour
            // classifier wants beside the shifts.
            train.flip = train.shape[0] == 3;
            let test = read(&test_dir)?;
            let info = ClassifierInfo {
                shape: train.shape,
                classes: train.classes.clone(),
                train: Some(std::path::absolute(&a.data_dir).unwrap_or(a.data_dir.clone())),
                image_size: size,
            };
            Ok((train, test, info))
        }
        other => bail!("--data {other:?}: expected mnist or images"),
    }
}
