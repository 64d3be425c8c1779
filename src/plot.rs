//! Pictures as PNG (plotters, bitmap backend, embedded DejaVu font): scatter panels (samples
//! beside data, diffusion beside flow, the forward-noising strip), trajectories from noise to
//! data, and loss curves. Each file is drawn under a temporary name and renamed into place.

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

/// Colours of panels and series, in order.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// Registers the embedded DejaVu fonts with plotters (once).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Draws with `draw` into `path` (PNG) via a temporary file.
fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    register_fonts();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .context("plot path has no file name")?
        .to_string_lossy()
        .to_string();
    let tmp = dir.join(format!(".{name}.{}.tmp.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
        draw(&root)?;
        root.present()
            .map_err(|e| anyhow!("writing {}: {e:?}", path.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// A square window `(lo, hi)` holding the 0.5%–99.5% range of every coordinate, padded 10%.
pub fn bounds(points: &[f32]) -> (f64, f64) {
    let mut v: Vec<f64> = points
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| *x as f64)
        .collect();
    if v.is_empty() {
        return (-1.0, 1.0);
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
    let (lo, hi) = (q(0.005), q(0.995));
    let pad = 0.1 * (hi - lo).max(1e-6);
    (lo - pad, hi + pad)
}

/// One scatter panel: a title and row-major 2-D points.
pub struct Panel<'a> {
    pub title: String,
    pub points: &'a [f32],
}

/// Panels side by side (`cols` per row), all on the window `range`, under a caption.
pub fn scatter_panels(
    path: &Path,
    caption: &str,
    panels: &[Panel],
    cols: usize,
    range: (f64, f64),
) -> Result<()> {
    let cols = cols.max(1).min(panels.len().max(1));
    let rows = panels.len().div_ceil(cols);
    let size = (320 * cols as u32, 340 * rows as u32 + 40);
    render(path, size, |root| {
        let (top, body) = root.split_vertically(40);
        top.titled(caption, ("sans-serif", 22))
            .map_err(|e| anyhow!("{e:?}"))?;
        for (k, (area, panel)) in body
            .split_evenly((rows, cols))
            .iter()
            .zip(panels)
            .enumerate()
        {
            let color = PALETTE[k % PALETTE.len()];
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 16))
                .margin(8)
                .x_label_area_size(22)
                .y_label_area_size(30)
                .build_cartesian_2d(range.0..range.1, range.0..range.1)
                .map_err(|e| anyhow!("{e:?}"))?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .label_style(("sans-serif", 11))
                .draw()
                .map_err(|e| anyhow!("{e:?}"))?;
            chart
                .draw_series(
                    panel.points.chunks(2).map(|p| {
                        Circle::new((p[0] as f64, p[1] as f64), 1, color.mix(0.35).filled())
                    }),
                )
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        Ok(())
    })
}

/// Trajectories from noise (tau = 0) to data (tau = 1): the paths of the first `paths` points
/// as lines over the final samples, with start points in grey.
pub fn trajectories(
    path: &Path,
    caption: &str,
    traj: &[(f64, Vec<f32>)],
    paths: usize,
    range: (f64, f64),
) -> Result<()> {
    render(path, (640, 680), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(24)
            .y_label_area_size(34)
            .build_cartesian_2d(range.0..range.1, range.0..range.1)
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| anyhow!("{e:?}"))?;
        let (Some(first), Some(last)) = (traj.first(), traj.last()) else {
            return Ok(());
        };
        let pts = |v: &Vec<f32>| {
            v.chunks(2)
                .map(|p| (p[0] as f64, p[1] as f64))
                .collect::<Vec<_>>()
        };
        chart
            .draw_series(
                pts(&last.1)
                    .into_iter()
                    .map(|p| Circle::new(p, 1, PALETTE[0].mix(0.25).filled())),
            )
            .map_err(|e| anyhow!("{e:?}"))?;
        let n = (first.1.len() / 2).min(paths);
        for i in 0..n {
            let line: Vec<(f64, f64)> = traj
                .iter()
                .map(|(_, x)| (x[2 * i] as f64, x[2 * i + 1] as f64))
                .collect();
            chart
                .draw_series(LineSeries::new(line, PALETTE[1].mix(0.5)))
                .map_err(|e| anyhow!("{e:?}"))?;
            let (x, y) = (first.1[2 * i] as f64, first.1[2 * i + 1] as f64);
            chart
                .draw_series([Circle::new((x, y), 2, RGBColor(120, 120, 120).filled())])
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        Ok(())
    })
}

/// Curves `(x, y)` on a log-y axis, one per named series (e.g. training loss per method).
pub fn curves(
    path: &Path,
    caption: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> Result<()> {
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .filter(|y| *y > 0.0 && y.is_finite())
        .collect();
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (y0, y1) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(*y), b.max(*y))
        });
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(anyhow!("nothing to plot for {}", path.display()));
    }
    render(path, (720, 440), |root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60);
        let yr = ((y0 * 0.9)..(y1 * 1.1).max(y0)).log_scale();
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart.map_err(|e| anyhow!("{e:?}"))?;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .draw()
                    .map_err(|e| anyhow!("{e:?}"))?;
                for (k, (name, pts)) in series.iter().enumerate() {
                    let c = PALETTE[k % PALETTE.len()];
                    chart
                        .draw_series(LineSeries::new(
                            pts.iter().filter(|p| p.1 > 0.0).map(|p| (p.0, p.1)),
                            c.stroke_width(2),
                        ))
                        .map_err(|e| anyhow!("{e:?}"))?
                        .label(name.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| anyhow!("{e:?}"))?;
            }};
        }
        if log_x {
            finish!(builder.build_cartesian_2d((x0.max(1e-9)..x1.max(x0 * 1.01)).log_scale(), yr));
        } else {
            finish!(builder.build_cartesian_2d(x0..x1.max(x0 + 1e-9), yr));
        }
        Ok(())
    })
}

/// A moving average of `(x, y)` over `window` points (for noisy loss logs).
pub fn smooth(points: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let w = window.max(1);
    points
        .chunks(w)
        .map(|c| {
            (
                c[c.len() / 2].0,
                c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_png_with_ink(path: &Path) -> bool {
        let bytes = std::fs::read(path).unwrap();
        bytes.starts_with(b"\x89PNG") && bytes.len() > 2000
    }

    #[test]
    fn every_picture_is_a_real_png() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = crate::rng::SeededRng::new(1);
        let a = crate::data::toy::Toy::Moons.sample(500, &mut rng);
        let b = rng.normal_vec(1000);
        let p = dir.path().join("s.png");
        scatter_panels(
            &p,
            "moons",
            &[
                Panel {
                    title: "data".into(),
                    points: &a,
                },
                Panel {
                    title: "noise".into(),
                    points: &b,
                },
            ],
            2,
            bounds(&a),
        )
        .unwrap();
        assert!(is_png_with_ink(&p));
        let t = dir.path().join("t.png");
        trajectories(
            &t,
            "paths",
            &[(0.0, b.clone()), (0.5, a.clone()), (1.0, a.clone())],
            20,
            (-4.0, 4.0),
        )
        .unwrap();
        assert!(is_png_with_ink(&t));
        let c = dir.path().join("c.png");
        let s = vec![(
            "loss".to_string(),
            (1..100).map(|i| (i as f64, 1.0 / i as f64)).collect(),
        )];
        curves(&c, "loss", "step", "loss", &s, false).unwrap();
        curves(&c, "loss", "step", "loss", &s, true).unwrap();
        assert!(is_png_with_ink(&c));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no temporary files left"
        );
    }
}
