//! The flags of `train` that choose the method (`--method`, `--schedule`, `--prediction`,
//! `--path`, `--coupling`, `--time-sampling`, `--min-snr-gamma`, ...): which apply to which
//! method, their defaults, and the picture recipe's defaults.

use crate::train::Args;
use anyhow::{Result, bail};
use flowdiff::convert::Prediction;
use flowdiff::flow::{Coupling, TimeSampling};
use flowdiff::method::Method;
use flowdiff::path::PathKind;
use flowdiff::schedule::ScheduleKind;

/// The flags that choose the method, each `None` when not given.
#[derive(Clone, Copy, Default)]
pub struct MethodFlags<'a> {
    pub method: Option<&'a str>,
    pub schedule: Option<&'a str>,
    pub timesteps: Option<usize>,
    pub prediction: Option<&'a str>,
    pub path: Option<&'a str>,
    pub coupling: Option<&'a str>,
    pub time_sampling: Option<&'a str>,
    pub min_snr_gamma: Option<f64>,
}

impl<'a> MethodFlags<'a> {
    pub(crate) fn of(a: &'a Args) -> Self {
        Self {
            method: a.method.as_deref(),
            schedule: a.schedule.as_deref(),
            timesteps: a.timesteps,
            prediction: a.prediction.as_deref(),
            path: a.path.as_deref(),
            coupling: a.coupling.as_deref(),
            time_sampling: a.time_sampling.as_deref(),
            min_snr_gamma: a.min_snr_gamma,
        }
    }

    /// The picture recipe's defaults for what the user left unset, each measured on MNIST in
    /// `docs/results.md`: flow draws its times logit-normal (Esser et al. 2024, §3.1: 1.64× →
    /// 1.29× the FID floor at 30 minutes); diffusion predicts v (Salimans & Ho 2022) on the
    /// cosine schedule (Nichol & Dhariwal 2021).
    pub fn image_recipe(mut self) -> Self {
        match self.method.unwrap_or("flow") {
            "flow" => {
                self.time_sampling = self.time_sampling.or(Some("logit-normal"));
            }
            "diffusion" => {
                self.prediction = self.prediction.or(Some("v"));
                self.schedule = self.schedule.or(Some("cosine"));
            }
            _ => {}
        }
        self
    }

    /// Refuses the flags among `flags` that were given, as not applying to `method`.
    fn refuse(&self, method: &str, flags: &[&str]) -> Result<()> {
        let given = |f: &str| match f {
            "--schedule" => self.schedule.is_some(),
            "--timesteps" => self.timesteps.is_some(),
            "--prediction" => self.prediction.is_some(),
            "--path" => self.path.is_some(),
            "--coupling" => self.coupling.is_some(),
            "--time-sampling" => self.time_sampling.is_some(),
            "--min-snr-gamma" => self.min_snr_gamma.is_some(),
            _ => false,
        };
        let wrong: Vec<&str> = flags.iter().copied().filter(|f| given(f)).collect();
        if !wrong.is_empty() {
            bail!("{} to --method {method}", do_not_apply(&wrong));
        }
        Ok(())
    }
}

/// The method the flags choose (default flow); a flag that does not apply to it is refused.
pub fn method_from(f: &MethodFlags) -> Result<Method> {
    let method = f.method.unwrap_or("flow");
    Ok(match method {
        "diffusion" => {
            f.refuse(method, &["--path", "--coupling", "--time-sampling"])?;
            let prediction = str::parse::<Prediction>(f.prediction.unwrap_or("eps"))
                .map_err(|e| anyhow::anyhow!("--prediction: {e}"))?;
            if !matches!(
                prediction,
                Prediction::Noise | Prediction::V | Prediction::Data
            ) {
                bail!("--prediction: diffusion trains eps, v or x0");
            }
            let timesteps = f.timesteps.unwrap_or(1000);
            if timesteps < 2 {
                bail!("--timesteps must be at least 2");
            }
            let schedule = str::parse::<ScheduleKind>(f.schedule.unwrap_or("linear"))
                .map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
            if let Some(g) = f.min_snr_gamma.filter(|g| !(g.is_finite() && *g > 0.0)) {
                bail!("--min-snr-gamma must be finite and positive, got {g}");
            }
            Method::Diffusion {
                schedule,
                timesteps,
                prediction,
                min_snr_gamma: f.min_snr_gamma,
            }
        }
        "hybrid" => {
            f.refuse(
                method,
                &[
                    "--schedule",
                    "--timesteps",
                    "--prediction",
                    "--coupling",
                    "--time-sampling",
                    "--min-snr-gamma",
                ],
            )?;
            let path = match f.path {
                None => PathKind::vp(),
                Some(name) => {
                    str::parse::<PathKind>(name).map_err(|e| anyhow::anyhow!("--path: {e}"))?
                }
            };
            if path == PathKind::cond_ot() {
                bail!(
                    "--path cond-ot: the hybrid needs the vp path (its noise head's implied velocity is infinite at tau = 0 on cond-ot)"
                );
            }
            Method::Hybrid {
                path,
                noise_weight: 0.5,
            }
        }
        "flow" => {
            f.refuse(
                method,
                &[
                    "--schedule",
                    "--timesteps",
                    "--prediction",
                    "--min-snr-gamma",
                ],
            )?;
            Method::Flow {
                path: str::parse::<PathKind>(f.path.unwrap_or("cond-ot"))
                    .map_err(|e| anyhow::anyhow!("--path: {e}"))?,
                coupling: str::parse::<Coupling>(f.coupling.unwrap_or("independent"))
                    .map_err(|e| anyhow::anyhow!("--coupling: {e}"))?,
                time_sampling: str::parse::<TimeSampling>(f.time_sampling.unwrap_or("uniform"))
                    .map_err(|e| anyhow::anyhow!("--time-sampling: {e}"))?,
            }
        }
        other => bail!("--method {other:?}: expected diffusion, flow or hybrid"),
    })
}

/// "--a does not apply" or "--a, --b do not apply".
pub(crate) fn do_not_apply(flags: &[&str]) -> String {
    let verb = if flags.len() == 1 { "does" } else { "do" };
    format!("{} {verb} not apply", flags.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(flags: MethodFlags) -> Method {
        method_from(&flags.image_recipe()).unwrap()
    }

    #[test]
    fn pictures_default_to_the_measured_recipe_and_keep_what_is_given() {
        let flow = method(MethodFlags::default());
        assert!(
            matches!(flow, Method::Flow { time_sampling, .. } if time_sampling == TimeSampling::logit_normal()),
            "{flow:?}"
        );
        let diffusion = MethodFlags {
            method: Some("diffusion"),
            ..Default::default()
        };
        assert!(
            matches!(
                method(diffusion),
                Method::Diffusion {
                    prediction: Prediction::V,
                    schedule: ScheduleKind::Cosine,
                    min_snr_gamma: None,
                    ..
                }
            ),
            "{:?}",
            method(diffusion)
        );
        let given = MethodFlags {
            method: Some("diffusion"),
            prediction: Some("eps"),
            schedule: Some("linear"),
            ..Default::default()
        };
        assert!(matches!(
            method(given),
            Method::Diffusion {
                prediction: Prediction::Noise,
                schedule: ScheduleKind::Linear,
                ..
            }
        ));
        let uniform = MethodFlags {
            time_sampling: Some("uniform"),
            ..Default::default()
        };
        assert!(matches!(
            method(uniform),
            Method::Flow {
                time_sampling: TimeSampling::Uniform,
                ..
            }
        ));
        // Points keep the plain defaults.
        assert!(matches!(
            method_from(&MethodFlags::default()).unwrap(),
            Method::Flow {
                time_sampling: TimeSampling::Uniform,
                ..
            }
        ));
    }
}
