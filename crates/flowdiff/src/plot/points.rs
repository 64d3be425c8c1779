//! Point pictures: scatter panels side by side and trajectories from noise to data, on a
//! square window from [`bounds`].

use super::ticks::{Axis, MeshStyle, draw_mesh};
use super::{Marker, PALETTE, draw_marker, render, text_width};
use crate::error::{Result, err};
use plotters::prelude::*;
use std::path::Path;

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

/// The light mesh of a point picture, its axis names in font size `desc`.
fn points_mesh(desc: i32) -> MeshStyle {
    MeshStyle {
        grid: (RGBColor(225, 225, 225), RGBColor(243, 243, 243)),
        fonts: (12, desc),
    }
}

/// One scatter panel: a title and row-major 2-D points.
pub struct Panel<'a> {
    pub title: String,
    pub points: &'a [f32],
}

/// Panels side by side (`cols` per row), all on the window `range`, under a caption; each
/// panel in its own palette colour, both axes labelled (x₁, x₂) with ticks.
pub fn scatter_panels(
    path: &Path,
    caption: &str,
    panels: &[Panel],
    cols: usize,
    range: (f64, f64),
) -> Result<()> {
    let cols = cols.max(1).min(panels.len().max(1));
    let rows = panels.len().div_ceil(cols);
    let size = (330 * cols as u32, 350 * rows as u32 + 40);
    let axis = Axis::linear(range.0, range.1, false, false);
    render(path, size, |root| {
        let (top, body) = root.split_vertically(40);
        top.titled(caption, ("sans-serif", 22))
            .map_err(|e| err!("{e:?}"))?;
        for (k, (area, panel)) in body
            .split_evenly((rows, cols))
            .iter()
            .zip(panels)
            .enumerate()
        {
            let color = PALETTE[k % PALETTE.len()];
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(38)
                .y_label_area_size(46)
                .build_cartesian_2d(axis.coord(), axis.coord())
                .map_err(|e| err!("{e:?}"))?;
            draw_mesh(&mut chart, (&axis, &axis), ("x₁", "x₂"), points_mesh(13))?;
            chart
                .draw_series(
                    panel.points.chunks(2).map(|p| {
                        Circle::new((p[0] as f64, p[1] as f64), 1, color.mix(0.35).filled())
                    }),
                )
                .map_err(|e| err!("{e:?}"))?;
        }
        Ok(())
    })
}

/// Trajectories from noise (tau = 0) to data (tau = 1): the paths of the first `paths` points
/// as lines over the final samples, with start points in grey; a legend below the chart.
pub fn trajectories(
    path: &Path,
    caption: &str,
    traj: &[(f64, Vec<f32>)],
    paths: usize,
    range: (f64, f64),
) -> Result<()> {
    let axis = Axis::linear(range.0, range.1, false, false);
    let (samples, lines, starts) = (
        PALETTE[0].mix(0.35),
        PALETTE[1].mix(0.5),
        RGBColor(110, 110, 110),
    );
    render(path, (640, 710), |root| {
        let (main, legend) = root.split_vertically(676);
        let mut chart = ChartBuilder::on(&main)
            .caption(caption, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(axis.coord(), axis.coord())
            .map_err(|e| err!("{e:?}"))?;
        draw_mesh(&mut chart, (&axis, &axis), ("x₁", "x₂"), points_mesh(14))?;
        // Legend, below the chart.
        let font: TextStyle = ("sans-serif", 13).into_font().color(&BLACK);
        let y = 14;
        let mut x = 60;
        let entries: [(&str, u8); 3] = [
            ("samples at τ = 1", 0),
            ("paths from noise to data", 1),
            ("starting points at τ = 0 (noise)", 2),
        ];
        let base = legend.get_base_pixel();
        for (text, kind) in entries {
            let c = (base.0 + x, base.1 + y);
            match kind {
                0 => legend
                    .draw(&Circle::new((x, y), 4, samples.filled()))
                    .map_err(|e| err!("{e:?}"))?,
                1 => legend
                    .draw(&PathElement::new(
                        vec![(x - 8, y), (x + 8, y)],
                        lines.stroke_width(2),
                    ))
                    .map_err(|e| err!("{e:?}"))?,
                _ => draw_marker(root, c, Marker::Circle, 3, starts)?,
            }
            legend
                .draw(&Text::new(text, (x + 14, y - 7), font.clone()))
                .map_err(|e| err!("{e:?}"))?;
            x += 14 + text_width(root, text, &font) as i32 + 30;
        }
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
                    .map(|p| Circle::new(p, 1, samples.filled())),
            )
            .map_err(|e| err!("{e:?}"))?;
        let n = (first.1.len() / 2).min(paths);
        for i in 0..n {
            let line: Vec<(f64, f64)> = traj
                .iter()
                .map(|(_, x)| (x[2 * i] as f64, x[2 * i + 1] as f64))
                .collect();
            chart
                .draw_series(LineSeries::new(line, lines))
                .map_err(|e| err!("{e:?}"))?;
            let (x, y) = (first.1[2 * i] as f64, first.1[2 * i + 1] as f64);
            chart
                .draw_series([Circle::new((x, y), 2, starts.filled())])
                .map_err(|e| err!("{e:?}"))?;
        }
        Ok(())
    })
}
