//! Choosing and running a sampler for a trained run: the one place that knows which
//! samplers apply to which method.

use crate::diffusion::{Variance, ddim, ddpm, probability_flow};
use crate::flow::sample_ode;
use crate::method::Method;
use crate::models::Model;
use crate::rng::SeededRng;
use crate::solver::{Solution, SolveOptions, SolverKind, Tolerance};
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// A sampler and its budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "sampler")]
pub enum Sampler {
    /// DDPM ancestral sampling over `steps` strided timesteps (diffusion only).
    Ddpm { steps: usize, variance: Variance },
    /// DDIM over `steps` strided timesteps (diffusion only).
    Ddim { steps: usize, eta: f64 },
    /// An ODE solve: the flow ODE, or a diffusion model's probability-flow ODE.
    Ode {
        solver: SolverKind,
        steps: usize,
        rtol: f64,
        atol: f64,
    },
}

impl Sampler {
    /// Builds a sampler from CLI-style choices. `nfe` is the evaluation budget (fixed-step
    /// methods); adaptive solvers use `rtol`/`atol` instead.
    pub fn parse(
        method: &Method,
        sampler: Option<&str>,
        solver: Option<&str>,
        nfe: Option<usize>,
        eta: f64,
        rtol: f64,
        atol: f64,
    ) -> Result<Self> {
        let is_diffusion = matches!(method, Method::Diffusion { .. });
        let timesteps = method.schedule().map_or(0, |s| s.len());
        let sampler = sampler.unwrap_or(if is_diffusion && solver.is_none() {
            "ddpm"
        } else {
            "ode"
        });
        match sampler {
            "ddpm" | "ddim" if !is_diffusion => bail!(
                "--sampler {sampler} is a diffusion sampler; a {} model samples by its ODE (--sampler ode --solver ...)",
                method.name()
            ),
            "ddpm" => Ok(Sampler::Ddpm {
                steps: nfe.unwrap_or(timesteps).clamp(1, timesteps),
                variance: Variance::Small,
            }),
            "ddim" => Ok(Sampler::Ddim {
                steps: nfe.unwrap_or(50).clamp(1, timesteps),
                eta,
            }),
            "ode" => {
                let default = if nfe.is_some() { "midpoint" } else { "dopri5" };
                let solver = SolverKind::from_name(solver.unwrap_or(default))?;
                if solver.is_adaptive() && nfe.is_some() {
                    bail!(
                        "--nfe does not apply to the adaptive solver {}; set --rtol/--atol",
                        solver.name()
                    );
                }
                // A diffusion model's PF-ODE spends one extra evaluation on the final denoise.
                let budget = nfe
                    .unwrap_or(20)
                    .saturating_sub(usize::from(is_diffusion))
                    .max(1);
                Ok(Sampler::Ode {
                    solver,
                    steps: solver.steps_for_nfe(budget),
                    rtol,
                    atol,
                })
            }
            other => bail!("unknown --sampler {other:?} (known: ddpm, ddim, ode)"),
        }
    }

    /// A short label such as `ddim-50` or `midpoint-10`.
    pub fn label(&self) -> String {
        match self {
            Sampler::Ddpm { steps, .. } => format!("ddpm-{steps}"),
            Sampler::Ddim { steps, eta } if *eta == 0.0 => format!("ddim-{steps}"),
            Sampler::Ddim { steps, eta } => format!("ddim-{steps}-eta{eta}"),
            Sampler::Ode { solver, steps, .. } if !solver.is_adaptive() => {
                format!("{}-{steps}", solver.name())
            }
            Sampler::Ode { solver, rtol, .. } => format!("{}-rtol{rtol:e}", solver.name()),
        }
    }

    /// Draws `n` samples from `model` (trained by `method`).
    pub fn run(
        &self,
        method: &Method,
        model: &dyn Model,
        n: usize,
        rng: &mut SeededRng,
        record: bool,
    ) -> Result<Solution> {
        Ok(match (*self, method.schedule()) {
            (Sampler::Ddpm { steps, variance }, Some(s)) => {
                ddpm(model, &s, &s.strided(steps), variance, n, rng, record)
            }
            (Sampler::Ddim { steps, eta }, Some(s)) => {
                ddim(model, &s, &s.strided(steps), eta, n, rng, record)
            }
            (
                Sampler::Ode {
                    solver,
                    steps,
                    rtol,
                    atol,
                },
                schedule,
            ) => {
                let opts = SolveOptions {
                    solver,
                    steps,
                    tol: Tolerance {
                        rtol,
                        atol,
                        ..Default::default()
                    },
                    record,
                };
                match schedule {
                    Some(s) => probability_flow(model, &s, &opts, n, rng),
                    None => sample_ode(model, method.path().as_ref(), n, &opts, rng),
                }
            }
            (other, None) => bail!("{} needs a diffusion model", other.label()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals() {
        let (d, f) = (Method::diffusion(), Method::flow());
        assert_eq!(
            Sampler::parse(&d, None, None, None, 0.0, 1e-5, 1e-5)
                .unwrap()
                .label(),
            "ddpm-1000"
        );
        assert_eq!(
            Sampler::parse(&d, Some("ddim"), None, None, 0.0, 1e-5, 1e-5)
                .unwrap()
                .label(),
            "ddim-50"
        );
        assert_eq!(
            Sampler::parse(&f, None, None, Some(20), 0.0, 1e-5, 1e-5)
                .unwrap()
                .label(),
            "midpoint-10"
        );
        assert_eq!(
            Sampler::parse(&f, None, None, None, 0.0, 1e-5, 1e-5)
                .unwrap()
                .label(),
            "dopri5-rtol1e-5"
        );
        assert_eq!(
            Sampler::parse(&d, None, Some("heun"), Some(21), 0.0, 1e-5, 1e-5)
                .unwrap()
                .label(),
            "heun-10"
        );
        let err = Sampler::parse(&f, Some("ddpm"), None, None, 0.0, 1e-5, 1e-5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("diffusion sampler"), "{err}");
        assert!(Sampler::parse(&f, None, Some("dopri5"), Some(10), 0.0, 1e-5, 1e-5).is_err());
        assert!(Sampler::parse(&f, None, Some("rk9"), None, 0.0, 1e-5, 1e-5).is_err());
    }
}
