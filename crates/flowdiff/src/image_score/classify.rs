//! Training the MNIST classifier behind the image metrics.

use crate::data::images::ImageSet;
use crate::error::{Result, bail};
use crate::models::classifier::Classifier;
use crate::rng::SeededRng;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// A 28×28 digit in [-1, 1] shifted by `(dx, dy)` pixels, background-filled: the only
/// augmentation, so the classifier does not depend on exact centring.
fn shift(img: &[f32], dx: i64, dy: i64) -> Vec<f32> {
    let mut out = vec![-1.0; 784];
    for y in 0..28i64 {
        for x in 0..28i64 {
            let (sx, sy) = (x - dx, y - dy);
            if (0..28).contains(&sx) && (0..28).contains(&sy) {
                out[(y * 28 + x) as usize] = img[(sy * 28 + sx) as usize];
            }
        }
    }
    out
}

/// Accuracy of `clf` on a labelled set.
pub fn accuracy(clf: &Classifier, set: &ImageSet, device: &Device) -> f64 {
    let (_, probs) = crate::image_score::metrics::embed(clf, &set.values(), device);
    let predicted = crate::image_score::metrics::predicted_classes(&probs);
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
    if train.shape != [1, 28, 28] {
        bail!(
            "the classifier is for 28x28 grayscale digits, got {:?}",
            train.shape
        );
    }
    let inference = device.clone();
    let device = device.clone().autodiff();
    device.seed(seed);
    let mut clf = Classifier::new(&device);
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
                    &train.row(i),
                    rng.below(5) as i64 - 2,
                    rng.below(5) as i64 - 2,
                )
            })
            .collect();
        let y: Vec<i64> = idx.iter().map(|&i| train.labels[i] as i64).collect();
        let x = crate::device::tensor2(x, batch, 784, &device);
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
