//! The CPU colour U-Net for 32×32 RGB pictures ([`UNetConfig::for_images`] for `[3, 32, 32]`,
//! unconditional: 64-128-128 channels, attention at 8×8, dropout 0.1) as the workload
//! `unet-rgb-train`: AdamW steps on a fixed batch of 64, MSE to a fixed target — one CIFAR-10
//! training step's shapes.

use super::{Prepared, train_repeat};
use crate::models::{UNet, UNetConfig};
use burn::tensor::{Device, Distribution, Tensor};

/// `unet-rgb-train`: `iters` AdamW steps per repeat on a fixed batch of 64.
pub fn train(device: &Device, iters: usize) -> Prepared {
    const BATCH: usize = 64;
    let device = device.clone().autodiff();
    let cfg = UNetConfig::for_images([3, 32, 32], None);
    let model: UNet = cfg.init(&device);
    let normal = || Tensor::random([BATCH, cfg.dim()], Distribution::Normal(0.0, 1.0), &device);
    let (x, target) = (normal(), normal());
    let t = Tensor::random([BATCH, 1], Distribution::Uniform(0.0, 1.0), &device);
    train_repeat(model, BATCH, iters, move |m: &UNet| {
        m.forward(x.clone(), t.clone(), None)
            .sub(target.clone())
            .square()
            .mean()
    })
}
