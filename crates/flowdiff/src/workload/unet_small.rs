//! The small conv U-Net of the performance comparison (450,721 parameters at 28×28), and its
//! two workloads: `unet-small-train` (batch 64, MSE to a fixed target, AdamW) and
//! `unet-small-forward` (batch 256, inference device).
//!
//! Layout (every 3×3 conv has padding 1; "block" = conv, GroupNorm(8), SiLU; the time
//! embedding is added, through a linear to the block's channels, after each block):
//!
//! ```text
//! t → sinusoidal(64) → linear 64 → SiLU = emb
//! 28²: block 1→32, block 32→32, + lin(emb)        = h1
//!      conv 32→64 stride 2
//! 14²: block 64→64, + lin(emb)                    = h2
//!      conv 64→128 stride 2
//!  7²: block 128→128, + lin(emb)
//!      nearest ×2, concat h2, block 192→64, + lin(emb)
//!      nearest ×2, concat h1, block 96→32, + lin(emb)
//!      conv 32→1
//! ```
//!
//! `bench/reference_torch.py` builds the same network in PyTorch.

use super::{Prepared, forward_repeat, train_repeat};
use crate::nn::conv::{Conv2d, Conv2dConfig};
use crate::nn::embedding::sinusoidal;
use crate::nn::norm_act::{GroupNorm, GroupNormConfig, silu};
use crate::nn::plane_ops::{shift_channels, upsample2};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Distribution, Tensor};

/// Sinusoidal time-embedding width (and the width of the embedding MLP).
const TIME_DIM: usize = 64;
/// GroupNorm groups.
const GROUPS: usize = 8;
/// Image side.
const SIDE: usize = 28;

/// Parameter count of [`SmallUNet`] (asserted in the tests and by `bench/ratio.py`).
pub const PARAMS: usize = 450_721;

fn conv(i: usize, o: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([i, o], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

/// Conv 3×3, GroupNorm, SiLU.
#[derive(Module, Debug)]
struct Block {
    conv: Conv2d,
    norm: GroupNorm,
}

impl Block {
    fn new(i: usize, o: usize, device: &Device) -> Self {
        Self {
            conv: conv(i, o, 1, device),
            norm: GroupNormConfig::new(GROUPS, o).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.norm.forward_silu(self.conv.forward(x))
    }
}

/// The small U-Net. Shapes: `x: [n, 1, 28, 28]`, `t: [n, 1]` → `[n, 1, 28, 28]`.
#[derive(Module, Debug)]
pub struct SmallUNet {
    time: Linear,
    enc1a: Block,
    enc1b: Block,
    t1: Linear,
    down1: Conv2d,
    enc2: Block,
    t2: Linear,
    down2: Conv2d,
    mid: Block,
    t3: Linear,
    dec2: Block,
    t4: Linear,
    dec1: Block,
    t5: Linear,
    out: Conv2d,
}

impl SmallUNet {
    pub fn new(device: &Device) -> Self {
        let lin = |o: usize| LinearConfig::new(TIME_DIM, o).init(device);
        Self {
            time: lin(TIME_DIM),
            enc1a: Block::new(1, 32, device),
            enc1b: Block::new(32, 32, device),
            t1: lin(32),
            down1: conv(32, 64, 2, device),
            enc2: Block::new(64, 64, device),
            t2: lin(64),
            down2: conv(64, 128, 2, device),
            mid: Block::new(128, 128, device),
            t3: lin(128),
            dec2: Block::new(192, 64, device),
            t4: lin(64),
            dec1: Block::new(96, 32, device),
            t5: lin(32),
            out: conv(32, 1, 1, device),
        }
    }

    pub fn forward(&self, x: Tensor<4>, t: Tensor<2>) -> Tensor<4> {
        let device = x.device();
        let emb = silu(self.time.forward(sinusoidal(t, TIME_DIM, &device)));
        let add_time = |h: Tensor<4>, lin: &Linear| shift_channels(h, lin.forward(emb.clone()));
        let h1 = add_time(self.enc1b.forward(self.enc1a.forward(x)), &self.t1);
        let h2 = add_time(self.enc2.forward(self.down1.forward(h1.clone())), &self.t2);
        let m = add_time(self.mid.forward(self.down2.forward(h2.clone())), &self.t3);
        let u2 = add_time(
            self.dec2.forward(Tensor::cat(vec![upsample2(m), h2], 1)),
            &self.t4,
        );
        let u1 = add_time(
            self.dec1.forward(Tensor::cat(vec![upsample2(u2), h1], 1)),
            &self.t5,
        );
        self.out.forward(u1)
    }
}

/// Nearest-neighbour ×2 upsampling.
fn images(n: usize, device: &Device) -> Tensor<4> {
    Tensor::random([n, 1, SIDE, SIDE], Distribution::Normal(0.0, 1.0), device)
}

fn times(n: usize, device: &Device) -> Tensor<2> {
    Tensor::random([n, 1], Distribution::Uniform(0.0, 1.0), device)
}

/// `unet-small-train`: `iters` AdamW steps per repeat on a fixed batch of 64.
pub fn train(device: &Device, iters: usize) -> Prepared {
    const BATCH: usize = 64;
    let device = device.clone().autodiff();
    let model = SmallUNet::new(&device);
    let (x, t, target) = (
        images(BATCH, &device),
        times(BATCH, &device),
        images(BATCH, &device),
    );
    train_repeat(model, BATCH, iters, move |m: &SmallUNet| {
        m.forward(x.clone(), t.clone())
            .sub(target.clone())
            .square()
            .mean()
    })
}

/// `unet-small-forward`: `iters` forward passes of a batch of 256 per repeat.
pub fn forward(device: &Device, iters: usize) -> Prepared {
    const BATCH: usize = 256;
    let model = SmallUNet::new(device);
    let params = model.num_params();
    let (x, t) = (images(BATCH, device), times(BATCH, device));
    forward_repeat(params, BATCH, iters, move || {
        model.forward(x.clone(), t.clone()).sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_parameter_count() {
        let device = Device::flex();
        let net = SmallUNet::new(&device);
        assert_eq!(net.num_params(), PARAMS);
        let y = net.forward(
            Tensor::zeros([2, 1, SIDE, SIDE], &device),
            Tensor::zeros([2, 1], &device),
        );
        assert_eq!(y.dims(), [2, 1, SIDE, SIDE]);
    }
}
