//! Pictures from a folder, in the layouts people already have: one sub-folder per class
//! (torchvision's `ImageFolder`: folder names sorted = labels 0, 1, …) or a flat folder of
//! unlabelled pictures. PNG and JPEG, decoded once (in parallel) into bytes; grey stays one
//! channel unless any picture has colour, RGBA drops its alpha. `size` resizes the shorter side
//! to `size` (Catmull–Rom) and crops the centre square; without it every picture must have the
//! same size.

use super::images::ImageSet;
use crate::error::{Error, Result};
use image::DynamicImage;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The largest side `--image-size` accepts (a 1024² RGB set of 1,000 images is 3 GB of bytes).
pub const MAX_SIZE: usize = 1024;

/// What to read from a folder.
#[derive(Clone, Debug)]
pub struct FolderSpec<'a> {
    pub dir: &'a Path,
    /// Resize and centre-crop every picture to `size × size`.
    pub size: Option<usize>,
    pub flip: bool,
}

fn is_picture(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg"))
}

/// The entries of `dir`, sorted by name.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| Error::io(dir, e)))
        .collect::<Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

/// The pictures under `dir` with their labels, and the class names (empty when flat).
fn listing(dir: &Path) -> Result<(Vec<(PathBuf, u16)>, Vec<String>)> {
    let entries = sorted_entries(dir)?;
    let classes: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    if classes.is_empty() {
        let files = entries
            .into_iter()
            .filter(|p| is_picture(p))
            .map(|p| (p, 0));
        return Ok((files.collect(), Vec::new()));
    }
    if classes.len() > u16::MAX as usize {
        return Err(Error::invalid(
            dir.display().to_string(),
            format!("{} class folders; at most {}", classes.len(), u16::MAX),
        ));
    }
    let mut files = Vec::new();
    let mut names = Vec::new();
    for (label, class) in classes.into_iter().enumerate() {
        names.push(
            class
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string(),
        );
        for p in sorted_entries(class)? {
            if is_picture(&p) {
                files.push((p, label as u16));
            }
        }
    }
    Ok((files, names))
}

/// One decoded picture, resized and cropped when `size` is given.
fn decode(path: &Path, size: Option<usize>) -> Result<DynamicImage> {
    let img = image::io::Reader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?
        .decode()
        .map_err(|e| {
            Error::invalid(
                path.display().to_string(),
                format!("not a readable PNG or JPEG picture: {e}"),
            )
        })?;
    let Some(s) = size else { return Ok(img) };
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return Err(Error::invalid(
            path.display().to_string(),
            "an empty picture",
        ));
    }
    // The shorter side becomes `s`; the longer one is cropped around its centre.
    let scale = s as f64 / w.min(h) as f64;
    let (nw, nh) = (
        ((w as f64 * scale).round() as u32).max(s as u32),
        ((h as f64 * scale).round() as u32).max(s as u32),
    );
    let resized = if (nw as usize, nh as usize) == (w, h) {
        img
    } else {
        img.resize_exact(nw, nh, image::imageops::FilterType::CatmullRom)
    };
    let (x, y) = ((nw - s as u32) / 2, (nh - s as u32) / 2);
    Ok(resized.crop_imm(x, y, s as u32, s as u32))
}

fn has_colour(img: &DynamicImage) -> bool {
    img.color().has_color()
}

/// Reads the folder of `spec` into an [`ImageSet`]: errors name the folder, or the file that
/// cannot be read.
pub fn read_folder(spec: &FolderSpec) -> Result<ImageSet> {
    let dir = spec.dir;
    if !dir.is_dir() {
        return Err(Error::invalid(
            dir.display().to_string(),
            "not a folder (give --data-dir a folder of pictures, or of one sub-folder per class)",
        ));
    }
    if let Some(s) = spec.size {
        if !(1..=MAX_SIZE).contains(&s) {
            return Err(Error::invalid(
                "image_size",
                format!("must be in [1, {MAX_SIZE}], got {s}"),
            ));
        }
    }
    let (files, classes) = listing(dir)?;
    if files.is_empty() {
        return Err(Error::invalid(
            dir.display().to_string(),
            "holds no .png, .jpg or .jpeg pictures (directly, or in one sub-folder per class)",
        ));
    }
    // The decoded pictures and their bytes are held at once: about twice 3 bytes per pixel.
    let first = decode(&files[0].0, spec.size)?;
    let per_picture = 3.0 * first.width() as f64 * first.height() as f64;
    crate::memory::check(
        "data",
        &format!(
            "decoding {} pictures like {}",
            files.len(),
            files[0].0.display()
        ),
        files.len() as f64 * per_picture * 2.0,
    )?;
    let images: Vec<DynamicImage> = crate::device::on_pool(|| {
        files
            .par_iter()
            .map(|(p, _)| decode(p, spec.size))
            .collect::<Result<Vec<_>>>()
    })?;
    let (w, h) = (images[0].width() as usize, images[0].height() as usize);
    if let Some(k) = images
        .iter()
        .position(|i| (i.width() as usize, i.height() as usize) != (w, h))
    {
        return Err(Error::invalid(
            dir.display().to_string(),
            format!(
                "pictures of different sizes: {} is {w}×{h}, {} is {}×{}; pass --image-size S to resize and crop them all to S×S",
                files[0].0.display(),
                files[k].0.display(),
                images[k].width(),
                images[k].height()
            ),
        ));
    }
    let channels = if images.iter().any(has_colour) { 3 } else { 1 };
    let per = channels * h * w;
    let mut pixels = Vec::with_capacity(images.len() * per);
    for img in &images {
        if channels == 1 {
            pixels.extend_from_slice(img.to_luma8().as_raw());
        } else {
            let rgb = img.to_rgb8();
            let raw = rgb.as_raw();
            for c in 0..3 {
                pixels.extend(raw.iter().skip(c).step_by(3));
            }
        }
    }
    Ok(ImageSet {
        pixels,
        labels: files.iter().map(|(_, l)| *l).collect(),
        shape: [channels, h, w],
        classes,
        flip: spec.flip,
    })
}

#[cfg(test)]
#[path = "folder_tests.rs"]
mod tests;
