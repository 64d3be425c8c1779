//! Pictures as PNG (plotters, bitmap backend, embedded DejaVu font): scatter panels (samples
//! beside data, diffusion beside flow, the forward-noising strip), trajectories from noise to
//! data, and loss curves. Each file is drawn under a temporary name and renamed into place.
//!
//! Every axis is labelled and carries labelled ticks (integers written as integers, log axes
//! with decade ticks and 2/5 subdivisions where the range is short); each series has its own
//! colour from the colour-blind-safe Okabe–Ito palette and its own marker shape; legends sit
//! beside or below the data area, never on it.
//!
//! Here: the palette, the markers and the drawing helpers every picture shares; `ticks` (axes,
//! their ticks and the mesh), `points` (scatter panels, trajectories) and `curves` (curves,
//! smoothing) draw on them.

mod curves;
mod points;
mod ticks;

pub use curves::{CURVES_CHART_WIDTH, curves, smooth};
pub use points::{Panel, bounds, scatter_panels, trajectories};
pub use ticks::{fmt_tick, linear_ticks, log_ticks};

use crate::error::{Context, Result, err};
use plotters::coord::Shift;
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

/// Refuses a picture path whose extension is not `.png` (this writes PNG bytes only).
pub fn check_png(path: &Path) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(()),
        _ => Err(crate::error::Error::invalid(
            "out",
            format!("{}: pictures are written as .png", path.display()),
        )),
    }
}

/// Draws with `draw` into `path` (PNG) via a temporary file.
fn render(path: &Path, size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<()> {
    check_png(path)?;
    register_fonts();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = crate::io::temp_beside(path, ".png")?;
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

#[cfg(test)]
mod tests;
