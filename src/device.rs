//! Device selection. flowdiff code is backend-agnostic: burn 0.22 dispatches every tensor
//! operation on the [`Device`] it lives on, so choosing a device is the only backend choice.

use anyhow::{Result, bail};
use burn::tensor::Device;

/// The inference device for `name` (`cpu` is burn's pure-Rust `flex` backend).
pub fn by_name(name: &str) -> Result<Device> {
    match name {
        "cpu" | "flex" => Ok(Device::flex()),
        other => bail!(
            "--device {other:?} is not available in this build (known: cpu); \
             GPU backends are enabled by cargo features"
        ),
    }
}

/// The default inference device (CPU, `flex`).
pub fn default() -> Device {
    Device::flex()
}

/// Host `Vec<f32>` of a tensor (any rank), in row-major order.
pub fn to_vec<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 tensor data")
}

/// A `[n, d]` tensor from row-major host values.
pub fn tensor2(values: Vec<f32>, n: usize, d: usize, device: &Device) -> burn::tensor::Tensor<2> {
    burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(values, [n, d]), device)
}
