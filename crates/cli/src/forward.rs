//! `flowdiff forward`: the picture of the forward (noising) process, in closed form
//! (Ho et al. 2020, eq. 4): one noise draw per sample, shown at several steps.

use anyhow::{Result, bail};
use flowdiff::data::DataSource;
use flowdiff::data::images::to_unit;
use flowdiff::data::{DataSpec, PointSource};
use flowdiff::diffusion::forward_snapshots;
use flowdiff::grid::{self, Grid};
use flowdiff::plot::{self, Panel};
use flowdiff::rng::SeededRng;
use flowdiff::schedule::{NoiseSchedule, ScheduleKind};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// mnist or a built-in 2-D set.
    #[arg(long, default_value = "moons")]
    data: String,
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// linear, cosine or sigmoid.
    #[arg(long, default_value = "linear")]
    schedule: String,
    /// Steps to show, comma separated (0..T-1).
    #[arg(long, value_delimiter = ',', default_value = "0,50,150,300,600,999")]
    steps: Vec<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output PNG.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let schedule = NoiseSchedule::new(
        str::parse::<ScheduleKind>(&a.schedule).map_err(|e| anyhow::anyhow!("--schedule: {e}"))?,
        1000,
    );
    if let Some(bad) = a.steps.iter().find(|s| **s >= schedule.len()) {
        bail!("--steps: {bad} is outside 0..{}", schedule.len() - 1);
    }
    let source = DataSpec::parse_with_dir(&a.data, a.data_dir.as_deref())?.open()?;
    flowdiff::plot::check_png(&a.out)?;
    draw(&source, &schedule, &a.steps, a.seed, &a.out)?;
    println!("wrote {} (seed {})", a.out.display(), a.seed);
    Ok(())
}

/// Draws the strip: image rows × steps for images, scatter panels for points.
pub fn draw(
    source: &PointSource,
    schedule: &NoiseSchedule,
    steps: &[usize],
    seed: u64,
    out: &Path,
) -> flowdiff::Result<()> {
    let mut rng = SeededRng::new(seed).fork("forward");
    let name = format!("{:?}", schedule.kind).to_lowercase();
    match source {
        PointSource::Images(set) => {
            let [c, h, w] = set.shape;
            let per = c * h * w;
            let rows = 4;
            let x0 = flowdiff::device::tensor2(
                source.sample(rows, &mut rng),
                rows,
                per,
                &flowdiff::device::default(),
            );
            let snaps: Vec<Vec<f32>> = forward_snapshots(schedule, x0, steps, &mut rng)
                .into_iter()
                .map(|(_, x)| to_unit(&flowdiff::device::to_vec(x)))
                .collect();
            let mut images = Vec::new();
            for r in 0..rows {
                for s in &snaps {
                    images.extend_from_slice(&s[r * per..(r + 1) * per]);
                }
            }
            let caption = format!(
                "q(x_t | x_0), {name} schedule, t = {}",
                steps
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            grid::write(
                out,
                &Grid {
                    images: &images,
                    channels: c,
                    height: h,
                    width: w,
                    cols: steps.len(),
                    row_labels: None,
                    caption: Some(caption),
                    scale: 3,
                },
            )
        }
        _ => {
            let x0 = flowdiff::device::tensor2(
                source.sample(2000, &mut rng),
                2000,
                source.dim(),
                &flowdiff::device::default(),
            );
            if source.dim() != 2 {
                return Err(flowdiff::Error::invalid(
                    "data",
                    format!(
                        "the forward picture of points needs 2-D data, got dimension {}",
                        source.dim()
                    ),
                ));
            }
            let snaps: Vec<(String, Vec<f32>)> = forward_snapshots(schedule, x0, steps, &mut rng)
                .into_iter()
                .map(|(i, x)| {
                    (
                        format!("step {i}, ᾱ = {:.3}", schedule.alpha_bars[i]),
                        flowdiff::device::to_vec(x),
                    )
                })
                .collect();
            let panels: Vec<Panel> = snaps
                .iter()
                .map(|(t, p)| Panel {
                    title: t.clone(),
                    points: p,
                })
                .collect();
            plot::scatter_panels(
                out,
                &format!("forward process q(x_t | x_0), {name} schedule"),
                &panels,
                steps.len(),
                (-4.0, 4.0),
            )
        }
    }
}
