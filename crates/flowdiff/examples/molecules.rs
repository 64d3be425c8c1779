//! Discrete flow matching on QM9 molecular graphs: train the graph transformer briefly, sample
//! molecules, and report how many are valid (connected, every atom within its valence).
//!
//! `cargo run --release -p flowdiff --example molecules -- QM9_DIR [STEPS] [OUT.smi]`
//! (`QM9_DIR` holds `qm9_smiles.csv.gz` or a `qm9.csv`; `flowdiff data --name qm9 --download DIR`.)

use flowdiff::discrete::DiscreteMethod;
use flowdiff::molecules::{
    Qm9Recipe, SamplerOptions, load_train, qm9_config, sample_graphs, to_molecules, write_molecules,
};
use flowdiff::train::{TrainOptions, graph};
use std::path::PathBuf;

fn main() -> flowdiff::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "data/qm9".into()));
    let steps: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let out = PathBuf::from(args.next().unwrap_or_else(|| "molecules.smi".into()));

    let data = load_train(&dir)?;
    let recipe = Qm9Recipe {
        method: DiscreteMethod::Flow,
        prior: None,
        steps: Some(steps),
        seed: Some(0),
        batch_size: Some(64),
        lr: None,
        width: None,
        depth: None,
    };
    let cfg = qm9_config(&recipe, &data.graphs, &dir)?;
    // Graph runs keep their checkpoints in a run directory; a temporary one here.
    let run =
        std::env::temp_dir().join(format!("flowdiff-example-molecules-{}", std::process::id()));
    let trained = graph::train(
        &cfg,
        &data.graphs,
        &run,
        TrainOptions::default(),
        0,
        &mut |_, _| Ok(()),
    )?;
    println!(
        "trained {steps} steps on {} molecules, final loss {:.3}",
        data.graphs.len(),
        trained.outcome.final_loss
    );

    let device = flowdiff::device::default();
    let graphs = sample_graphs(
        &cfg,
        &trained.net,
        100,
        SamplerOptions::plain(100),
        0,
        false,
        &device,
    )?;
    let smiles = write_molecules(&to_molecules(&graphs)?, &out)?;
    let valid = smiles.iter().flatten().count();
    println!(
        "{valid} of {} sampled molecules are valid; wrote {}",
        smiles.len(),
        out.display()
    );
    std::fs::remove_dir_all(&run).ok();
    Ok(())
}
