//! Device selection. flowdiff code is backend-agnostic: burn 0.22 dispatches every tensor
//! operation on the [`Device`] it lives on, so choosing a device is the only backend choice.

use crate::error::{Result, bail};
use burn::tensor::Device;

/// A device chosen by name, with what the benchmarks report about it.
#[derive(Clone, Debug)]
pub struct Selected {
    pub device: Device,
    /// burn backend: `flex`, `tch` or `wgpu`.
    pub backend: &'static str,
    /// `cpu` or `gpu`.
    pub kind: &'static str,
}

impl Selected {
    /// Threads of the backend's CPU pool (`None` on a GPU).
    pub fn threads(&self) -> Option<usize> {
        match (self.backend, self.kind) {
            ("flex", _) => Some(rayon::current_num_threads()),
            #[cfg(feature = "tch")]
            ("tch", "cpu") => Some(tch::get_num_threads() as usize),
            _ => None,
        }
    }

    /// Sets the size of the backend's CPU thread pool (before its first use, for `flex`).
    pub fn set_threads(&self, n: usize) -> Result<()> {
        match self.backend {
            "flex" => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .map_err(|e| crate::error::err!("setting {n} threads: {e}")),
            #[cfg(feature = "tch")]
            "tch" => {
                tch::set_num_threads(n as i32);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Runs `f` on a worker thread of rayon's global pool, the flex backend's CPU pool (started
/// here if nothing has used it yet). Every flex op and fused kernel opens a rayon parallel
/// region; opened from a pool worker, its tasks are pushed to that worker's deque and the
/// worker takes part, where from any other thread each region is handed to the pool and the
/// caller sleeps on a futex until it is done: two thread wake-ups per region (3–5% of an MLP
/// train step).
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Device names this build knows, for `--device`.
pub const NAMES: &[&str] = &[
    "cpu",
    #[cfg(feature = "tch")]
    "tch",
    #[cfg(feature = "tch")]
    "tch-cuda",
    #[cfg(feature = "wgpu")]
    "wgpu",
];

/// The device called `name`: `cpu` (alias `flex`, burn's pure-Rust backend, always built);
/// `tch` / `libtorch` (LibTorch on the CPU) and `tch-cuda` with the `tch` feature; `wgpu` (the
/// default GPU adapter) with the `wgpu` feature.
pub fn select(name: &str) -> Result<Selected> {
    let (device, backend, kind) = match name {
        "cpu" | "flex" => (Device::flex(), "flex", "cpu"),
        #[cfg(feature = "tch")]
        #[allow(deprecated)] // burn 0.22 deprecates burn-tch, but keeps it working
        "tch" | "libtorch" => (Device::libtorch(), "tch", "cpu"),
        #[cfg(feature = "tch")]
        #[allow(deprecated)]
        "tch-cuda" | "libtorch-cuda" => (Device::libtorch_cuda(0), "tch", "gpu"),
        #[cfg(feature = "wgpu")]
        "wgpu" => (
            Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            "wgpu",
            "gpu",
        ),
        other => bail!(
            "device {other:?} is not available in this build (known: {}); the GPU and \
             LibTorch backends are enabled by cargo features (tch, wgpu)",
            NAMES.join(", ")
        ),
    };
    Ok(Selected {
        device,
        backend,
        kind,
    })
}

/// The device called `name` (see [`select`]).
pub fn by_name(name: &str) -> Result<Device> {
    select(name).map(|s| s.device)
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
