//! Image data sets, kept as the bytes they were decoded to and scaled to [-1, 1] per batch
//! (Ho et al. 2020, §4), with labels: MNIST from IDX files, or any folder of pictures
//! ([`super::folder`]).

use super::idx::read_split;
use crate::error::Result;
use crate::rng::SeededRng;
use std::path::Path;

/// Images with one label each. Pixels are `[n, c·h·w]` bytes, each image channel-major
/// (`c` planes of `h` rows of `w`), as the networks take them.
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub pixels: Vec<u8>,
    pub labels: Vec<u16>,
    /// `(channels, height, width)`.
    pub shape: [usize; 3],
    /// Class names in label order; empty for unlabelled images (labels all 0).
    pub classes: Vec<String>,
    /// Mirror each drawn image left–right with probability 1/2 (data augmentation).
    pub flip: bool,
}

impl ImageSet {
    /// The MNIST training (`train = true`) or test split from the IDX files in `dir`.
    pub fn mnist(dir: &Path, train: bool) -> Result<Self> {
        let (images, labels) = read_split(dir, train)?;
        Ok(Self {
            pixels: images.pixels,
            labels: labels.into_iter().map(u16::from).collect(),
            shape: [1, images.rows, images.cols],
            classes: (0..10).map(|d| d.to_string()).collect(),
            flip: false,
        })
    }

    /// Values per image, `c·h·w`.
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Whether the images carry class labels.
    pub fn labelled(&self) -> bool {
        !self.classes.is_empty()
    }

    /// Image `i` in [-1, 1], as stored (no flip).
    pub fn row(&self, i: usize) -> Vec<f32> {
        let d = self.dim();
        self.pixels[i * d..(i + 1) * d]
            .iter()
            .map(|&p| p as f32 / 127.5 - 1.0)
            .collect()
    }

    /// Every image in [-1, 1], `[n, c·h·w]`.
    pub fn values(&self) -> Vec<f32> {
        self.pixels
            .iter()
            .map(|&p| p as f32 / 127.5 - 1.0)
            .collect()
    }

    /// Image `i` in [-1, 1], mirrored left–right with probability 1/2 when `flip` is set.
    pub fn draw(&self, i: usize, rng: &mut SeededRng) -> Vec<f32> {
        let mut x = self.row(i);
        if self.flip && rng.uniform() < 0.5 {
            let w = self.shape[2];
            for line in x.chunks_mut(w) {
                line.reverse();
            }
        }
        x
    }
}

/// `[-1, 1]` model space → `[0, 1]` pixels, clamped.
pub fn to_unit(x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|v| ((v + 1.0) * 0.5).clamp(0.0, 1.0))
        .collect()
}

/// Channel-major images `[n, c, h, w]` → channel-last `[n, h, w, c]` (the layout of image
/// files and of most tools' `.npy` arrays).
pub fn to_channels_last(x: &[f32], [c, h, w]: [usize; 3]) -> Vec<f32> {
    let per = c * h * w;
    let mut out = vec![0.0; x.len()];
    for (img, dst) in x.chunks(per).zip(out.chunks_mut(per)) {
        for ch in 0..c {
            for p in 0..h * w {
                dst[p * c + ch] = img[ch * h * w + p];
            }
        }
    }
    out
}

/// Channel-last images `[n, h, w, c]` → channel-major `[n, c, h, w]` (the inverse of
/// [`to_channels_last`]).
pub fn to_channels_major(x: &[f32], [c, h, w]: [usize; 3]) -> Vec<f32> {
    let per = c * h * w;
    let mut out = vec![0.0; x.len()];
    for (img, dst) in x.chunks(per).zip(out.chunks_mut(per)) {
        for ch in 0..c {
            for p in 0..h * w {
                dst[ch * h * w + p] = img[p * c + ch];
            }
        }
    }
    out
}
