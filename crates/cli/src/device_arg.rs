//! `--device`, shared by every command that computes.

use anyhow::Result;
use flowdiff::Device;

#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArg {
    /// Where to compute: cpu (burn's flex backend, always built), wgpu (a GPU through
    /// Vulkan/Metal; build with --features wgpu), tch or tch-cuda (LibTorch; --features tch).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl DeviceArg {
    /// The chosen device; an error names the devices this build has.
    pub fn get(&self) -> Result<Device> {
        Ok(flowdiff::device::select(&self.device)?.device)
    }
}
