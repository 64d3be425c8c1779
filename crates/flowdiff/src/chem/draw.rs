//! Molecules as a PNG grid: each graph laid out by [`crate::chem::layout`], bonds as one,
//! two or three parallel lines, atoms as coloured discs (C dark grey, N blue, O red, F
//! green) with their element letter and charge sign, and the canonical SMILES beneath.

use super::canonical::canonical_smiles;
use super::graph::{Element, MolGraph};
use super::layout::layout_2d;
use crate::error::{Context, Result, bail, err};
use image::{ImageEncoder, RgbImage};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Pixel size of one cell's drawing area, and of the caption strip beneath it.
const CELL: u32 = 220;
const CAPTION: u32 = 22;
/// Longest bond drawn, in pixels (small molecules are not blown up).
const MAX_BOND_PX: f64 = 42.0;
const DISC: i32 = 10;

/// Draws `mols` in a grid of `cols` columns, each captioned with its canonical SMILES, to
/// `path` (PNG, written atomically).
pub fn draw_grid(mols: &[MolGraph], cols: usize, path: &Path) -> Result<()> {
    let captions: Vec<String> = mols.iter().map(caption).collect();
    draw_grid_with_captions(mols, Some(&captions), cols, path)
}

/// [`draw_grid`] with given captions (`None`: no caption strip).
pub fn draw_grid_with_captions(
    mols: &[MolGraph],
    captions: Option<&[String]>,
    cols: usize,
    path: &Path,
) -> Result<()> {
    let img = render_grid(mols, captions, cols)?;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ColorType::Rgb8,
        )
        .with_context(|| format!("encoding {}", path.display()))?;
    crate::io::write_atomic(path, &png)
}

fn caption(g: &MolGraph) -> String {
    if g.atoms.is_empty() {
        "(empty)".to_string()
    } else if g.check().is_err() {
        "(malformed)".to_string()
    } else {
        canonical_smiles(g)
    }
}

fn colour(e: Element) -> RGBColor {
    match e {
        Element::C => RGBColor(64, 64, 64),
        Element::N => RGBColor(48, 80, 220),
        Element::O => RGBColor(220, 40, 40),
        Element::F => RGBColor(40, 160, 60),
        Element::H => RGBColor(170, 170, 170),
    }
}

/// The grid as an image.
pub fn render_grid(
    mols: &[MolGraph],
    captions: Option<&[String]>,
    cols: usize,
) -> Result<RgbImage> {
    if mols.is_empty() {
        bail!("no molecules to draw");
    }
    if let Some(c) = captions
        && c.len() != mols.len()
    {
        bail!("{} captions for {} molecules", c.len(), mols.len());
    }
    crate::plot::register_fonts();
    let cols = cols.clamp(1, mols.len());
    let rows = mols.len().div_ceil(cols);
    let cap = if captions.is_some() { CAPTION } else { 0 };
    let (w, h) = (cols as u32 * CELL, rows as u32 * (CELL + cap));
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        for (k, g) in mols.iter().enumerate() {
            let (x0, y0) = (
                (k % cols) as i32 * CELL as i32,
                (k / cols) as i32 * (CELL + cap) as i32,
            );
            if g.check().is_ok() {
                draw_molecule(&root, g, (x0, y0)).map_err(|e| err!("drawing molecule {k}: {e}"))?;
            }
            if let Some(c) = captions {
                let max_chars = (CELL as usize - 8) / 7;
                let mut text: String = c[k].chars().take(max_chars).collect();
                if c[k].chars().count() > max_chars {
                    text.pop();
                    text.push('…');
                }
                let style = ("sans-serif", 13)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let at = (x0 + CELL as i32 / 2, y0 + CELL as i32 + cap as i32 / 2 - 2);
                root.draw(&Text::new(text, at, style))
                    .map_err(|e| err!("{e:?}"))?;
            }
            let frame = [
                (x0, y0),
                (x0 + CELL as i32 - 1, y0 + (CELL + cap) as i32 - 1),
            ];
            root.draw(&Rectangle::new(frame, RGBColor(225, 225, 225)))
                .map_err(|e| err!("{e:?}"))?;
        }
        root.present().map_err(|e| err!("{e:?}"))?;
    }
    RgbImage::from_raw(w, h, buf).context("molecule grid buffer")
}

fn draw_molecule(
    root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    g: &MolGraph,
    (x0, y0): (i32, i32),
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| format!("{e:?}");
    let pos = layout_2d(g);
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in &pos {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    let room = CELL as f64 - 2.0 * (DISC as f64 + 8.0);
    let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-9);
    let scale = (room / extent).min(MAX_BOND_PX);
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let px: Vec<(f64, f64)> = pos
        .iter()
        .map(|p| {
            (
                x0 as f64 + CELL as f64 / 2.0 + (p[0] - centre[0]) * scale,
                y0 as f64 + CELL as f64 / 2.0 - (p[1] - centre[1]) * scale,
            )
        })
        .collect();
    let line = ShapeStyle::from(&BLACK).stroke_width(2);
    for &(i, j, b) in &g.bonds {
        let ((ax, ay), (bx, by)) = (px[i], px[j]);
        let len = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt().max(1e-9);
        let (nx, ny) = (-(by - ay) / len, (bx - ax) / len);
        let offsets: &[f64] = match b.order() {
            1 => &[0.0],
            2 => &[-3.0, 3.0],
            _ => &[-5.0, 0.0, 5.0],
        };
        for o in offsets {
            let seg = vec![
                ((ax + nx * o) as i32, (ay + ny * o) as i32),
                ((bx + nx * o) as i32, (by + ny * o) as i32),
            ];
            root.draw(&PathElement::new(seg, line)).map_err(err)?;
        }
    }
    for (a, &(x, y)) in g.atoms.iter().zip(&px) {
        let c = (x as i32, y as i32);
        root.draw(&Circle::new(c, DISC, colour(a.element).filled()))
            .map_err(err)?;
        let style = ("sans-serif", 14)
            .into_font()
            .color(&WHITE)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(a.element.symbol(), c, style))
            .map_err(err)?;
        if a.charge != 0 {
            let sign = match a.charge {
                1 => "+".to_string(),
                -1 => "−".to_string(),
                q if q > 0 => format!("{q}+"),
                q => format!("{}−", -q),
            };
            let style = ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(sign, (c.0 + DISC - 1, c.1 - DISC), style))
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    #[test]
    fn grid_png_decodes_and_has_ink_in_every_cell() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.png");
        let mols: Vec<MolGraph> = ["CCO", "[NH3+]CC([O-])=O", "C1=CC=CC=C1", "FC#N", "C.O"]
            .iter()
            .map(|s| parse_smiles(s).unwrap())
            .collect();
        draw_grid(&mols, 3, &p).unwrap();
        let img = image::open(&p).unwrap().to_rgb8();
        assert_eq!(
            (img.width(), img.height()),
            (3 * CELL, 2 * (CELL + CAPTION))
        );
        for k in 0..mols.len() {
            let (x0, y0) = ((k % 3) as u32 * CELL, (k / 3) as u32 * (CELL + CAPTION));
            let mut red = 0;
            let mut ink = 0;
            for y in y0 + 5..y0 + CELL - 5 {
                for x in x0 + 5..x0 + CELL - 5 {
                    let px = img.get_pixel(x, y).0;
                    ink += (px != [255, 255, 255]) as u32;
                    red += (px == [220, 40, 40]) as u32;
                }
            }
            assert!(ink > 300, "cell {k} is blank ({ink} pixels)");
            if k == 0 {
                assert!(red > 100, "the O of ethanol is not red");
            }
        }
        assert!(draw_grid(&[], 3, &p).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
