//! Diffusion samplers over any sub-sequence of timesteps (respacing, Nichol & Dhariwal 2021
//! §4): each consecutive pair `(i, j)`, `j < i` (`j = -1` is clean data), uses
//! `alpha_bar_i`, `alpha_bar_j` and `beta = 1 − alpha_bar_i / alpha_bar_j`, so the full
//! sequence `T-1, …, 0` is exactly Ho et al.'s sampler.

use crate::convert::{Prediction, convert};
use crate::flow::PathVelocity;
use crate::models::Model;
use crate::path::{DiffusionPath, GaussianPath};
use crate::rng::SeededRng;
use crate::schedule::NoiseSchedule;
use crate::solver::{Solution, SolveOptions, SolverError, solve};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// The reverse-process variance of DDPM (Ho et al. 2020, §3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Variance {
    /// `sigma² = beta_tilde = (1 − ab_j)/(1 − ab_i)·beta` (the posterior variance).
    #[default]
    Small,
    /// `sigma² = beta`.
    Large,
}

crate::names::from_str_by_name!(Variance, "variance");

/// The model's estimates `(x0, eps)` at step `i`.
fn estimates(
    model: &dyn Model,
    path: &DiffusionPath,
    x: &Tensor<2>,
    i: usize,
) -> (Tensor<2>, Tensor<2>) {
    let tau = path.schedule.tau_of_index(i as isize);
    let c = path.coeffs(tau);
    let pred = model.predict(x.clone(), tau);
    let kind = model.prediction();
    let x0 = convert(pred.clone(), x.clone(), kind, Prediction::Data, c);
    let eps = convert(pred, x.clone(), kind, Prediction::Noise, c);
    (x0, eps)
}

fn start(
    model: &dyn Model,
    n: usize,
    rng: &mut SeededRng,
    record: bool,
) -> (Tensor<2>, Vec<(f64, Tensor<2>)>) {
    let x = rng.normal_tensor(n, model.dim(), &model.device());
    let traj = if record {
        vec![(0.0, x.clone())]
    } else {
        Vec::new()
    };
    (x, traj)
}

/// DDPM ancestral sampling (Ho et al. 2020, Alg. 2; posterior mean eq. 7) over `steps`
/// (descending indices; `schedule.strided(T)` is the full chain). One NFE per step.
pub fn ddpm(
    model: &dyn Model,
    schedule: &NoiseSchedule,
    steps: &[usize],
    variance: Variance,
    n: usize,
    rng: &mut SeededRng,
    record: bool,
) -> Solution {
    let path = DiffusionPath {
        schedule: schedule.clone(),
    };
    let (mut x, mut trajectory) = start(model, n, rng, record);
    for (k, &i) in steps.iter().enumerate() {
        let j: isize = steps.get(k + 1).map(|&j| j as isize).unwrap_or(-1);
        let (ab_i, ab_j) = (schedule.alpha_bar(i as isize), schedule.alpha_bar(j));
        let beta = 1.0 - ab_i / ab_j;
        let (x0, _) = estimates(model, &path, &x, i);
        let c0 = ab_j.sqrt() * beta / (1.0 - ab_i);
        let ct = (1.0 - beta).sqrt() * (1.0 - ab_j) / (1.0 - ab_i);
        let mean = x0.mul_scalar(c0).add(x.mul_scalar(ct));
        x = if j >= 0 {
            let var = match variance {
                Variance::Small => (1.0 - ab_j) / (1.0 - ab_i) * beta,
                Variance::Large => beta,
            };
            mean.add(
                rng.normal_tensor(n, model.dim(), &model.device())
                    .mul_scalar(var.sqrt()),
            )
        } else {
            mean
        };
        if record {
            trajectory.push((schedule.tau_of_index(j), x.clone()));
        }
    }
    Solution {
        x,
        nfe: steps.len(),
        accepted: steps.len(),
        rejected: 0,
        trajectory,
    }
}

/// DDIM (Song et al. 2021, eq. 12): `x_j = sqrt(ab_j)·x0 + sqrt(1 − ab_j − s²)·eps + s·z`,
/// `s = eta·sqrt((1 − ab_j)/(1 − ab_i))·sqrt(1 − ab_i/ab_j)`; `eta = 0` is deterministic,
/// `eta = 1` is DDPM with the small variance. One NFE per step.
pub fn ddim(
    model: &dyn Model,
    schedule: &NoiseSchedule,
    steps: &[usize],
    eta: f64,
    n: usize,
    rng: &mut SeededRng,
    record: bool,
) -> Solution {
    let path = DiffusionPath {
        schedule: schedule.clone(),
    };
    let (mut x, mut trajectory) = start(model, n, rng, record);
    for (k, &i) in steps.iter().enumerate() {
        let j: isize = steps.get(k + 1).map(|&j| j as isize).unwrap_or(-1);
        let (ab_i, ab_j) = (schedule.alpha_bar(i as isize), schedule.alpha_bar(j));
        let (x0, eps) = estimates(model, &path, &x, i);
        let s = eta
            * ((1.0 - ab_j) / (1.0 - ab_i) * (1.0 - ab_i / ab_j))
                .max(0.0)
                .sqrt();
        let dir = (1.0 - ab_j - s * s).max(0.0).sqrt();
        x = x0.mul_scalar(ab_j.sqrt()).add(eps.mul_scalar(dir));
        if s > 0.0 {
            x = x.add(
                rng.normal_tensor(n, model.dim(), &model.device())
                    .mul_scalar(s),
            );
        }
        if record {
            trajectory.push((schedule.tau_of_index(j), x.clone()));
        }
    }
    Solution {
        x,
        nfe: steps.len(),
        accepted: steps.len(),
        rejected: 0,
        trajectory,
    }
}

/// The probability-flow ODE (Song et al. 2021b, eq. 13) of a diffusion model, integrated by
/// any [`crate::solver`] in flow time from `tau = 0` (step `T-1`) to step 0, followed by the
/// final jump to the model's clean-data estimate (one more NFE).
pub fn probability_flow(
    model: &dyn Model,
    schedule: &NoiseSchedule,
    opts: &SolveOptions,
    n: usize,
    rng: &mut SeededRng,
) -> Result<Solution, SolverError> {
    let path = DiffusionPath {
        schedule: schedule.clone(),
    };
    let x0 = rng.normal_tensor(n, model.dim(), &model.device());
    let t_end = schedule.tau_of_index(0);
    let mut sol = solve(&PathVelocity { model, path: &path }, x0, 0.0, t_end, opts)?;
    let (data, _) = estimates(model, &path, &sol.x, 0);
    sol.x = data;
    sol.nfe += 1;
    if opts.record {
        sol.trajectory.push((1.0, sol.x.clone()));
    }
    Ok(sol)
}
