//! Pictures as PNG (plotters, bitmap backend, embedded DejaVu font): scatter panels (samples
//! beside data, diffusion beside flow, the forward-noising strip), trajectories from noise to
//! data, and loss curves. Each file is drawn under a temporary name and renamed into place.
//!
//! Every axis is labelled and carries labelled ticks (integers written as integers, log axes
//! with decade ticks and 2/5 subdivisions where the range is short); each series has its own
//! colour from the colour-blind-safe Okabe–Ito palette and its own marker shape; legends sit
//! beside or below the data area, never on it.

use crate::error::{Context, Result, err};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

/// Colours of panels and series, in order: the Okabe–Ito palette (colour-blind safe), ordered
/// so that the colours easiest to tell apart on white come first (yellow, the faintest, last).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// Marker shapes of series, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}

/// The marker shapes, in the order series get them.
pub const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Cross,
];

/// Colour and marker of series `k`: colours cycle through the 8 of [`PALETTE`] and markers
/// through the 6 of [`MARKERS`], so no two of the first 24 series share both.
pub fn series_style(k: usize) -> (RGBColor, Marker) {
    (PALETTE[k % PALETTE.len()], MARKERS[k % MARKERS.len()])
}

/// A tick label: integers as integers ("500", not "500.0"), other numbers with as few
/// decimals as they need ("0.05", "1.5"), very small or large ones in exponent form ("2e-5").
pub fn fmt_tick(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a < 1e-12 {
        return "0".into();
    }
    if a < 1e-3 || a >= 1e7 {
        for d in 0..=6 {
            let s = format!("{v:.d$e}");
            if s.parse::<f64>().is_ok_and(|p| (p - v).abs() <= 1e-9 * a) {
                return s;
            }
        }
        return format!("{v:e}");
    }
    if (v - v.round()).abs() <= 1e-9 * a.max(1.0) {
        return format!("{}", v.round() as i64);
    }
    for d in 1..=9 {
        let s = format!("{v:.d$}");
        if s.parse::<f64>().is_ok_and(|p| (p - v).abs() <= 1e-9 * a) {
            return s;
        }
    }
    format!("{v}")
}

/// A "nice" step (1, 2 or 5 × 10^k) giving closest to `target` intervals over `span`; at
/// least 1 on an integer axis.
fn nice_step(span: f64, target: usize, integer: bool) -> f64 {
    let raw = (span / target.max(1) as f64).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    let count = |s: f64| (span / s - target as f64).abs();
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .min_by(|a, b| count(*a).total_cmp(&count(*b)))
        .unwrap_or(mag);
    if integer { step.max(1.0).round() } else { step }
}

/// Labelled ticks of a linear axis over `[lo, hi]`: multiples of a nice step, about six
/// intervals; integers only on an integer axis.
pub fn linear_ticks(lo: f64, hi: f64, integer: bool) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let step = nice_step(hi - lo, 6, integer);
    let (i0, i1) = (
        (lo / step - 1e-9).ceil() as i64,
        (hi / step + 1e-9).floor() as i64,
    );
    (i0..=i1).map(|i| i as f64 * step).collect()
}

/// `[lo, hi]` widened to the nearest multiples of its nice tick step.
fn nice_range(lo: f64, hi: f64, integer: bool) -> (f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let step = nice_step(hi - lo, 6, integer);
    (
        (lo / step + 1e-9).floor() * step,
        (hi / step - 1e-9).ceil() * step,
    )
}

/// Ticks of a log axis over `[lo, hi]` (`lo > 0`): the labelled ones and the unlabelled minor
/// ones: the sparsest of decades, 1-2-5, 1-2-3-5 and finer subdivisions that labels at least
/// four ticks (else three; linear ticks on a very short range), at most nine.
/// On an integer axis only integers are labelled.
pub fn log_ticks(lo: f64, hi: f64, integer: bool) -> (Vec<f64>, Vec<f64>) {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return (vec![lo.max(f64::MIN_POSITIVE)], Vec::new());
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let at = |k: i32, m: f64| {
        if k >= 0 {
            m * 10f64.powi(k)
        } else {
            m / 10f64.powi(-k)
        }
    };
    let within = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let keep = |v: &f64| !integer || (*v >= 1.0 && (v - v.round()).abs() <= 1e-9 * v);
    let set = |ms: &[f64]| -> Vec<f64> {
        (k0..=k1)
            .flat_map(|k| ms.iter().map(move |&m| at(k, m)))
            .filter(within)
            .filter(keep)
            .collect()
    };
    let candidates: [&[f64]; 4] = [
        &[1.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 5.0],
        &[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0],
    ];
    let sets: Vec<Vec<f64>> = candidates.iter().map(|ms| set(ms)).collect();
    let pick = sets
        .iter()
        .find(|v| v.len() >= 4)
        .or_else(|| sets.iter().find(|v| v.len() >= 3))
        .cloned();
    let major = match pick {
        Some(v) if v.len() > 9 => {
            let every = v.len().div_ceil(8);
            v.into_iter().step_by(every).collect()
        }
        Some(v) => v,
        None => linear_ticks(lo, hi, integer),
    };
    let minor = if k1 - k0 <= 8 {
        set(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
            .into_iter()
            .filter(|v| !major.iter().any(|m| (m - v).abs() <= 1e-9 * v))
            .collect()
    } else {
        Vec::new()
    };
    (major, minor)
}

/// One axis of a chart: its data range, whether it is logarithmic, and its ticks. Charts are
/// built on the transformed values (log10 on a log axis), so one coordinate type serves both.
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Axis {
    /// A linear axis; `widen` extends the range to the nearest nice ticks.
    fn linear(lo: f64, hi: f64, integer: bool, widen: bool) -> Axis {
        let (lo, hi) = if widen {
            nice_range(lo, hi, integer)
        } else if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        let major = linear_ticks(lo, hi, integer);
        let step = match major.as_slice() {
            [a, b, ..] => b - a,
            _ => hi - lo,
        };
        // Minor grid lines halfway between labelled ticks.
        let minor = major
            .iter()
            .map(|m| m - step / 2.0)
            .chain(major.last().map(|m| m + step / 2.0))
            .filter(|v| *v > lo && *v < hi)
            .collect();
        Axis {
            log: false,
            lo,
            hi,
            major,
            minor,
        }
    }

    /// A log axis over the positive range `[lo, hi]`, padded by a few percent.
    fn log(lo: f64, hi: f64, integer: bool) -> Axis {
        let pad = (hi / lo).powf(0.05).max(1.05);
        let (lo, hi) = (lo / pad, hi * pad);
        let (major, minor) = log_ticks(lo, hi, integer);
        Axis {
            log: true,
            lo,
            hi,
            major,
            minor,
        }
    }

    /// The chart coordinate of a data value.
    fn t(&self, v: f64) -> f64 {
        if self.log { v.log10() } else { v }
    }

    /// The tick label at chart coordinate `t`.
    fn label(&self, t: f64) -> String {
        fmt_tick(if self.log { 10f64.powf(t) } else { t })
    }

    /// The chart coordinate: a linear map of the transformed values with our ticks.
    fn coord(&self) -> Ticked {
        Ticked {
            lo: self.t(self.lo),
            hi: self.t(self.hi),
            major: self.major.iter().map(|v| self.t(*v)).collect(),
            minor: self.minor.iter().map(|v| self.t(*v)).collect(),
        }
    }
}

/// A linear plotters coordinate whose labelled (bold) and minor (light) key points are given.
struct Ticked {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + ((limit.1 - limit.0) as f64 * f).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

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

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws with `draw` into `path` (PNG) via a temporary file.
fn render(path: &Path, size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<()> {
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
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err!("{e:?}"))?;
        draw(&root)?;
        root.present()
            .map_err(|e| err!("writing {}: {e:?}", path.display()))
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Draws marker `m` of radius `r` centred on pixel `c` of `area`.
fn draw_marker(area: &Area, c: (i32, i32), m: Marker, r: i32, color: RGBColor) -> Result<()> {
    let (x, y) = c;
    let fill = color.filled();
    let e = |e| err!("{e:?}");
    match m {
        Marker::Circle => area.draw(&Circle::new(c, r, fill)).map_err(e),
        Marker::Square => {
            let s = r - 1;
            area.draw(&Rectangle::new([(x - s, y - s), (x + s, y + s)], fill))
                .map_err(e)
        }
        Marker::TriangleUp => area
            .draw(&Polygon::new(
                vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
                fill,
            ))
            .map_err(e),
        Marker::TriangleDown => area
            .draw(&Polygon::new(
                vec![(x, y + r + 1), (x + r + 1, y - r), (x - r - 1, y - r)],
                fill,
            ))
            .map_err(e),
        Marker::Diamond => area
            .draw(&Polygon::new(
                vec![
                    (x, y - r - 1),
                    (x + r + 1, y),
                    (x, y + r + 1),
                    (x - r - 1, y),
                ],
                fill,
            ))
            .map_err(e),
        Marker::Cross => {
            let style = color.stroke_width(2);
            area.draw(&PathElement::new(
                vec![(x - r, y - r), (x + r, y + r)],
                style,
            ))
            .map_err(e)?;
            area.draw(&PathElement::new(
                vec![(x - r, y + r), (x + r, y - r)],
                style,
            ))
            .map_err(e)
        }
    }
}

/// The width in pixels of `text` in `font` on `area` (an estimate when the backend cannot say).
fn text_width(area: &Area, text: &str, font: &TextStyle) -> u32 {
    area.estimate_text_size(text, font)
        .map(|s| s.0)
        .unwrap_or(8 * text.chars().count() as u32)
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
            chart
                .configure_mesh()
                .bold_line_style(RGBColor(225, 225, 225))
                .light_line_style(RGBColor(243, 243, 243))
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 13))
                .x_label_formatter(&|v| axis.label(*v))
                .y_label_formatter(&|v| axis.label(*v))
                .x_desc("x₁")
                .y_desc("x₂")
                .draw()
                .map_err(|e| err!("{e:?}"))?;
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
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(RGBColor(243, 243, 243))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 14))
            .x_label_formatter(&|v| axis.label(*v))
            .y_label_formatter(&|v| axis.label(*v))
            .x_desc("x₁")
            .y_desc("x₂")
            .draw()
            .map_err(|e| err!("{e:?}"))?;
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
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .x_label_formatter(&|v| xa.label(*v))
            .y_label_formatter(&|v| ya.label(*v))
            .x_desc(x_label)
            .y_desc(y_label)
            .draw()
            .map_err(|e| err!("{e:?}"))?;
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

    #[test]
    fn tick_labels_write_integers_as_integers_and_decimals_compactly() {
        for (v, s) in [
            (500.0, "500"),
            (10f64.powf(500f64.log10()), "500"),
            (0.05, "0.05"),
            (10f64.powf(0.05f64.log10()), "0.05"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.3"),
            (1.5, "1.5"),
            (0.0, "0"),
            (-0.0, "0"),
            (-2.0, "-2"),
            (12000.0, "12000"),
            (2.5e-5, "2.5e-5"),
            (1e-4, "1e-4"),
        ] {
            assert_eq!(fmt_tick(v), s, "label of {v:e}");
        }
    }

    #[test]
    fn the_palette_is_okabe_ito_with_distinct_colours_and_markers() {
        for (i, a) in PALETTE.iter().enumerate() {
            for b in &PALETTE[i + 1..] {
                let d = (a.0 as i32 - b.0 as i32).abs()
                    + (a.1 as i32 - b.1 as i32).abs()
                    + (a.2 as i32 - b.2 as i32).abs();
                assert!(d > 60, "{a:?} and {b:?} are too alike");
            }
        }
        assert!(
            PALETTE.contains(&RGBColor(0, 114, 178)) && PALETTE.contains(&RGBColor(213, 94, 0))
        );
        for (i, m) in MARKERS.iter().enumerate() {
            assert!(!MARKERS[i + 1..].contains(m));
        }
        // No two of the first 24 series share both colour and marker; the first 6 share neither.
        for i in 0..24 {
            for j in i + 1..24 {
                assert_ne!(series_style(i), series_style(j), "series {i} and {j}");
                if j < 6 {
                    assert_ne!(series_style(i).0, series_style(j).0);
                    assert_ne!(series_style(i).1, series_style(j).1);
                }
            }
        }
    }

    fn labels(v: &[f64]) -> Vec<String> {
        v.iter().map(|x| fmt_tick(*x)).collect()
    }

    #[test]
    fn log_ticks_are_labelled_on_short_and_long_ranges() {
        // Under two decades: 1-2-5 subdivisions.
        let (major, minor) = log_ticks(0.01, 0.3, false);
        assert_eq!(labels(&major), ["0.01", "0.02", "0.05", "0.1", "0.2"]);
        assert!(labels(&minor).contains(&"0.03".to_string()));
        assert!(
            minor.iter().all(|m| !major.contains(m)),
            "minor ticks repeat labelled ones"
        );
        // A loss between 0.3 and 2.2 gets ticks below 1.
        assert_eq!(
            labels(&log_ticks(0.3, 2.2, false).0),
            ["0.3", "0.5", "1", "2"]
        );
        // Less than a decade: finer subdivisions.
        assert_eq!(
            labels(&log_ticks(1.05, 8.0, false).0),
            ["1.5", "2", "3", "4", "5", "6", "8"]
        );
        assert_eq!(
            labels(&log_ticks(0.9, 4.5, false).0),
            ["1", "1.5", "2", "3", "4"]
        );
        // Several decades: decades only.
        assert_eq!(
            labels(&log_ticks(1e-4, 1.5, false).0),
            ["1e-4", "0.001", "0.01", "0.1", "1"]
        );
        // A very short range falls back to linear ticks.
        assert_eq!(
            labels(&log_ticks(1.1, 1.3, false).0),
            ["1.1", "1.15", "1.2", "1.25", "1.3"]
        );
        // An NFE axis: whole numbers only.
        assert_eq!(
            labels(&log_ticks(3.6, 55.0, true).0),
            ["5", "10", "20", "50"]
        );
        assert!(log_ticks(0.5, 3.0, true).0.iter().all(|v| v.fract() == 0.0));
    }

    #[test]
    fn linear_ticks_are_nice_and_whole_on_integer_axes() {
        assert_eq!(
            labels(&linear_ticks(1.0, 300.0, true)),
            ["50", "100", "150", "200", "250", "300"]
        );
        assert_eq!(
            labels(&linear_ticks(-1.2, 1.3, false)),
            ["-1", "-0.5", "0", "0.5", "1"]
        );
        assert_eq!(labels(&linear_ticks(0.0, 3.0, true)), ["0", "1", "2", "3"]);
        assert_eq!(nice_range(25.0, 275.0, true), (0.0, 300.0));
    }

    #[test]
    fn the_legend_sits_right_of_the_data_area() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("c.png");
        let series: Vec<(String, Vec<(f64, f64)>)> = (0..3)
            .map(|k| {
                (
                    format!("series {k}"),
                    (1..=50)
                        .map(|i| (i as f64, (k + 1) as f64 / i as f64))
                        .collect(),
                )
            })
            .collect();
        curves(&c, "three", "NFE", "ratio", &series, true).unwrap();
        let img = image::open(&c).unwrap().to_rgb8();
        assert!(
            img.width() > CURVES_CHART_WIDTH + 60,
            "no room for a legend"
        );
        let count = |color: RGBColor, right: bool| {
            img.enumerate_pixels()
                .filter(|(x, _, p)| {
                    (*x >= CURVES_CHART_WIDTH) == right && p.0 == [color.0, color.1, color.2]
                })
                .count()
        };
        for k in 0..3 {
            let (color, _) = series_style(k);
            assert!(
                count(color, true) > 20,
                "series {k} missing from the legend"
            );
            assert!(
                count(color, false) > 100,
                "series {k} missing from the chart"
            );
        }
    }
}
