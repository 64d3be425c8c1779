//! `train`, `sample` and `eval` for molecules (`--data qm9`): discrete diffusion and discrete
//! flow matching on QM9 heavy-atom graphs.

use anyhow::{Result, bail};
use flowdiff::discrete::{DenseGraph, DiscreteMethod, PriorKind, TimeDistortion};
use flowdiff::models::graph::GraphNet;
use flowdiff::molecules::{
    Qm9Recipe, SamplerOptions, load_train, qm9_config, sample_graphs, to_molecules, write_molecules,
};
use flowdiff::train::graph::{self as gtrain, GraphTrainConfig};
use flowdiff::train::{RunDir, TrainOptions};
use std::path::{Path, PathBuf};

/// What `flowdiff train --data qm9` was asked for.
pub struct TrainRequest {
    pub data_dir: Option<PathBuf>,
    pub method: String,
    pub prior: Option<String>,
    pub timesteps: usize,
    pub steps: Option<usize>,
    pub checkpoint_every: Option<usize>,
    pub minutes: Option<f64>,
    pub seed: Option<u64>,
    /// Data-parallel replicas (`--devices`).
    pub devices: Option<usize>,
    pub batch_size: Option<usize>,
    pub lr: Option<f64>,
    /// Graph transformer node width and number of layers.
    pub width: Option<usize>,
    pub depth: Option<usize>,
    pub out: PathBuf,
    pub resume: bool,
    pub quiet: bool,
    pub device: flowdiff::Device,
}

/// Default QM9 directory.
pub fn default_dir() -> PathBuf {
    PathBuf::from("data/qm9")
}

fn new_config(r: &TrainRequest, train: &[DenseGraph], data_dir: &Path) -> Result<GraphTrainConfig> {
    let method = match r.method.as_str() {
        "diffusion" => DiscreteMethod::Diffusion {
            timesteps: r.timesteps,
        },
        "flow" => DiscreteMethod::Flow,
        other => bail!("--method {other:?}: molecules train with diffusion or flow"),
    };
    let recipe = Qm9Recipe {
        method,
        prior: r
            .prior
            .as_deref()
            .map(str::parse::<PriorKind>)
            .transpose()?,
        steps: r.steps,
        seed: r.seed,
        batch_size: r.batch_size,
        lr: r.lr,
        width: r.width,
        depth: r.depth,
    };
    Ok(qm9_config(&recipe, train, data_dir)?)
}

/// `flowdiff train --data qm9 ...`.
pub fn train(r: TrainRequest) -> Result<()> {
    let run = RunDir(r.out.clone());
    let config_file = gtrain::config_path(&r.out);
    let (mut cfg, data) = if r.resume {
        let mut cfg = gtrain::load_config(&r.out)?;
        if let Some(s) = r.steps {
            cfg.optim.steps = s;
        }
        let data = load_train(&cfg.data_dir)?;
        (cfg, data)
    } else {
        if config_file.exists() || run.config().exists() {
            if run.has_checkpoint()? {
                bail!(
                    "{} already holds a run; use --resume to continue it or choose another --out",
                    r.out.display()
                );
            }
            println!(
                "{} holds a run that stopped before its first checkpoint: starting it afresh",
                r.out.display()
            );
        }
        let dir = r.data_dir.clone().unwrap_or_else(default_dir);
        let data = load_train(&dir)?;
        let mut cfg = new_config(&r, &data.graphs, &dir)?;
        cfg.optim.devices = r.devices.unwrap_or(cfg.optim.devices);
        cfg.validate()?;
        (cfg, data)
    };
    if let Some(k) = r.checkpoint_every {
        cfg.optim.checkpoint_every = k;
    }
    if let Some(budget) = super::train::minutes_budget(r.minutes, r.resume, r.steps, |m| {
        Ok(gtrain::steps_for_minutes(&cfg, &data.graphs, m, &r.device))
    })? {
        budget.apply(&mut cfg.optim);
    }
    println!(
        "training {} ({:?} prior) on QM9 ({} training molecules) for {}, seed {} -> {}",
        cfg.method.display_name(),
        cfg.node_prior.kind,
        data.graphs.len(),
        super::train::length(&cfg.optim),
        cfg.optim.seed,
        r.out.display()
    );
    let opts = TrainOptions {
        device: r.device.clone(),
        resume: r.resume,
        progress: !r.quiet,
        stop_after: None,
        time_limit: None,
    };
    let every = (cfg.optim.steps / 5).max(500);
    let samples_dir = r.out.join("samples");
    let hook_cfg = cfg.clone();
    let hook_device = r.device.clone();
    let mut hook = |step: usize, ema: &GraphNet| -> flowdiff::Result<()> {
        let path = samples_dir.join(format!("step-{step:06}.png"));
        let opts = SamplerOptions {
            steps: 100,
            ..SamplerOptions::for_run(&hook_cfg)
        };
        let graphs = sample_graphs(
            &hook_cfg,
            ema,
            64,
            opts,
            hook_cfg.optim.seed,
            false,
            &hook_device,
        )?;
        let smiles = write_molecules(&to_molecules(&graphs)?, &path)?;
        let valid = smiles.iter().filter(|s| s.is_some()).count();
        println!(
            "step {step}: {valid}/64 valid (100 steps) -> {}",
            path.display()
        );
        Ok(())
    };
    let trained = gtrain::train(&cfg, &data.graphs, &r.out, opts, every, &mut hook)?;
    super::train::print_done(&trained.outcome, &run);
    Ok(flowdiff::report::write_run_page(&r.out, cfg.optim.seed)?)
}

/// The sampler flags of `flowdiff sample` for a molecule run; `None` takes the run's default.
pub struct MoleculeSampling {
    pub steps: Option<usize>,
    pub noise: Option<f64>,
    pub guidance: Option<f64>,
    pub distortion: Option<String>,
}

/// `flowdiff sample --run RUN` for a molecule run.
pub fn sample(
    run: &Path,
    n: usize,
    flags: MoleculeSampling,
    seed: u64,
    out: &Path,
    device: &flowdiff::Device,
) -> Result<()> {
    let MoleculeSampling {
        steps,
        noise,
        guidance,
        distortion,
    } = flags;
    flowdiff::molecules::generate::check_extension(out)?;
    if n == 0 {
        bail!("--n must be positive");
    }
    let (cfg, net) = gtrain::load_model(run, device)?;
    // The sampled graphs are kept until written: node and edge classes of each.
    let per_graph = (cfg.model.max_nodes * (cfg.model.max_nodes + 1)) as f64 * 8.0;
    flowdiff::memory::check("--n", &format!("{n} molecules"), n as f64 * per_graph)?;
    let run_default = SamplerOptions::for_run(&cfg);
    let opts = SamplerOptions {
        steps: steps.unwrap_or(run_default.steps),
        noise: noise.unwrap_or(run_default.noise),
        guidance: guidance.unwrap_or(run_default.guidance),
        distortion: match distortion {
            Some(name) => TimeDistortion::parse(&name)?,
            None => run_default.distortion,
        },
    };
    if opts.steps == 0 {
        bail!("--steps must be positive");
    }
    println!(
        "sampling {n} molecules from {} ({}) with {} steps ({} times), noise {}, target guidance {}, seed {seed}",
        run.display(),
        cfg.method.display_name(),
        opts.steps,
        opts.distortion.name(),
        opts.noise,
        opts.guidance,
    );
    let trained = flowdiff::train::checkpoint::load_state(&RunDir(run.into()).ckpt("state.json"))
        .map(|s| s.step)
        .unwrap_or(cfg.optim.steps);
    let timer = std::time::Instant::now();
    let graphs = sample_graphs(&cfg, &net, n, opts, seed, true, device)?;
    let secs = timer.elapsed().as_secs_f64();
    let mols = to_molecules(&graphs)?;
    let smiles = write_molecules(&mols, out)?;
    let valid: Vec<&String> = smiles.iter().flatten().collect();
    let unique: std::collections::HashSet<&String> = valid.iter().copied().collect();
    println!(
        "{n} graphs in {secs:.1}s: {} valid ({:.1}%), {} unique valid; wrote {}",
        valid.len(),
        100.0 * valid.len() as f64 / n as f64,
        unique.len(),
        out.display()
    );
    // The run's report: a grid of the first 64 and the full metrics against the training split.
    write_molecules(&mols[..n.min(64)], &run.join("samples.png"))?;
    match load_train(&cfg.data_dir) {
        Ok(train) => {
            let reference = flowdiff::chem::Reference::from_graphs(&train.molecules);
            let m = flowdiff::chem::evaluate_graphs(&mols, &reference);
            println!(
                "validity {:.1}%, uniqueness {:.1}%, novelty {:.1}% (trained {trained} steps, {} sampler steps)",
                100.0 * m.validity,
                100.0 * m.uniqueness,
                100.0 * m.novelty,
                opts.steps,
            );
            flowdiff::io::write_json(&run.join("metrics.json"), &m)?;
        }
        Err(e) => println!("(no metrics: the training data is not readable: {e:#})"),
    }
    Ok(flowdiff::report::write_run_page(run, seed)?)
}

/// `flowdiff eval --samples X.smi --data qm9`: validity, uniqueness, novelty against the
/// training split, and the atom-type, bond-type and size distributions against the data.
pub fn eval(samples: &Path, data_dir: Option<&Path>, json: bool) -> Result<()> {
    let text = std::fs::read_to_string(samples)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", samples.display()))?;
    // A `.smi` line is the SMILES, then optionally whitespace and a name (the standard layout).
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    if lines.is_empty() {
        bail!("{}: no SMILES lines", samples.display());
    }
    let dir = data_dir.map(Path::to_path_buf).unwrap_or_else(default_dir);
    let train = load_train(&dir)?;
    let reference = flowdiff::chem::Reference::from_graphs(&train.molecules);
    let m = flowdiff::chem::evaluate_smiles(&lines, &reference);
    if json {
        println!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(());
    }
    println!(
        "{} molecules vs the QM9 training split ({} molecules):",
        m.n,
        train.molecules.len()
    );
    println!(
        "validity    {:>6.1}%  ({} valid)",
        100.0 * m.validity,
        m.n_valid
    );
    println!(
        "uniqueness  {:>6.1}%  ({} unique of the valid)",
        100.0 * m.uniqueness,
        m.n_unique
    );
    println!(
        "novelty     {:>6.1}%  ({} not in the training split)",
        100.0 * m.novelty,
        m.n_novel
    );
    println!(
        "total variation to the data: atom types {:.3}, bond types {:.3}, atom counts {:.3}",
        m.atom_type_tv, m.bond_type_tv, m.atom_count_tv
    );
    Ok(())
}
