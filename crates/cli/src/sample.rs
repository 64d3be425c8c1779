use anyhow::{Result, bail};
use flowdiff::data::images::to_unit;
use flowdiff::diffusion::Variance;
use flowdiff::grid;
use flowdiff::hybrid::Head;
use flowdiff::io::{Array2, write_array, write_npy};
use flowdiff::rng::SeededRng;
use flowdiff::sampling::{SamplerKind, SamplerSpec};
use flowdiff::solver::SolverKind;
use flowdiff::train::{RunDir, RunKind};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Run directory written by `flowdiff train`.
    #[arg(long)]
    run: PathBuf,
    #[arg(long, default_value_t = 5000)]
    n: usize,
    /// The sampler (ddpm and ddim suit diffusion only; default: ddpm for diffusion, ode for
    /// flow).
    #[arg(long)]
    sampler: Option<SamplerKind>,
    /// ODE solver for --sampler ode: euler, midpoint, heun, rk4 (fixed grid, use --nfe),
    /// bosh3, dopri5, tsit5 (adaptive, use --rtol/--atol).
    #[arg(long)]
    solver: Option<SolverKind>,
    /// DDPM reverse variance: small (posterior, beta-tilde) or large (beta).
    #[arg(long, default_value = "small")]
    variance: Variance,
    /// Molecules: sampler steps (default: the run's `sample_steps`).
    #[arg(long)]
    steps: Option<usize>,
    /// Molecules, flow with the mask prior: re-masking noise η of the CTMC (0 = none;
    /// default 5, which raised validity from 86% to 90% on our QM9 run).
    #[arg(long)]
    noise: Option<f64>,
    /// Molecules, flow: where the steps fall (DeFoG's sample-time distortion, Qin et al. 2025):
    /// identity, polydec (steps shrink towards the data; the default for flow), polyinc, cos,
    /// revcos.
    #[arg(long)]
    time_distortion: Option<String>,
    /// Molecules, flow: DeFoG's target guidance ω (Qin et al. 2025; default 0): each
    /// component jumps sooner to the denoiser's prediction. ω = 1 raised QM9 validity from
    /// 98.8% to 99.3% at 500 steps, novelty falling from 40% to 30% (docs/results.md).
    #[arg(long)]
    target_guidance: Option<f64>,
    /// Number of function evaluations (fixed-step solvers, DDPM/DDIM steps).
    #[arg(long)]
    nfe: Option<usize>,
    /// Stochasticity: DDIM's η (default 0, deterministic) or euler-ancestral's (default 1).
    #[arg(long)]
    eta: Option<f64>,
    #[arg(long, default_value_t = 1e-5)]
    rtol: f64,
    #[arg(long, default_value_t = 1e-5)]
    atol: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (.npy or .csv).
    #[arg(long)]
    out: PathBuf,
    /// Also draw the trajectories from noise to data into this PNG (a strip for images).
    #[arg(long)]
    trajectory: Option<PathBuf>,
    /// Class-conditional models: generate this class for every sample.
    #[arg(long, conflicts_with = "per_class")]
    label: Option<i64>,
    /// Class-conditional models: generate the classes in turn (class-major rows).
    #[arg(long)]
    per_class: bool,
    /// Classifier-free guidance weight w: (1 + w)·cond − w·uncond.
    #[arg(long, default_value_t = 0.0)]
    guidance: f64,
    /// Apply the guidance only for flow times in LO,HI (0 = noise, 1 = data; Kynkäänniemi
    /// et al. 2024), e.g. 0.16,0.78 (EDM's σ in (0.28, 5.42] on the cond-OT path).
    #[arg(long)]
    guidance_interval: Option<String>,
    /// Hybrid runs: sample with the noise head, the velocity head, or their mean.
    #[arg(long)]
    head: Option<Head>,
    /// Images: also write each sample as its own PNG into this directory.
    #[arg(long)]
    single_pngs: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    if RunDir(a.run.clone()).kind()? == RunKind::Graphs {
        let flags = super::molecules::MoleculeSampling {
            steps: a.steps.or(a.nfe),
            noise: a.noise,
            guidance: a.target_guidance,
            distortion: a.time_distortion,
        };
        return super::molecules::sample(&a.run, a.n, flags, a.seed, &a.out, &a.dev.get()?);
    }
    if a.time_distortion.is_some() {
        bail!("--time-distortion applies to molecule runs of discrete flow matching");
    }
    if a.target_guidance.is_some() {
        bail!("--target-guidance applies to molecule runs of discrete flow matching");
    }
    let device = a.dev.get()?;
    let (cfg, mut model) = RunDir(a.run.clone()).load_model(&device)?;
    check_outputs(&a, cfg.model.image_shape().is_some())?;
    let sampler = SamplerSpec {
        kind: a.sampler,
        solver: a.solver,
        nfe: a.nfe,
        eta: a.eta,
        rtol: a.rtol,
        atol: a.atol,
        variance: a.variance,
    }
    .build(&cfg.method)?;
    if a.n == 0 {
        bail!("--n must be positive");
    }
    // The samples and their update, and the network's forward pass over all of them.
    flowdiff::memory::check(
        "--n",
        &format!("sampling {} at once", a.n),
        cfg.model.min_inference_bytes(a.n)
            + flowdiff::memory::floats(2.0 * a.n as f64 * cfg.model.dim() as f64),
    )?;
    let classes = cfg.model.num_classes();
    if !a.guidance.is_finite() {
        bail!("--guidance must be a finite number, got {}", a.guidance);
    }
    let interval = a
        .guidance_interval
        .as_deref()
        .map(parse_interval)
        .transpose()?;
    if (a.label.is_some() || a.per_class || a.guidance != 0.0) && classes.is_none() {
        bail!(
            "--label/--per-class/--guidance need a class-conditional run (train with --conditional)"
        );
    }
    if let (Some(k), Some(l)) = (classes, a.label) {
        if l < 0 || l as usize >= k {
            bail!("--label {l}: this model has classes 0..{}", k - 1);
        }
        model.labels = Some(vec![l; a.n]);
    }
    if let (Some(k), true) = (classes, a.per_class) {
        model.labels = Some((0..a.n).map(|i| (i * k / a.n) as i64).collect());
    }
    model.guidance = a.guidance;
    if a.guidance_interval.is_some() && a.guidance == 0.0 {
        bail!("--guidance-interval needs a --guidance weight");
    }
    model.guidance_interval = interval;
    match (&mut model.hybrid, &a.head) {
        (Some((head, _)), Some(chosen)) => *head = *chosen,
        (None, Some(_)) => bail!("--head applies to hybrid runs (train with --method hybrid)"),
        _ => {}
    }
    println!(
        "sampling {} from {} ({}) with {}, seed {}",
        a.n,
        a.run.display(),
        cfg.method.name(),
        sampler.label(),
        a.seed
    );
    let timer = std::time::Instant::now();
    let sol = sampler.run(
        &cfg.method,
        &model,
        a.n,
        &mut SeededRng::new(a.seed),
        a.trajectory.is_some(),
    )?;
    let secs = timer.elapsed().as_secs_f64();
    let d = cfg.model.dim();
    let x = flowdiff::device::to_vec(sol.x);
    match cfg.model.image_shape() {
        None => write_array(&a.out, &Array2::new(x.clone(), a.n, d))?,
        Some(shape) => write_images(&a, &x, shape, model.labels.as_deref(), &sampler.label())?,
    }
    println!("NFE {} in {secs:.2}s; wrote {}", sol.nfe, a.out.display());
    if let Some(p) = &a.trajectory {
        let traj: Vec<(f64, Vec<f32>)> = sol
            .trajectory
            .into_iter()
            .map(|(t, x)| (t, flowdiff::device::to_vec(x)))
            .collect();
        match cfg.model.image_shape() {
            None => flowdiff::plot::trajectories(
                p,
                &format!("{} trajectories ({})", cfg.method.name(), sampler.label()),
                &traj,
                60,
                flowdiff::plot::bounds(&x),
            )?,
            Some(shape) => grid::trajectory_strip(
                p,
                &traj,
                shape,
                &format!("{}: noise to data ({})", cfg.method.name(), sampler.label()),
            )?,
        }
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// The lower-case extension of `path` ("" without one).
fn extension(path: &std::path::Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Refuses output paths this command cannot write, before any sampling.
fn check_outputs(a: &Args, images: bool) -> Result<()> {
    let ext = extension(&a.out);
    let (allowed, what): (&[&str], &str) = if images {
        (
            &["npy", "png", ""],
            ".npy ([N, H, W] grey or [N, H, W, C] colour, in [0, 1]), .png (a grid) or a directory (one PNG per image)",
        )
    } else {
        (&["npy", "csv"], ".npy or .csv")
    };
    if !allowed.contains(&ext.as_str()) {
        bail!("--out {}: samples are written as {what}", a.out.display());
    }
    if let Some(t) = &a.trajectory {
        if extension(t) != "png" {
            bail!(
                "--trajectory {}: trajectories are drawn as .png",
                t.display()
            );
        }
    }
    Ok(())
}

fn write_images(
    a: &Args,
    x: &[f32],
    shape: [usize; 3],
    labels: Option<&[i64]>,
    label: &str,
) -> Result<()> {
    let [c, h, w] = shape;
    let px = to_unit(x);
    let n = a.n;
    match extension(&a.out).as_str() {
        // A directory: one PNG per image, the layout pytorch-fid and clean-fid read.
        "" => write_pngs(&a.out, &px, shape)?,
        "npy" if c == 1 => write_npy(&a.out, &px, &[n as u64, h as u64, w as u64])?,
        "npy" => write_npy(
            &a.out,
            &flowdiff::data::images::to_channels_last(&px, shape),
            &[n as u64, h as u64, w as u64, c as u64],
        )?,
        "png" => {
            let cols = if a.per_class {
                n.div_ceil(10).max(1)
            } else {
                (n as f64).sqrt().ceil() as usize
            };
            let row_labels = labels
                .filter(|_| a.per_class)
                .map(|l| l.iter().step_by(cols).map(|c| c.to_string()).collect());
            grid::write(
                &a.out,
                &grid::Grid {
                    images: &px,
                    channels: c,
                    height: h,
                    width: w,
                    cols,
                    row_labels,
                    caption: Some(label.to_string()),
                    scale: 2,
                },
            )?
        }
        other => bail!(
            "{}: images are written as .npy ([N, {h}, {w}{}] in [0, 1]) or .png (a grid), not .{other}",
            a.out.display(),
            if c == 1 {
                String::new()
            } else {
                format!(", {c}")
            }
        ),
    }
    if let Some(dir) = &a.single_pngs {
        write_pngs(dir, &px, shape)?;
    }
    Ok(())
}

/// Each image of `px` (in [0, 1]) as `dir/00000.png`, `00001.png`, … at its own size.
fn write_pngs(dir: &std::path::Path, px: &[f32], shape: [usize; 3]) -> Result<()> {
    let per = shape.iter().product::<usize>();
    for (i, img) in px.chunks(per).enumerate() {
        grid::write_picture(&dir.join(format!("{i:05}.png")), img, shape)?;
    }
    Ok(())
}

/// `LO,HI` with `0 ≤ LO < HI ≤ 1`.
fn parse_interval(s: &str) -> Result<[f64; 2]> {
    let parsed = s
        .split_once(',')
        .and_then(|(a, b)| Some([a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?]));
    match parsed {
        Some([lo, hi]) if (0.0..hi).contains(&lo) && hi <= 1.0 => Ok([lo, hi]),
        _ => bail!(
            "--guidance-interval {s:?}: expected LO,HI flow times with 0 ≤ LO < HI ≤ 1 (e.g. 0.16,0.78)"
        ),
    }
}
