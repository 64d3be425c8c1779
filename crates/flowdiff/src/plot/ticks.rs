//! Axes and their ticks: tick labels, nice linear and log tick positions, the [`Axis`] of a
//! chart with the plotters coordinate that draws exactly those ticks, and the grid and
//! labelled ticks drawn on a chart.

use crate::error::{Result, err};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

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
pub(super) fn nice_range(lo: f64, hi: f64, integer: bool) -> (f64, f64) {
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
pub(super) struct Axis {
    log: bool,
    pub(super) lo: f64,
    pub(super) hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Axis {
    /// A linear axis; `widen` extends the range to the nearest nice ticks.
    pub(super) fn linear(lo: f64, hi: f64, integer: bool, widen: bool) -> Axis {
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
    pub(super) fn log(lo: f64, hi: f64, integer: bool) -> Axis {
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
    pub(super) fn t(&self, v: f64) -> f64 {
        if self.log { v.log10() } else { v }
    }

    /// The tick label at chart coordinate `t`.
    pub(super) fn label(&self, t: f64) -> String {
        fmt_tick(if self.log { 10f64.powf(t) } else { t })
    }

    /// The chart coordinate: a linear map of the transformed values with our ticks.
    pub(super) fn coord(&self) -> Ticked {
        Ticked {
            lo: self.t(self.lo),
            hi: self.t(self.hi),
            major: self.major.iter().map(|v| self.t(*v)).collect(),
            minor: self.minor.iter().map(|v| self.t(*v)).collect(),
        }
    }
}

/// A linear plotters coordinate whose labelled (bold) and minor (light) key points are given.
pub(super) struct Ticked {
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

/// Grid and type of a chart's mesh: the colours of the labelled and the minor grid lines, and
/// the font sizes of the tick labels and of the axis names.
pub(super) struct MeshStyle {
    pub(super) grid: (RGBColor, RGBColor),
    pub(super) fonts: (i32, i32),
}

/// Draws the grid of `chart`, the labelled ticks of its axes `x` and `y` and their names
/// `desc` (x, y) in `style`.
pub(super) fn draw_mesh(
    chart: &mut ChartContext<'_, BitMapBackend<'_>, Cartesian2d<Ticked, Ticked>>,
    (x, y): (&Axis, &Axis),
    desc: (&str, &str),
    style: MeshStyle,
) -> Result<()> {
    chart
        .configure_mesh()
        .bold_line_style(style.grid.0)
        .light_line_style(style.grid.1)
        .label_style(("sans-serif", style.fonts.0))
        .axis_desc_style(("sans-serif", style.fonts.1))
        .x_label_formatter(&|v| x.label(*v))
        .y_label_formatter(&|v| y.label(*v))
        .x_desc(desc.0)
        .y_desc(desc.1)
        .draw()
        .map_err(|e| err!("{e:?}"))
}
