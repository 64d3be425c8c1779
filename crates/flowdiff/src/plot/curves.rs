//! Curves on a log-y axis with the legend beside the data area, and the moving average that
//! smooths noisy loss logs before they are drawn.

use super::ticks::{Axis, MeshStyle, draw_mesh};
use super::{draw_marker, register_fonts, render, series_style, text_width};
use crate::error::{Result, err};
use plotters::prelude::*;
use std::path::Path;

/// Width in pixels of the data area (with its tick labels) of a [`curves`] picture; the legend
/// is drawn to the right of it.
pub const CURVES_CHART_WIDTH: u32 = 720;

/// Curves `(x, y)` on a log-y axis, one per named series (e.g. training loss per method), each
/// in its own colour and marker, with the legend to the right of the data area. An x axis of
/// whole numbers (steps, NFE) is labelled with whole numbers.
pub fn curves(
    path: &Path,
    caption: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> Result<()> {
    let ok =
        |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && p.1 > 0.0 && (!log_x || p.0 > 0.0);
    let pts = || series.iter().flat_map(|s| s.1.iter().filter(ok));
    let (x0, x1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (y0, y1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.1), b.max(p.1))
    });
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(err!("nothing to plot for {}", path.display()));
    }
    let integer = pts().all(|p| (p.0 - p.0.round()).abs() <= 1e-9 * p.0.abs().max(1.0));
    let xa = if log_x {
        Axis::log(x0, x1, integer)
    } else {
        Axis::linear(x0, x1, integer, true)
    };
    let ya = Axis::log(y0, y1, false);
    // The legend's width follows its longest name (fonts registered before the first use).
    register_fonts();
    let font: TextStyle = ("sans-serif", 13).into_font().color(&BLACK);
    let legend_w = {
        let mut buf = vec![0u8; 3];
        let probe = BitMapBackend::with_buffer(&mut buf, (1, 1)).into_drawing_area();
        series
            .iter()
            .map(|s| text_width(&probe, &s.0, &font))
            .max()
            .unwrap_or(0)
            .clamp(40, 360)
            + 56
    };
    render(path, (CURVES_CHART_WIDTH + legend_w, 460), |root| {
        let (top, body) = root.split_vertically(36);
        top.titled(caption, ("sans-serif", 20))
            .map_err(|e| err!("{e:?}"))?;
        let (main, legend) = body.split_horizontally(CURVES_CHART_WIDTH);
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .margin_top(6)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(xa.coord(), ya.coord())
            .map_err(|e| err!("{e:?}"))?;
        let mesh = MeshStyle {
            grid: (RGBColor(215, 215, 215), RGBColor(240, 240, 240)),
            fonts: (13, 15),
        };
        draw_mesh(&mut chart, (&xa, &ya), (x_label, y_label), mesh)?;
        let top_y = chart.backend_coord(&(xa.t(xa.lo), ya.t(ya.hi))).1;
        for (k, (name, pts)) in series.iter().enumerate() {
            let (c, m) = series_style(k);
            let line: Vec<(f64, f64)> = pts
                .iter()
                .filter(ok)
                .map(|p| (xa.t(p.0), ya.t(p.1)))
                .collect();
            chart
                .draw_series(LineSeries::new(line.iter().copied(), c.stroke_width(2)))
                .map_err(|e| err!("{e:?}"))?;
            // Markers on every point of a short series; on a long one (a loss log) about a
            // dozen, staggered between series so they do not sit on one another.
            let every = if line.len() > 30 { line.len() / 12 } else { 1 };
            let offset = if every > 1 {
                (k * every / series.len().max(1)) % every
            } else {
                0
            };
            for p in line.iter().skip(offset).step_by(every) {
                draw_marker(root, chart.backend_coord(p), m, 4, c)?;
            }
            // Legend entry, right of the data area.
            let base = legend.get_base_pixel();
            let y = top_y + 12 + 22 * k as i32;
            root.draw(&PathElement::new(
                vec![(base.0 + 8, y), (base.0 + 36, y)],
                c.stroke_width(2),
            ))
            .map_err(|e| err!("{e:?}"))?;
            draw_marker(root, (base.0 + 22, y), m, 4, c)?;
            root.draw(&Text::new(
                name.as_str(),
                (base.0 + 44, y - 8),
                font.clone(),
            ))
            .map_err(|e| err!("{e:?}"))?;
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
