//! The MLP for points: `[x, emb(tau)] → width → … → width → d`, SiLU activations.

use crate::nn::embedding::sinusoidal;
use crate::nn::mlp_chain::{Activation, mlp_chain};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of an [`Mlp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Data dimension `d` (input and output).
    pub dim: usize,
    /// Hidden width.
    pub width: usize,
    /// Number of hidden layers (each `width` wide).
    pub depth: usize,
    /// Sinusoidal time-embedding size (even).
    pub time_dim: usize,
    /// Number of outputs (a multiple of `dim`; 2·dim for a two-headed hybrid).
    pub outputs: usize,
}

impl MlpConfig {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            width: 256,
            depth: 3,
            time_dim: 64,
            outputs: dim,
        }
    }

    pub fn init(&self, device: &Device) -> Mlp {
        assert!(self.depth >= 1, "an MLP needs at least one hidden layer");
        Mlp {
            input: LinearConfig::new(self.dim + self.time_dim, self.width).init(device),
            hidden: (1..self.depth)
                .map(|_| LinearConfig::new(self.width, self.width).init(device))
                .collect(),
            output: LinearConfig::new(self.width, self.outputs).init(device),
            dim: self.dim,
            time_dim: self.time_dim,
        }
    }
}

/// A time-conditioned MLP. Shapes: `x: [n, dim]`, `t: [n, 1]` → `[n, outputs]`.
#[derive(Module, Debug)]
pub struct Mlp {
    input: Linear,
    hidden: Vec<Linear>,
    output: Linear,
    dim: usize,
    time_dim: usize,
}

impl Mlp {
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn forward(&self, x: Tensor<2>, t: Tensor<2>) -> Tensor<2> {
        let device = x.device();
        let emb = sinusoidal(t, self.time_dim, &device);
        let layers: Vec<&Linear> = std::iter::once(&self.input)
            .chain(&self.hidden)
            .chain([&self.output])
            .collect();
        mlp_chain(&layers, Activation::Silu, Tensor::cat(vec![x, emb], 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_parameter_count() {
        let device = Device::flex();
        let cfg = MlpConfig::new(2);
        let net = cfg.init(&device);
        let y = net.forward(
            Tensor::zeros([5, 2], &device),
            Tensor::zeros([5, 1], &device),
        );
        assert_eq!(y.dims(), [5, 2]);
        // (2+64)·256+256 + 2·(256·256+256) + 256·2+2
        assert_eq!(
            net.num_params(),
            66 * 256 + 256 + 2 * (256 * 256 + 256) + 256 * 2 + 2
        );
    }
}
