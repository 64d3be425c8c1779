//! Image data sets as flat rows scaled to [-1, 1] (Ho et al. 2020, §4), with labels.

use super::idx::read_split;
use crate::error::Result;
use crate::io::Array2;
use std::path::Path;

/// Images `[n, c·h·w]` in [-1, 1] with one label each.
#[derive(Clone, Debug)]
pub struct ImageSet {
    pub values: Array2,
    pub labels: Vec<u8>,
    /// `(channels, height, width)`.
    pub shape: [usize; 3],
}

impl ImageSet {
    /// The MNIST training (`train = true`) or test split from the IDX files in `dir`.
    pub fn mnist(dir: &Path, train: bool) -> Result<Self> {
        let (images, labels) = read_split(dir, train)?;
        let values = images
            .pixels
            .iter()
            .map(|p| *p as f32 / 127.5 - 1.0)
            .collect();
        Ok(Self {
            values: Array2::new(values, images.count, images.rows * images.cols),
            labels,
            shape: [1, images.rows, images.cols],
        })
    }
}

/// `[-1, 1]` model space → `[0, 1]` pixels, clamped.
pub fn to_unit(x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|v| ((v + 1.0) * 0.5).clamp(0.0, 1.0))
        .collect()
}
