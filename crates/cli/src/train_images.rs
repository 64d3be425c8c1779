//! `train --data images`: the settings of a run on a folder of pictures (size, flips, U-Net),
//! and the refusal of image flags for other data.

use crate::train::Args;
use anyhow::{Result, bail};
use flowdiff::data::{DataSpec, PointSource};
use flowdiff::method::Method;
use flowdiff::models::UNetConfig;
use flowdiff::train::TrainConfig;

/// Which U-Net a picture run trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UNetPreset {
    /// A few million parameters, sized for a CPU ([`UNetConfig::for_images`]).
    Cpu,
    /// Ho et al. 2020's CIFAR-10 network ([`UNetConfig::ddpm`]), for a GPU.
    Ddpm,
}

/// Refuses `--image-size`, `--flip` and `--unet` for data that is not a folder of pictures.
pub fn refuse_image_flags(a: &Args, data: &DataSpec) -> Result<()> {
    if matches!(data, DataSpec::Images { .. }) {
        return Ok(());
    }
    let wrong: Vec<&str> = [
        ("--image-size", a.image_size.is_some()),
        ("--flip", a.flip),
        ("--unet", a.unet.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if !wrong.is_empty() {
        bail!(
            "{} to {} (they are for --data images)",
            crate::method_flags::do_not_apply(&wrong),
            data.label()
        );
    }
    Ok(())
}

/// The configuration of a new run on the pictures of `data` (read once here to learn their
/// shape and classes).
pub fn config(a: &Args, data: DataSpec, method: Method) -> Result<TrainConfig> {
    let DataSpec::Images { dir, .. } = data else {
        bail!("not a folder of pictures: {}", data.label());
    };
    let data = DataSpec::Images {
        dir,
        size: a.image_size.map(|s| s as usize),
        flip: a.flip,
    };
    crate::train::refuse_mlp_flags(a, "pictures (choose the U-Net with --unet cpu|ddpm)")?;
    let PointSource::Images(set) = data.open()? else {
        bail!("{} did not open as pictures", data.label());
    };
    let classes = match (a.conditional, set.classes.len()) {
        (false, _) => None,
        (true, k) if k >= 2 => Some(k),
        (true, k) => bail!(
            "--conditional needs pictures in two or more class folders; {} has {k}",
            data.label()
        ),
    };
    let shape = set.shape;
    let unet = match a.unet.unwrap_or(UNetPreset::Cpu) {
        UNetPreset::Cpu => UNetConfig::for_images(shape, classes),
        UNetPreset::Ddpm => UNetConfig::ddpm(shape, classes),
    };
    println!(
        "{}: {} pictures of {}×{}×{}{}",
        data.label(),
        set.len(),
        shape[0],
        shape[1],
        shape[2],
        if set.labelled() {
            format!(
                " in {} classes ({})",
                set.classes.len(),
                set.classes.join(", ")
            )
        } else {
            String::new()
        }
    );
    let cfg = TrainConfig::images_with(data, method, unet);
    cfg.validate()?;
    Ok(cfg)
}
