//! A small image classifier that flowdiff trains itself (on MNIST, or on any labelled folder
//! of pictures), whose penultimate features define the image metrics (an FID in this network's
//! feature space, as Heusel et al. 2017 do with Inception-v3; an Inception-score analogue,
//! Salimans et al. 2016). The same network for grey and colour; its input shape and class
//! count are part of it.

use crate::nn::conv::{Conv2d, Conv2dConfig};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// Width of the feature layer.
pub const FEATURES: usize = 64;

/// Conv(c→16) → Conv(16→32, /2) → Conv(32→64, /2) → Conv(64→64) → global average → 64
/// features → one logit per class.
#[derive(Module, Debug)]
pub struct Classifier {
    c1: Conv2d,
    c2: Conv2d,
    c3: Conv2d,
    c4: Conv2d,
    head: Linear,
    /// `[channels, height, width]` of the pictures it takes.
    shape: [usize; 3],
}

impl Classifier {
    /// The MNIST classifier: 28×28 grey digits, 10 classes.
    pub fn new(device: &Device) -> Self {
        Self::for_images([1, 28, 28], 10, device)
    }

    /// A classifier of `[channels, height, width]` pictures into `classes` classes.
    pub fn for_images(shape: [usize; 3], classes: usize, device: &Device) -> Self {
        let conv = |i: usize, o: usize, s: usize| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_stride([s, s])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            c1: conv(shape[0], 16, 1),
            c2: conv(16, 32, 2),
            c3: conv(32, 64, 2),
            c4: conv(64, FEATURES, 1),
            head: LinearConfig::new(FEATURES, classes).init(device),
            shape,
        }
    }

    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Values per picture, `c·h·w`.
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn classes(&self) -> usize {
        self.head.weight.val().dims()[1]
    }

    /// `x: [n, c·h·w]` in [-1, 1] → features `[n, 64]`.
    pub fn features(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let [c, h, w] = self.shape;
        let h = relu(self.c1.forward(x.reshape([n, c, h, w])));
        let h = relu(self.c2.forward(h));
        let h = relu(self.c3.forward(h));
        let h = relu(self.c4.forward(h));
        h.mean_dim(3).mean_dim(2).reshape([n, FEATURES])
    }

    /// `x: [n, c·h·w]` → logits `[n, classes]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.features(x))
    }

    /// Logits from features computed by [`Classifier::features`].
    pub fn head_logits(&self, features: Tensor<2>) -> Tensor<2> {
        self.head.forward(features)
    }
}
