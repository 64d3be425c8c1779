//! Scoring generated images with the metrics of [`crate::image_score::metrics`]: the
//! classifier, the reference set and the real-image floor loaded once, shared by
//! `flowdiff eval --ref` and `flowdiff bench --run` on image runs. The reference is MNIST's
//! IDX file (floor: training digits beside it) or a folder of pictures (floor: the folder the
//! classifier was trained on).

use crate::data::folder::{FolderSpec, read_folder};
use crate::data::idx::{mnist_file, read_images};
use crate::error::{Result, bail};
use crate::image_score::classify::load_classifier;
use crate::image_score::metrics::{ImageReport, embed, evaluate_images, predicted_classes};
use crate::models::classifier::Classifier;
use crate::rng::SeededRng;
use burn::tensor::Device;
use std::path::Path;

/// A loaded classifier with its reference digits and floor digits (rows in [-1, 1]).
pub struct ImageScorer {
    clf: Classifier,
    reference: Vec<f32>,
    real: Vec<f32>,
    /// Digits in the reference file.
    pub reference_count: usize,
    /// Real training digits behind the floor.
    pub floor_count: usize,
    device: Device,
}

/// `[0, 1]` pixels to the models' `[-1, 1]`.
fn to_model(px: &[f32]) -> Vec<f32> {
    px.iter().map(|v| v * 2.0 - 1.0).collect()
}

fn from_bytes(px: &[u8]) -> impl Iterator<Item = f32> + '_ {
    px.iter().map(|p| *p as f32 / 127.5 - 1.0)
}

impl ImageScorer {
    /// `classifier`: weights from `flowdiff classifier train`; `reference`: an IDX image file
    /// (e.g. `t10k-images-idx3-ubyte.gz`); the floor is `n` training digits drawn with `seed`
    /// from `train-images-idx3-ubyte(.gz)` beside the reference.
    pub fn load(
        classifier: &Path,
        reference: &Path,
        n: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        let device = device.clone();
        let (clf, info) = load_classifier(classifier, &device)?;
        let mut rng = SeededRng::new(seed);
        if reference.is_dir() {
            let Some(info) = info.filter(|i| i.train.is_some()) else {
                bail!(
                    "{}: an MNIST classifier cannot score pictures from {}; train one on the folder with `flowdiff classifier train --data images --data-dir DIR`",
                    classifier.display(),
                    reference.display()
                );
            };
            let read = |dir: &Path| {
                read_folder(&FolderSpec {
                    dir,
                    size: info.image_size,
                    flip: false,
                })
            };
            let refs = read(reference)?;
            if refs.shape != clf.shape() {
                bail!(
                    "{}: pictures of {:?}, the classifier takes {:?}",
                    reference.display(),
                    refs.shape,
                    clf.shape()
                );
            }
            let train = read(info.train.as_deref().expect("checked above"))?;
            let floor_count = n.min(train.len());
            let real = (0..floor_count)
                .flat_map(|_| train.row(rng.below(train.len())))
                .collect();
            return Ok(Self {
                clf,
                reference: refs.values(),
                real,
                reference_count: refs.len(),
                floor_count,
                device,
            });
        }
        if clf.shape() != [1, 28, 28] {
            bail!(
                "{}: a classifier of {:?} pictures; score it against a folder of such pictures (--ref DIR), not the IDX file {}",
                classifier.display(),
                clf.shape(),
                reference.display()
            );
        }
        let refs = read_images(reference)?;
        let dir = reference.parent().unwrap_or(Path::new("."));
        let train = read_images(&mnist_file(dir, "train-images-idx3-ubyte")?)?;
        let floor_count = n.min(train.count);
        let real: Vec<f32> = (0..floor_count)
            .flat_map(|_| {
                let i = rng.below(train.count);
                from_bytes(&train.pixels[i * 784..(i + 1) * 784])
            })
            .collect();
        Ok(Self {
            clf,
            reference: from_bytes(&refs.pixels).collect(),
            real,
            reference_count: refs.count,
            floor_count,
            device,
        })
    }

    /// `[channels, height, width]` of the pictures scored.
    pub fn shape(&self) -> [usize; 3] {
        self.clf.shape()
    }

    /// The classifier's number of classes.
    pub fn classes_count(&self) -> usize {
        self.clf.classes()
    }

    /// FID, floor, IS analogue and coverage of `images` (`[n, c·h·w]` channel-major, in [0, 1]).
    pub fn score(&self, images: &[f32]) -> ImageReport {
        let x = to_model(images);
        evaluate_images(&self.clf, &x, &self.reference, &self.real, &self.device)
    }

    /// The classifier's class for each of `images` (`[n, c·h·w]` in [0, 1]).
    pub fn classes(&self, images: &[f32]) -> Vec<usize> {
        let (_, probs) = embed(&self.clf, &to_model(images), &self.device);
        predicted_classes(&probs, self.clf.classes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::mlp::MlpConfig;

    /// A run's weights passed as the classifier: the error names the file and tells how to
    /// make a classifier, with an output name that cannot overwrite the run's weights.
    #[test]
    fn weights_of_another_model_are_refused_with_a_safe_hint() {
        let dir = tempfile::tempdir().unwrap();
        let weights = dir.path().join("model.safetensors");
        let device = Device::flex();
        let mlp = MlpConfig::new(2).init(&device);
        crate::train::checkpoint::save_weights(&mlp, &weights).unwrap();
        let reference = dir.path().join("t10k-images-idx3-ubyte");
        let Err(e) = ImageScorer::load(&weights, &reference, 10, 0, &device) else {
            panic!("an MLP's weights were accepted as the classifier");
        };
        let e = e.chain();
        assert!(
            e.contains("model.safetensors") && e.contains("not a classifier of this kind"),
            "{e}"
        );
        assert!(e.contains("--out classifier.safetensors"), "{e}");
        assert!(!e.contains("--out runs/"), "{e}");
    }
}
