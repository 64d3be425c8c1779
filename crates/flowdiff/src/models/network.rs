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
