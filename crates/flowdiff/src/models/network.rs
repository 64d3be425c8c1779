//! The trainable networks behind one type: the MLP for points and the U-Net for images, both
//! on flat `[n, d]` batches.

use super::mlp::{Mlp, MlpConfig};
use super::unet::{UNet, UNetConfig};
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

/// Which network, with its shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum NetworkConfig {
    Mlp(MlpConfig),
    UNet(UNetConfig),
}

impl NetworkConfig {
    pub fn init(&self, device: &Device) -> Network {
        match self {
            NetworkConfig::Mlp(c) => Network::Mlp(c.init(device)),
            NetworkConfig::UNet(c) => Network::UNet(c.init(device)),
        }
    }

    /// Data dimension `d`.
    pub fn dim(&self) -> usize {
        match self {
            NetworkConfig::Mlp(c) => c.dim,
            NetworkConfig::UNet(c) => c.dim(),
        }
    }

    /// A lower bound on the parameter count: the weight matrices and convolution kernels
    /// (biases, norms and attention left out).
    pub fn min_parameters(&self) -> f64 {
        match self {
            NetworkConfig::Mlp(c) => {
                let w = c.width as f64;
                (c.dim + c.time_dim) as f64 * w
                    + c.depth.saturating_sub(1) as f64 * w * w
                    + w * c.outputs as f64
            }
            NetworkConfig::UNet(c) => {
                // Two 3×3 convolutions per residual block, on the way down and up.
                let per_level: f64 = c
                    .mults
                    .iter()
                    .map(|m| {
                        let ch = (m * c.base) as f64;
                        2.0 * c.res_blocks as f64 * 2.0 * 9.0 * ch * ch
                    })
                    .sum();
                per_level + 9.0 * (c.channels * c.base) as f64
            }
        }
    }

    /// A lower bound on the bytes one forward pass over `n` inputs holds at once: the weights
    /// and two feature maps of the widest (first) layer.
    pub fn min_inference_bytes(&self, n: usize) -> f64 {
        crate::memory::floats(self.min_parameters() + 2.0 * n as f64 * self.first_features())
    }

    /// A lower bound on the bytes a training step on a batch of `batch` holds: weights,
    /// gradients and AdamW's two moments, and the first layer's activations kept for the
    /// backward pass, once per block of the network.
    pub fn min_training_bytes(&self, batch: usize) -> f64 {
        let blocks = match self {
            NetworkConfig::Mlp(c) => c.depth as f64,
            NetworkConfig::UNet(c) => 2.0 * c.res_blocks as f64,
        };
        crate::memory::floats(
            4.0 * self.min_parameters() + blocks * batch as f64 * self.first_features(),
        )
    }

    /// Values per input in the first hidden layer's output.
    fn first_features(&self) -> f64 {
        match self {
            NetworkConfig::Mlp(c) => c.width as f64,
            NetworkConfig::UNet(c) => (c.base * c.height * c.width) as f64,
        }
    }

    /// Number of classes the network is conditioned on.
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            NetworkConfig::Mlp(_) => None,
            NetworkConfig::UNet(c) => c.num_classes,
        }
    }

    /// `(channels, height, width)` for image networks.
    pub fn image_shape(&self) -> Option<[usize; 3]> {
        match self {
            NetworkConfig::Mlp(_) => None,
            NetworkConfig::UNet(c) => Some([c.channels, c.height, c.width]),
        }
    }
}

/// A network: `x: [n, d]`, `t: [n, 1]`, optional class labels `[n]` → `[n, outputs]`.
#[derive(Module, Debug)]
pub enum Network {
    Mlp(Mlp),
    UNet(UNet),
}

impl Network {
    pub fn forward(&self, x: Tensor<2>, t: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        match self {
            Network::Mlp(m) => m.forward(x, t),
            Network::UNet(u) => u.forward(x, t, labels),
        }
    }

    pub fn dim(&self) -> usize {
        match self {
            Network::Mlp(m) => m.dim(),
            Network::UNet(u) => u.dim(),
        }
    }

    /// The null-class index of a class-conditional network.
    pub fn null_class(&self) -> Option<usize> {
        match self {
            Network::UNet(u) if u.is_conditional() => Some(u.null_class()),
            _ => None,
        }
    }
}
