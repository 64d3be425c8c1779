//! The default MNIST U-Net ([`UNetConfig::mnist`], unconditional) as workloads: `unet-train`
//! (batch 128, MSE to a fixed target, AdamW; dropout active) and `unet-forward` (batch 256 on
//! the inference device); and the CPU colour U-Net for 32×32 RGB pictures
//! ([`UNetConfig::for_images`] for `[3, 32, 32]`: 64-128-128 channels, attention at 8×8) as
//! `unet-rgb-train` (batch 64, one CIFAR-10 training step's shapes).

use super::{Prepared, forward_repeat, train_repeat};
use crate::models::{UNet, UNetConfig};
use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

fn batch(n: usize, d: usize, device: &Device) -> (Tensor<2>, Tensor<2>) {
    (
        Tensor::random([n, d], Distribution::Normal(0.0, 1.0), device),
        Tensor::random([n, 1], Distribution::Uniform(0.0, 1.0), device),
    )
}

/// `unet-train`: `iters` AdamW steps per repeat on a fixed batch of 128.
pub fn train(device: &Device, iters: usize) -> Prepared {
    train_steps(&UNetConfig::mnist(None), 128, device, iters)
}

/// `unet-rgb-train`: `iters` AdamW steps per repeat on a fixed batch of 64 colour pictures.
pub fn train_rgb(device: &Device, iters: usize) -> Prepared {
    train_steps(
        &UNetConfig::for_images([3, 32, 32], None),
        64,
        device,
        iters,
    )
}

/// `iters` AdamW steps per repeat of the U-Net `cfg` on a fixed batch, MSE to a fixed target.
fn train_steps(cfg: &UNetConfig, n: usize, device: &Device, iters: usize) -> Prepared {
    let device = device.clone().autodiff();
    let model: UNet = cfg.init(&device);
    let (x, t) = batch(n, cfg.dim(), &device);
    let target = batch(n, cfg.dim(), &device).0;
    train_repeat(model, n, iters, move |m: &UNet| {
        m.forward(x.clone(), t.clone(), None)
            .sub(target.clone())
            .square()
            .mean()
    })
}

/// `unet-forward`: `iters` forward passes of a batch of 256 per repeat.
pub fn forward(device: &Device, iters: usize) -> Prepared {
    const BATCH: usize = 256;
    let cfg = UNetConfig::mnist(None);
    let model: UNet = cfg.init(device);
    let params = model.num_params();
    let (x, t) = batch(BATCH, cfg.dim(), device);
    forward_repeat(params, BATCH, iters, move || {
        model.forward(x.clone(), t.clone(), None).sum()
    })
}
