use anyhow::Result;
use flowdiff::data::images::ImageSet;
use flowdiff::image_score::train_classifier;
use flowdiff::train::checkpoint::save_weights;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Train the MNIST classifier used by the image metrics; prints its test accuracy.
    Train(TrainArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Directory of the MNIST IDX files.
    #[arg(long, default_value = "data/mnist")]
    data_dir: PathBuf,
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
            let train = ImageSet::mnist(&a.data_dir, true)?;
            let test = ImageSet::mnist(&a.data_dir, false)?;
            println!(
                "training the classifier on {} digits for {} steps, seed {}",
                train.labels.len(),
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
            save_weights(&clf, &a.out)?;
            println!(
                "test accuracy {:.2}% on {} digits ({:.0}s); wrote {}",
                100.0 * acc,
                test.labels.len(),
                t.elapsed().as_secs_f64(),
                a.out.display()
            );
            Ok(())
        }
    }
}
