//! Choosing and running a sampler for a trained run: the one place that knows which
//! samplers apply to which method.

mod net_model;
mod spec;
pub use net_model::NetModel;
pub use spec::{SamplerKind, SamplerSpec};

use crate::diffusion::denoiser::{SigmaDenoiser, karras_sigmas, logsnr_sigmas};
use crate::diffusion::karras::{self, Churn};
use crate::diffusion::multistep;
use crate::diffusion::{Variance, ddim, ddpm, probability_flow};
use crate::error::{Error, Result, bail};
use crate::flow::sample_ode;
use crate::method::Method;
use crate::models::Model;
use crate::rng::SeededRng;
use crate::solver::{Solution, SolveOptions, SolverKind, Tolerance};
use serde::{Deserialize, Serialize};

/// A sampler and its budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "sampler")]
pub enum Sampler {
    /// DDPM ancestral sampling over `steps` strided timesteps (diffusion only).
    Ddpm { steps: usize, variance: Variance },
    /// DDIM over `steps` strided timesteps (diffusion only).
    Ddim { steps: usize, eta: f64 },
    /// An ODE solve in flow time: the flow ODE, or a diffusion model's probability-flow ODE.
    Ode {
        solver: SolverKind,
        steps: usize,
        rtol: f64,
        atol: f64,
    },
    /// DPM-Solver++(2M) on noise levels uniform in logSNR.
    DpmSolverPp { steps: usize },
    /// DPM-Solver++(3M) on noise levels uniform in logSNR.
    DpmSolverPp3M { steps: usize },
    /// UniPC (predictor of order [`UNIPC_ORDER`] + corrector) on noise levels uniform in logSNR.
    UniPc { steps: usize },
    /// Karras et al.'s Euler on the probability-flow ODE.
    Euler { steps: usize },
    /// Karras et al.'s Heun (Alg. 1).
    Heun { steps: usize },
    /// Euler-ancestral (stochastic).
    EulerAncestral { steps: usize, eta: f64 },
    /// Karras et al.'s stochastic sampler (Alg. 2).
    HeunChurn { steps: usize, churn: Churn },
}

/// The predictor order of [`Sampler::UniPc`]: 2, with the corrector third-order overall
/// (Zhao et al. 2023 and diffusers' `UniPCMultistepScheduler` default for guided sampling).
pub const UNIPC_ORDER: usize = 2;

/// Karras et al.'s ρ for the noise levels (their eq. 5).
pub const RHO: f64 = 7.0;

/// The largest noise level the σ-space samplers start from (Karras et al. use σ_max = 80): a
/// cond-OT path reaches σ = 999 at tau = 0.001, which would spend steps where the data is
/// invisible under the noise.
pub const SIGMA_MAX_CAP: f64 = 80.0;

impl Sampler {
    /// A short label: the [`Sampler::family`] and its step count, e.g. `ddim-50`,
    /// `ode-midpoint-10` (10 steps, 20 NFE), `edm-heun-10`; adaptive solvers show `rtol`.
    pub fn label(&self) -> String {
        match self {
            Sampler::Ddim { steps, eta } if *eta != 0.0 => format!("ddim-eta{eta}-{steps}"),
            Sampler::Ode { solver, rtol, .. } if solver.is_adaptive() => {
                format!("ode-{}-rtol{rtol:e}", solver.name())
            }
            other => format!("{}-{}", other.family(), other.steps()),
        }
    }

    /// The sampler without its budget: `ddpm`, `ddim`, `ode-<solver>`, `dpm-solver++`,
    /// `dpm-solver++3m`, `unipc`, `edm-euler`, `edm-heun`, `euler-ancestral`, `heun-churn`.
    pub fn family(&self) -> String {
        match self {
            Sampler::Ddpm { .. } => "ddpm".into(),
            Sampler::Ddim { .. } => "ddim".into(),
            Sampler::Ode { solver, .. } => format!("ode-{}", solver.name()),
            Sampler::DpmSolverPp { .. } => "dpm-solver++".into(),
            Sampler::DpmSolverPp3M { .. } => "dpm-solver++3m".into(),
            Sampler::UniPc { .. } => "unipc".into(),
            Sampler::Euler { .. } => "edm-euler".into(),
            Sampler::Heun { .. } => "edm-heun".into(),
            Sampler::EulerAncestral { .. } => "euler-ancestral".into(),
            Sampler::HeunChurn { .. } => "heun-churn".into(),
        }
    }

    /// Steps (not evaluations) of a fixed-budget sampler; 0 for adaptive solvers.
    pub fn steps(&self) -> usize {
        match *self {
            Sampler::Ddpm { steps, .. }
            | Sampler::Ddim { steps, .. }
            | Sampler::Ode { steps, .. } => steps,
            Sampler::DpmSolverPp { steps }
            | Sampler::DpmSolverPp3M { steps }
            | Sampler::UniPc { steps }
            | Sampler::Euler { steps }
            | Sampler::Heun { steps } => steps,
            Sampler::EulerAncestral { steps, .. } | Sampler::HeunChurn { steps, .. } => steps,
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
        let schedule = method.schedule();
        let sol = match (*self, &schedule) {
            (Sampler::Ddpm { steps, variance }, Some(s)) => {
                ddpm(model, s, &s.strided(steps), variance, n, rng, record)
            }
            (Sampler::Ddim { steps, eta }, Some(s)) => {
                ddim(model, s, &s.strided(steps), eta, n, rng, record)
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
                    Some(s) => probability_flow(model, s, &opts, n, rng)?,
                    None => sample_ode(model, method.path().as_ref(), n, &opts, rng)?,
                }
            }
            (Sampler::Ddpm { .. } | Sampler::Ddim { .. }, None) => {
                bail!("{} needs a diffusion model", self.label())
            }
            (sigma_sampler, schedule) => {
                let path = method.path();
                let (tau_lo, tau_hi) = match schedule {
                    Some(s) => (0.0, s.tau_of_index(0)),
                    None => {
                        let (c0, c1) = (path.coeffs(0.0), path.coeffs(1.0));
                        (
                            if c0.alpha > 0.0 { 0.0 } else { 1e-3 },
                            if c1.sigma > 0.0 { 1.0 } else { 1.0 - 1e-3 },
                        )
                    }
                };
                let den = SigmaDenoiser::new(model, path.as_ref(), tau_lo, tau_hi);
                let steps = sigma_sampler.steps();
                let (smin, smax) = (den.sigma_min(), den.sigma_max().min(SIGMA_MAX_CAP));
                let sigmas = match sigma_sampler {
                    // Lu et al. 2022 (§4.4 / App. D.1) step uniformly in logSNR for low-dimensional data.
                    Sampler::DpmSolverPp { .. }
                    | Sampler::DpmSolverPp3M { .. }
                    | Sampler::UniPc { .. } => logsnr_sigmas(steps, smin, smax),
                    _ => karras_sigmas(steps, smin, smax, RHO),
                };
                let x0 = rng
                    .normal_tensor(n, model.dim(), &model.device())
                    .mul_scalar(sigmas[0]);
                let (x, nfe) = match sigma_sampler {
                    Sampler::DpmSolverPp { .. } => multistep::dpm_solver_pp_2m(&den, &sigmas, x0),
                    Sampler::DpmSolverPp3M { .. } => multistep::dpm_solver_pp_3m(&den, &sigmas, x0),
                    Sampler::UniPc { .. } => multistep::uni_pc(&den, &sigmas, x0, UNIPC_ORDER),
                    Sampler::Euler { .. } => karras::euler(&den, &sigmas, x0),
                    Sampler::Heun { .. } => karras::heun(&den, &sigmas, x0),
                    Sampler::EulerAncestral { eta, .. } => {
                        karras::euler_ancestral(&den, &sigmas, x0, eta, rng)
                    }
                    Sampler::HeunChurn { churn, .. } => {
                        karras::heun_churn(&den, &sigmas, x0, churn, rng)
                    }
                    _ => unreachable!(),
                };
                Solution {
                    x,
                    nfe,
                    accepted: steps,
                    rejected: 0,
                    trajectory: Vec::new(),
                }
            }
        };
        // Reduced on the device: one boolean comes back, not the samples.
        if !sol.x.clone().is_finite().all().into_scalar::<bool>() {
            return Err(Error::NonFinite {
                what: format!("the samples of {}", self.label()),
                hint: "the model's weights or the guidance weight are not finite".into(),
            });
        }
        Ok(sol)
    }

    /// The fast default for previews and reports: 20 NFE (DPM-Solver++ for diffusion,
    /// midpoint for flow and hybrid models).
    pub fn preview(method: &Method) -> Sampler {
        match method {
            Method::Diffusion { .. } => Sampler::DpmSolverPp { steps: 20 },
            _ => Sampler::Ode {
                solver: SolverKind::Midpoint,
                steps: SolverKind::Midpoint.steps_for_nfe(20),
                rtol: Tolerance::default().rtol,
                atol: Tolerance::default().atol,
            },
        }
    }

    /// Every fixed-budget sampler that suits `method` ([`SamplerKind::suits`]), at roughly
    /// `nfe` evaluations each: DDPM and DDIM, the ODE with each fixed-step solver that fits the
    /// budget, and the deterministic and ancestral σ-space samplers (adaptive solvers are
    /// budgeted by tolerance, and `heun-churn` by its churn, so they are left out).
    pub fn all_for(method: &Method, nfe: usize) -> Vec<Sampler> {
        let mut specs: Vec<SamplerSpec> = vec![
            SamplerSpec::new(SamplerKind::Ddpm),
            SamplerSpec::new(SamplerKind::Ddim),
        ];
        for solver in [
            SolverKind::Euler,
            SolverKind::Midpoint,
            SolverKind::Heun,
            SolverKind::Rk4,
        ] {
            specs.push(SamplerSpec::ode(solver));
        }
        for kind in [
            SamplerKind::DpmSolverPp,
            SamplerKind::DpmSolverPp3M,
            SamplerKind::UniPc,
            SamplerKind::Euler,
            SamplerKind::Heun,
            SamplerKind::EulerAncestral,
        ] {
            specs.push(SamplerSpec::new(kind));
        }
        specs
            .into_iter()
            .filter_map(|spec| spec.with_nfe(nfe).build(method).ok())
            .filter(|s| !matches!(s, Sampler::Ode { solver, steps, .. } if *steps * solver.tableau().stages() > nfe + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests;
