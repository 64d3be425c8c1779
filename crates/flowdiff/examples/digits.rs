//! A class-conditional flow-matching U-Net on MNIST: train it briefly, then draw one row per
//! digit with classifier-free guidance into a PNG grid.
//!
//! `cargo run --release -p flowdiff --example digits -- MNIST_DIR [STEPS] [OUT.png]`
//! (`MNIST_DIR` holds the four IDX files; `flowdiff data --name mnist --download DIR` fetches them.)

use flowdiff::data::DataSpec;
use flowdiff::data::images::to_unit;
use flowdiff::grid::{self, Grid};
use flowdiff::method::Method;
use flowdiff::rng::SeededRng;
use flowdiff::sampling::SamplerSpec;
use flowdiff::solver::SolverKind;
use flowdiff::train::{TrainConfig, TrainOptions, fit};
use std::path::PathBuf;

fn main() -> flowdiff::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "data/mnist".into()));
    let steps: usize = args.next().map_or(Ok(300), |s| s.parse())?;
    let out = PathBuf::from(args.next().unwrap_or_else(|| "digits.png".into()));

    let mut cfg = TrainConfig::images(DataSpec::Mnist { dir }, Method::flow(), true);
    cfg.optim.steps = steps;
    let source = cfg.data.open()?;
    let trained = fit(
        &cfg,
        &source,
        TrainOptions {
            progress: true,
            ..Default::default()
        },
    )?;
    println!(
        "trained {steps} steps, final loss {:.4}",
        trained.outcome.final_loss
    );

    // Ten samples of each digit, guidance weight w = 0.5: (1 + w)·f(x, c) − w·f(x, ∅).
    let mut model = trained.model(&cfg);
    model.labels = Some((0..100).map(|i| i / 10).collect());
    model.guidance = 0.5;
    let sampler = SamplerSpec::ode(SolverKind::Midpoint)
        .with_nfe(20)
        .build(&cfg.method)?;
    let x = sampler
        .run(&cfg.method, &model, 100, &mut SeededRng::new(0), false)?
        .x;
    let images = to_unit(&flowdiff::device::to_vec(x));
    let labels = (0..10).map(|d| d.to_string()).collect();
    grid::write(
        &out,
        &Grid {
            images: &images,
            channels: 1,
            height: 28,
            width: 28,
            cols: 10,
            row_labels: Some(labels),
            caption: Some(format!("flow matching, {steps} steps, w = 0.5")),
            scale: 2,
        },
    )?;
    println!("wrote {}", out.display());
    Ok(())
}
