//! Image grids as PNG: samples, per-class rows (labelled), forward-noising and denoising strips.

use crate::error::{Context, Result, err};
use image::{Rgb, RgbImage};
use plotters::prelude::*;
use std::path::Path;

/// Layout of a grid.
pub struct Grid<'a> {
    /// Images one after another, each `channels` planes of `height × width` values in
    /// [0, 1] (1 channel: grey; 3: RGB).
    pub images: &'a [f32],
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub cols: usize,
    /// One label per grid row, drawn in a left margin.
    pub row_labels: Option<Vec<String>>,
    /// A caption above the grid.
    pub caption: Option<String>,
    /// Pixel upscaling factor.
    pub scale: u32,
}

/// Writes the grid to `path` (PNG), atomically.
pub fn write(path: &Path, g: &Grid) -> Result<()> {
    crate::plot::check_png(path)?;
    let plane = g.height * g.width;
    let per = g.channels.max(1) * plane;
    let n = g.images.len() / per;
    let rows = n.div_ceil(g.cols.max(1));
    let (s, pad) = (g.scale.max(1), 2u32);
    let margin = if g.row_labels.is_some() { 40 } else { 0 };
    let top = if g.caption.is_some() { 28 } else { 0 };
    let cw = g.width as u32 * s + pad;
    let ch = g.height as u32 * s + pad;
    let (w, h) = (
        margin + g.cols as u32 * cw + pad,
        top + rows as u32 * ch + pad,
    );
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    for k in 0..n {
        let (r, c) = ((k / g.cols) as u32, (k % g.cols) as u32);
        for y in 0..g.height {
            for x in 0..g.width {
                let byte = |c: usize| {
                    let v = g.images[k * per + c * plane + y * g.width + x];
                    (v.clamp(0.0, 1.0) * 255.0).round() as u8
                };
                let colour = if g.channels == 3 {
                    [byte(0), byte(1), byte(2)]
                } else {
                    [byte(0); 3]
                };
                for dy in 0..s {
                    for dx in 0..s {
                        img.put_pixel(
                            margin + pad + c * cw + x as u32 * s + dx,
                            top + pad + r * ch + y as u32 * s + dy,
                            Rgb(colour),
                        );
                    }
                }
            }
        }
    }
    if g.row_labels.is_some() || g.caption.is_some() {
        crate::plot::register_fonts();
        let mut buf = img.into_raw();
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            let style = ("sans-serif", 18).into_font().color(&BLACK);
            if let Some(labels) = &g.row_labels {
                for (r, label) in labels.iter().enumerate().take(rows) {
                    let y = (top + pad + r as u32 * ch + ch / 2) as i32 - 9;
                    root.draw_text(label, &style, (6, y))
                        .map_err(|e| err!("{e:?}"))?;
                }
            }
            if let Some(caption) = &g.caption {
                root.draw_text(caption, &style, (margin as i32 + 4, 5))
                    .map_err(|e| err!("{e:?}"))?;
            }
            root.present().map_err(|e| err!("{e:?}"))?;
        }
        img = RgbImage::from_raw(w, h, buf).context("grid buffer")?;
    }
    save_png(&img.into(), path)
}

/// Saves `img` as a PNG at `path`, atomically (a temporary file beside it, then a rename).
fn save_png(img: &image::DynamicImage, path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::io::create_dir(dir)?;
    let tmp = crate::io::temp_beside(path, ".png")?;
    if let Err(e) = img.save_with_format(&tmp, image::ImageFormat::Png) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Writes one picture (`channels` planes of `height × width` values in [0, 1]) at its own
/// size, grey or RGB, with no border (the layout FID tools read), atomically.
pub fn write_picture(path: &Path, px: &[f32], [channels, height, width]: [usize; 3]) -> Result<()> {
    crate::plot::check_png(path)?;
    let plane = height * width;
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let (w, h) = (width as u32, height as u32);
    let img: image::DynamicImage = if channels == 3 {
        let raw = (0..plane)
            .flat_map(|p| (0..3).map(move |c| byte(px[c * plane + p])))
            .collect();
        RgbImage::from_raw(w, h, raw)
            .context("picture buffer")?
            .into()
    } else {
        let raw = px[..plane].iter().map(|&v| byte(v)).collect();
        image::GrayImage::from_raw(w, h, raw)
            .context("picture buffer")?
            .into()
    };
    save_png(&img, path)
}

/// Rows: up to 8 samples; columns: about 10 snapshots from noise (left) to data (right).
pub fn trajectory_strip(
    path: &std::path::Path,
    traj: &[(f64, Vec<f32>)],
    [channels, h, w]: [usize; 3],
    caption: &str,
) -> Result<()> {
    let per = channels * h * w;
    let rows = (traj.first().map_or(0, |t| t.1.len()) / per).min(8);
    let k = traj.len();
    let cols: Vec<usize> = (0..10.min(k))
        .map(|j| j * (k - 1) / (10.min(k) - 1).max(1))
        .collect();
    let mut images = Vec::with_capacity(rows * cols.len() * per);
    for r in 0..rows {
        for &c in &cols {
            images.extend(crate::data::images::to_unit(
                &traj[c].1[r * per..(r + 1) * per],
            ));
        }
    }
    write(
        path,
        &Grid {
            images: &images,
            channels,
            height: h,
            width: w,
            cols: cols.len(),
            row_labels: None,
            caption: Some(caption.into()),
            scale: 2,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_the_expected_size_and_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.png");
        let images: Vec<f32> = (0..6 * 4).map(|i| (i % 4) as f32 / 3.0).collect();
        write(
            &p,
            &Grid {
                images: &images,
                channels: 1,
                height: 2,
                width: 2,
                cols: 3,
                row_labels: Some(vec!["0".into(), "1".into()]),
                caption: Some("test".into()),
                scale: 4,
            },
        )
        .unwrap();
        let img = image::open(&p).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (40 + 3 * 10 + 2, 28 + 2 * 10 + 2));
        // The first image's top-left pixel is 0 (black) and its bottom-right is 1 (white).
        assert_eq!(img.get_pixel(40 + 2, 28 + 2)[0], 0);
        assert_eq!(img.get_pixel(40 + 2 + 7, 28 + 2 + 7)[0], 255);
    }
}
