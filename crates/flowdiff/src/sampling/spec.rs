//! What a user asks of a sampler ([`SamplerSpec`]: a [`SamplerKind`] and its budget), and the
//! one table of which samplers suit which method ([`SamplerKind::suits`]). Building a spec for a
//! method checks every setting and gives the [`Sampler`] to run.

use super::Sampler;
use crate::diffusion::Variance;
use crate::diffusion::karras::Churn;
use crate::error::{Error, Result};
use crate::flow::Coupling;
use crate::method::Method;
use crate::solver::{SolverKind, Tolerance};
use serde::{Deserialize, Serialize};

/// A sampler family, as named on the command line (`--sampler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SamplerKind {
    /// DDPM ancestral sampling (Ho et al. 2020, Alg. 2) over strided timesteps.
    Ddpm,
    /// DDIM (Song et al. 2021a, eq. 12) over strided timesteps; `eta` > 0 is stochastic.
    Ddim,
    /// An ODE solve in flow time: the flow's ODE or a diffusion model's probability-flow ODE.
    Ode,
    /// DPM-Solver++(2M) (Lu et al. 2022, Alg. 2).
    #[value(name = "dpm-solver++", alias = "dpmpp-2m")]
    #[serde(rename = "dpm-solver++")]
    DpmSolverPp,
    /// DPM-Solver++(3M) (Lu et al. 2022, third-order multistep): third order from the last three
    /// evaluations.
    #[value(name = "dpm-solver++3m", alias = "dpmpp-3m")]
    #[serde(rename = "dpm-solver++3m")]
    DpmSolverPp3M,
    /// UniPC (Zhao et al. 2023): a multistep predictor and a corrector that reuses the next
    /// step's evaluation.
    #[value(name = "unipc")]
    #[serde(rename = "unipc")]
    UniPc,
    /// Karras et al. 2022's Euler on the probability-flow ODE.
    Euler,
    /// Karras et al. 2022's Heun (Alg. 1).
    Heun,
    /// Euler-ancestral (stochastic).
    EulerAncestral,
    /// Karras et al. 2022's stochastic sampler (Alg. 2).
    HeunChurn,
}

crate::names::from_str_by_name!(SamplerKind, "sampler");

impl SamplerKind {
    pub const ALL: [SamplerKind; 10] = [
        Self::Ddpm,
        Self::Ddim,
        Self::Ode,
        Self::DpmSolverPp,
        Self::DpmSolverPp3M,
        Self::UniPc,
        Self::Euler,
        Self::Heun,
        Self::EulerAncestral,
        Self::HeunChurn,
    ];

    /// The name users type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ddpm => "ddpm",
            Self::Ddim => "ddim",
            Self::Ode => "ode",
            Self::DpmSolverPp => "dpm-solver++",
            Self::DpmSolverPp3M => "dpm-solver++3m",
            Self::UniPc => "unipc",
            Self::Euler => "euler",
            Self::Heun => "heun",
            Self::EulerAncestral => "euler-ancestral",
            Self::HeunChurn => "heun-churn",
        }
    }

    /// **The table of which samplers suit which method**: `Ok` when this sampler can sample a
    /// model trained by `method`, else the reason.
    ///
    /// | sampler | diffusion | flow (Gaussian path) | flow, minibatch-OT coupling | hybrid |
    /// |---|---|---|---|---|
    /// | `ddpm`, `ddim` | yes | no (discrete-time) | no | no |
    /// | `ode` | yes (probability-flow ODE) | yes | yes | yes |
    /// | σ-space samplers (`dpm-solver++`, `dpm-solver++3m`, `unipc`, `euler`, `heun`, `euler-ancestral`, `heun-churn`) | yes | yes (via the path's denoiser) | no (path not Gaussian) | yes |
    pub fn suits(self, method: &Method) -> Result<(), String> {
        let discrete_time = matches!(self, Self::Ddpm | Self::Ddim);
        match method {
            Method::Diffusion { .. } => Ok(()),
            _ if discrete_time => Err(format!(
                "{} is a discrete-time diffusion sampler; a {} model samples by its ODE (ode) \
                 or by dpm-solver++, dpm-solver++3m, unipc, euler, heun, euler-ancestral or \
                 heun-churn",
                self.name(),
                method.name()
            )),
            Method::Flow {
                coupling: Coupling::MinibatchOt,
                ..
            } if self != Self::Ode => Err(format!(
                "{} needs a Gaussian probability path, but minibatch-OT coupling makes this \
                 model's path non-Gaussian (its velocity cannot be converted to a denoiser or \
                 score); use ode",
                self.name()
            )),
            _ => Ok(()),
        }
    }
}

/// A sampler request: the family and budget a user chose, before it is fitted to a model.
/// Unset fields take the family's defaults when [built](Self::build).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerSpec {
    /// The family; default `ddpm` for diffusion (`ode` when a solver is set), `ode` otherwise.
    pub kind: Option<SamplerKind>,
    /// The ODE solver (with `ode` only); default `midpoint` with an NFE budget, else `dopri5`.
    pub solver: Option<SolverKind>,
    /// The evaluation budget of fixed-step samplers; default: all `T` steps for DDPM, 50 for
    /// DDIM, 20 for the others.
    pub nfe: Option<usize>,
    /// Stochasticity: DDIM's η (default 0) or euler-ancestral's (default 1).
    pub eta: Option<f64>,
    /// Tolerances of adaptive solvers.
    pub rtol: f64,
    pub atol: f64,
    /// DDPM's reverse variance.
    pub variance: Variance,
}

impl Default for SamplerSpec {
    fn default() -> Self {
        let tol = Tolerance::default();
        Self {
            kind: None,
            solver: None,
            nfe: None,
            eta: None,
            rtol: tol.rtol,
            atol: tol.atol,
            variance: Variance::Small,
        }
    }
}

impl SamplerSpec {
    /// `kind` with its defaults.
    pub fn new(kind: SamplerKind) -> Self {
        Self {
            kind: Some(kind),
            ..Self::default()
        }
    }

    /// An ODE solve with `solver`.
    pub fn ode(solver: SolverKind) -> Self {
        Self {
            kind: Some(SamplerKind::Ode),
            solver: Some(solver),
            ..Self::default()
        }
    }

    pub fn with_nfe(mut self, nfe: usize) -> Self {
        self.nfe = Some(nfe);
        self
    }

    pub fn with_eta(mut self, eta: f64) -> Self {
        self.eta = Some(eta);
        self
    }

    pub fn with_tolerance(mut self, rtol: f64, atol: f64) -> Self {
        self.rtol = rtol;
        self.atol = atol;
        self
    }

    /// The sampler this spec asks for on a model trained by `method`, every setting checked.
    pub fn build(&self, method: &Method) -> Result<Sampler> {
        let is_diffusion = matches!(method, Method::Diffusion { .. });
        let timesteps = method.schedule().map_or(0, |s| s.len());
        let kind = self
            .kind
            .unwrap_or(if is_diffusion && self.solver.is_none() {
                SamplerKind::Ddpm
            } else {
                SamplerKind::Ode
            });
        kind.suits(method)
            .map_err(|r| Error::invalid("sampler", r))?;
        if self.solver.is_some() && kind != SamplerKind::Ode {
            return Err(Error::invalid(
                "solver",
                format!("a solver applies to the ode sampler, not {}", kind.name()),
            ));
        }
        if self.nfe == Some(0) {
            return Err(Error::invalid("nfe", "must be at least 1"));
        }
        if let Some(eta) = self.eta {
            let stochastic = matches!(kind, SamplerKind::Ddim | SamplerKind::EulerAncestral);
            if !stochastic && eta != 0.0 {
                return Err(Error::invalid(
                    "eta",
                    format!("applies to ddim and euler-ancestral, not {}", kind.name()),
                ));
            }
            if !(eta.is_finite() && eta >= 0.0) {
                return Err(Error::invalid(
                    "eta",
                    format!("must be finite and ≥ 0, got {eta}"),
                ));
            }
        }
        let budget = self.nfe.unwrap_or(20);
        Ok(match kind {
            SamplerKind::Ddpm => Sampler::Ddpm {
                steps: steps_within(self.nfe.unwrap_or(timesteps), timesteps)?,
                variance: self.variance,
            },
            SamplerKind::Ddim => Sampler::Ddim {
                steps: steps_within(self.nfe.unwrap_or(50), timesteps)?,
                eta: self.eta.unwrap_or(0.0),
            },
            SamplerKind::Ode => {
                let solver = self.solver.unwrap_or(if self.nfe.is_some() {
                    SolverKind::Midpoint
                } else {
                    SolverKind::Dopri5
                });
                if solver.is_adaptive() {
                    if self.nfe.is_some() {
                        return Err(Error::invalid(
                            "nfe",
                            format!(
                                "does not apply to the adaptive solver {}; set rtol/atol",
                                solver.name()
                            ),
                        ));
                    }
                    let tol = Tolerance {
                        rtol: self.rtol,
                        atol: self.atol,
                        ..Tolerance::default()
                    };
                    tol.check()?;
                }
                // A diffusion model's PF-ODE spends one extra evaluation on the final denoise.
                let budget = budget.saturating_sub(usize::from(is_diffusion)).max(1);
                let stages = solver.tableau().stages();
                if !solver.is_adaptive() && budget < stages {
                    return Err(Error::invalid(
                        "nfe",
                        format!(
                            "{} takes {stages} evaluations per step; a budget of {} fits no step",
                            solver.name(),
                            self.nfe.unwrap_or(20)
                        ),
                    ));
                }
                Sampler::Ode {
                    solver,
                    steps: solver.steps_for_nfe(budget),
                    rtol: self.rtol,
                    atol: self.atol,
                }
            }
            SamplerKind::DpmSolverPp => Sampler::DpmSolverPp { steps: budget },
            SamplerKind::DpmSolverPp3M => Sampler::DpmSolverPp3M { steps: budget },
            SamplerKind::UniPc => Sampler::UniPc { steps: budget },
            SamplerKind::Euler => Sampler::Euler { steps: budget },
            SamplerKind::Heun => Sampler::Heun {
                steps: budget.div_ceil(2).max(1),
            },
            SamplerKind::EulerAncestral => Sampler::EulerAncestral {
                steps: budget,
                eta: self.eta.unwrap_or(1.0),
            },
            SamplerKind::HeunChurn => Sampler::HeunChurn {
                steps: budget.div_ceil(2).max(1),
                churn: Churn::default(),
            },
        })
    }
}

/// A discrete-time step count: at least 1, at most the schedule's `T`.
fn steps_within(steps: usize, timesteps: usize) -> Result<usize> {
    if steps > timesteps {
        return Err(Error::invalid(
            "nfe",
            format!("{steps} steps asked of a schedule with T = {timesteps}"),
        ));
    }
    Ok(steps.max(1))
}
