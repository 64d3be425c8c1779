//! Training the classifier behind the image metrics (MNIST digits or a labelled folder of
//! pictures), and saving it with what it is for.

use crate::data::images::ImageSet;
use crate::error::{Result, bail};
use crate::models::classifier::Classifier;
use crate::rng::SeededRng;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A picture `[c, h, w]` in [-1, 1] shifted by `(dx, dy)` pixels, background-filled: the
/// augmentation, so the classifier does not depend on exact centring.
fn shift(img: &[f32], [c, h, w]: [usize; 3], dx: i64, dy: i64) -> Vec<f32> {
    let (hi, wi) = (h as i64, w as i64);
    let mut out = vec![-1.0; c * h * w];
    for ch in 0..c {
        let plane = ch * h * w;
        for y in 0..hi {
            for x in 0..wi {
                let (sx, sy) = (x - dx, y - dy);
                if (0..wi).contains(&sx) && (0..hi).contains(&sy) {
                    out[plane + (y * wi + x) as usize] = img[plane + (sy * wi + sx) as usize];
                }
            }
        }
    }
    out
}

/// What a saved classifier is for (`NAME.json` beside `NAME.safetensors`): its input shape,
/// its classes, and the training pictures whose draws are the metrics' floor. MNIST
/// classifiers saved without one are 28×28 grey digits, 10 classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifierInfo {
    pub shape: [usize; 3],
    pub classes: Vec<String>,
    /// The folder it was trained on (`None` for MNIST).
    pub train: Option<std::path::PathBuf>,
    /// The `--image-size` its pictures were read with.
    pub image_size: Option<usize>,
}

impl ClassifierInfo {
    /// The info file of the weights at `weights`.
    pub fn path(weights: &Path) -> std::path::PathBuf {
        weights.with_extension("json")
    }
}

/// Writes the classifier's weights to `path` and its [`ClassifierInfo`] beside them.
pub fn save_classifier(clf: &Classifier, info: &ClassifierInfo, path: &Path) -> Result<()> {
    crate::train::checkpoint::save_weights(clf, path)?;
    crate::io::write_json(&ClassifierInfo::path(path), info)
}

/// The classifier saved at `path` with its info (`None` for an MNIST classifier saved
/// without one).
pub fn load_classifier(
    path: &Path,
    device: &Device,
) -> Result<(Classifier, Option<ClassifierInfo>)> {
    let info_path = ClassifierInfo::path(path);
    let info: Option<ClassifierInfo> = if info_path.exists() {
        let text = std::fs::read_to_string(&info_path)
            .map_err(|e| crate::error::Error::io(&info_path, e))?;
        Some(serde_json::from_str(&text).map_err(|e| {
            crate::error::err!(
                "{}: not a classifier description ({e})",
                info_path.display()
            )
        })?)
    } else {
        None
    };
    let clf = match &info {
        Some(i) => Classifier::for_images(i.shape, i.classes.len(), device),
        None => Classifier::new(device),
    };
    let clf = crate::train::checkpoint::load_weights(clf, path).map_err(|e| {
        crate::error::err!(
            "{}: not a classifier of this kind ({e}); train one with `flowdiff classifier train --data-dir DIR --out classifier.safetensors` and pass that file",
            path.display()
        )
    })?;
    Ok((clf, info))
}

/// Accuracy of `clf` on a labelled set.
pub fn accuracy(clf: &Classifier, set: &ImageSet, device: &Device) -> f64 {
    let (_, probs) = crate::image_score::metrics::embed(clf, &set.values(), device);
    let predicted = crate::image_score::metrics::predicted_classes(&probs, clf.classes());
    let correct = set
        .labels
        .iter()
        .zip(&predicted)
        .filter(|(l, p)| **l as usize == **p)
        .count();
    correct as f64 / set.labels.len() as f64
}

/// Trains a classifier with Adam on random mini-batches; returns it (inference device) and
/// its accuracy on `test`.
pub fn train_classifier(
    train: &ImageSet,
    test: &ImageSet,
    steps: usize,
    batch: usize,
    seed: u64,
    progress: bool,
    device: &Device,
) -> Result<(Classifier, f64)> {
    if !train.labelled() || train.classes.len() < 2 {
        bail!(
            "the classifier needs labelled pictures of two or more classes (one folder per class)"
        );
    }
    if test.shape != train.shape || test.classes != train.classes {
        bail!(
            "the test pictures ({:?}, classes {:?}) do not match the training ones ({:?}, classes {:?})",
            test.shape,
            test.classes,
            train.shape,
            train.classes
        );
    }
    let shape = train.shape;
    let inference = device.clone();
    let device = device.clone().autodiff();
    device.seed(seed);
    let mut clf = Classifier::for_images(shape, train.classes.len(), &device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut rng = SeededRng::new(seed).fork("classifier");
    let bar = if progress {
        indicatif::ProgressBar::new(steps as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    for step in 0..steps {
        let idx: Vec<usize> = (0..batch).map(|_| rng.below(train.labels.len())).collect();
        let x: Vec<f32> = idx
            .iter()
            .flat_map(|&i| {
                shift(
                    &train.draw(i, &mut rng),
                    shape,
                    rng.below(5) as i64 - 2,
                    rng.below(5) as i64 - 2,
                )
            })
            .collect();
        let y: Vec<i64> = idx.iter().map(|&i| train.labels[i] as i64).collect();
        let x = crate::device::tensor2(x, batch, clf.dim(), &device);
        let y = Tensor::<1, Int>::from_data(TensorData::new(y, [batch]), &device);
        let loss = loss_fn.forward(clf.forward(x), y);
        let value = loss.clone().into_scalar::<f32>();
        if !value.is_finite() {
            bail!("classifier training diverged at step {step} (loss {value})");
        }
        let lr = if step < steps * 3 / 4 { 2e-3 } else { 5e-4 };
        let grads = GradientsParams::from_grads(loss.backward(), &clf);
        clf = optim.step(lr, clf, grads);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let clf = clf.valid();
    let acc = accuracy(&clf, test, &inference);
    Ok((clf, acc))
}
