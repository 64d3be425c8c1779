//! `train --resume`: a run keeps the settings it started with (its stored configuration); only
//! `--steps` and `--checkpoint-every` change. A settings flag given again with the run's own
//! value (the same command line with `--resume` added) is accepted; one with another value, or
//! one that does not apply to the run, is refused naming the flag and both values — never
//! silently ignored.

use crate::train::Args;
use anyhow::{Result, bail};
use clap::ValueEnum;
use flowdiff::data::DataSpec;
use flowdiff::discrete::{DiscreteMethod, PriorKind};
use flowdiff::flow::TimeSampling;
use flowdiff::method::Method;
use flowdiff::models::NetworkConfig;
use flowdiff::path::PathKind;
use flowdiff::train::graph::GraphTrainConfig;
use flowdiff::train::{Optimization, TrainConfig};
use std::fmt::Debug;
use std::path::Path;

/// The settings flags that differ from the run's stored values, as `--flag given (the run
/// has stored)`.
#[derive(Default)]
struct Conflicts(Vec<String>);

impl Conflicts {
    /// Records `flag` when it was given (`given` is `Some`) and the run's value differs or
    /// the setting does not apply to the run (`stored` is `None`).
    fn check<T: PartialEq + Debug>(&mut self, flag: &str, given: Option<T>, stored: Option<T>) {
        self.check_shown(flag, given, stored, |v| format!("{v:?}"));
    }

    fn check_shown<T: PartialEq>(
        &mut self,
        flag: &str,
        given: Option<T>,
        stored: Option<T>,
        show: impl Fn(&T) -> String,
    ) {
        let Some(given) = given else { return };
        match stored {
            Some(s) if s == given => {}
            Some(s) => self.0.push(format!(
                "{flag} {} (the run has {})",
                show(&given),
                show(&s)
            )),
            None => self.0.push(format!(
                "{flag} {} (does not apply to this run)",
                show(&given)
            )),
        }
    }

    /// A choice given by name, compared by value (so aliases such as `eps` and `noise` agree).
    fn check_name<T: ValueEnum + PartialEq + Debug + std::str::FromStr>(
        &mut self,
        flag: &str,
        given: Option<&str>,
        stored: Option<T>,
    ) -> Result<()>
    where
        T::Err: std::fmt::Display,
    {
        let given = given
            .map(|g| g.parse::<T>().map_err(|e| anyhow::anyhow!("{flag}: {e}")))
            .transpose()?;
        self.check_shown(flag, given, stored, name::<T>);
        Ok(())
    }

    fn refuse(self, config: &Path) -> Result<()> {
        if !self.0.is_empty() {
            bail!(
                "{} cannot change at --resume: the run keeps the settings it started with ({}); only --steps and --checkpoint-every can change",
                self.0.join(", "),
                config.display()
            );
        }
        Ok(())
    }
}

fn name<T: ValueEnum + Debug>(v: &T) -> String {
    v.to_possible_value()
        .map_or_else(|| format!("{v:?}"), |p| p.get_name().to_string())
}

/// The flags every run kind shares: seed, batch size, learning rate, replicas.
fn check_optimization(c: &mut Conflicts, a: &Args, optim: &Optimization, batch: usize) {
    let (seed, lr) = (optim.seed, optim.lr);
    c.check("--seed", a.seed, Some(seed));
    c.check("--devices", a.devices, Some(optim.devices as u64));
    c.check("--batch-size", a.batch_size, Some(batch));
    c.check("--lr", a.lr, Some(lr));
}

/// Checks the flags given at `--resume` of a point or image run against its `cfg`.
pub fn check_run(a: &Args, cfg: &TrainConfig, config: &Path) -> Result<()> {
    let mut c = Conflicts::default();
    let stored_dir = match &cfg.data {
        DataSpec::Mnist { dir } | DataSpec::Images { dir, .. } => Some(dir.clone()),
        _ => None,
    };
    let (size, flip) = match &cfg.data {
        DataSpec::Images { size, flip, .. } => (Some(*size), Some(*flip)),
        _ => (None, None),
    };
    c.check("--image-size", a.image_size.map(|s| Some(s as usize)), size);
    c.check("--flip", a.flip.then_some(true), flip);
    let unet = match &cfg.model {
        NetworkConfig::UNet(u) if matches!(cfg.data, DataSpec::Images { .. }) => {
            Some(if u.base == 128 { "ddpm" } else { "cpu" })
        }
        _ => None,
    };
    c.check(
        "--unet",
        a.unet.map(|u| {
            if u == crate::train_images::UNetPreset::Ddpm {
                "ddpm"
            } else {
                "cpu"
            }
        }),
        unet,
    );
    if let Some(data) = a.data.as_deref() {
        let dir = a.data_dir.clone().or(stored_dir.clone());
        let mut given = DataSpec::parse_with_dir(data, dir.as_deref())?;
        // The folder is compared by itself; size and flips were checked above.
        if let (
            DataSpec::Images { size, flip, .. },
            DataSpec::Images {
                size: s, flip: f, ..
            },
        ) = (&mut given, &cfg.data)
        {
            (*size, *flip) = (*s, *f);
        }
        c.check_shown("--data", Some(given), Some(cfg.data.clone()), |d| d.label());
    } else {
        c.check_shown("--data-dir", a.data_dir.clone(), stored_dir, |d| {
            d.display().to_string()
        });
    }
    let conditional = match &cfg.model {
        NetworkConfig::UNet(u) => Some(u.num_classes.is_some()),
        NetworkConfig::Mlp(_) => None,
    };
    c.check("--conditional", a.conditional.then_some(true), conditional);
    c.check_shown(
        "--method",
        a.method.clone(),
        Some(cfg.method.name().to_string()),
        |m| m.clone(),
    );
    let (schedule, timesteps, prediction, gamma) = match &cfg.method {
        Method::Diffusion {
            schedule,
            timesteps,
            prediction,
            min_snr_gamma,
        } => (
            Some(*schedule),
            Some(*timesteps),
            Some(*prediction),
            *min_snr_gamma,
        ),
        _ => (None, None, None, None),
    };
    c.check_name("--schedule", a.schedule.as_deref(), schedule)?;
    c.check("--timesteps", a.timesteps, timesteps);
    c.check_name("--prediction", a.prediction.as_deref(), prediction)?;
    c.check("--min-snr-gamma", a.min_snr_gamma, gamma);
    let (path, coupling, times) = match &cfg.method {
        Method::Flow {
            path,
            coupling,
            time_sampling,
        } => (Some(*path), Some(*coupling), Some(*time_sampling)),
        Method::Hybrid { path, .. } => (Some(*path), None, None),
        Method::Diffusion { .. } => (None, None, None),
    };
    let given_path = a.path.as_deref().map(str::parse::<PathKind>).transpose()?;
    c.check("--path", given_path, path);
    c.check_name("--coupling", a.coupling.as_deref(), coupling)?;
    let given_times = a
        .time_sampling
        .as_deref()
        .map(str::parse::<TimeSampling>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--time-sampling: {e}"))?;
    c.check_shown("--time-sampling", given_times, times, TimeSampling::name);
    c.check_name::<PriorKind>("--prior", a.prior.as_deref(), None)?;
    let (width, depth) = match &cfg.model {
        NetworkConfig::Mlp(m) => (Some(m.width), Some(m.depth)),
        NetworkConfig::UNet(_) => (None, None),
    };
    c.check("--width", a.width, width);
    c.check("--depth", a.depth, depth);
    check_optimization(&mut c, a, &cfg.optim, cfg.batch_size);
    c.refuse(config)
}

/// Checks the flags given at `--resume` of a molecule run against its `cfg`.
pub fn check_graph_run(a: &Args, cfg: &GraphTrainConfig, config: &Path) -> Result<()> {
    let mut c = Conflicts::default();
    c.check_shown(
        "--data",
        a.data.clone(),
        Some(cfg.data.to_ascii_lowercase()),
        |d| d.clone(),
    );
    c.check_shown(
        "--data-dir",
        a.data_dir.clone(),
        Some(cfg.data_dir.clone()),
        |d| d.display().to_string(),
    );
    c.check("--conditional", a.conditional.then_some(true), None);
    let (method, timesteps) = match cfg.method {
        DiscreteMethod::Diffusion { timesteps } => ("diffusion", Some(timesteps)),
        DiscreteMethod::Flow => ("flow", None),
    };
    c.check_shown(
        "--method",
        a.method.clone(),
        Some(method.to_string()),
        |m| m.clone(),
    );
    c.check("--timesteps", a.timesteps, timesteps);
    c.check_name("--prior", a.prior.as_deref(), Some(cfg.node_prior.kind))?;
    c.check::<String>("--schedule", a.schedule.clone(), None);
    c.check::<String>("--prediction", a.prediction.clone(), None);
    c.check::<String>("--path", a.path.clone(), None);
    c.check::<String>("--coupling", a.coupling.clone(), None);
    c.check::<String>("--time-sampling", a.time_sampling.clone(), None);
    c.check::<f64>("--min-snr-gamma", a.min_snr_gamma, None);
    c.check("--width", a.width, Some(cfg.model.node_width));
    c.check("--depth", a.depth, Some(cfg.model.layers));
    check_optimization(&mut c, a, &cfg.optim, cfg.batch_size);
    c.refuse(config)
}
