//! Flow matching (Lipman et al. 2022; Tong et al. 2023): regress a network onto the
//! conditional velocity of a probability path, then sample by integrating its ODE from
//! noise (`tau = 0`) to data (`tau = 1`).

pub mod coupling;
pub mod progressive;
pub mod time_sampling;

use crate::convert::{Prediction, convert};
use crate::models::Model;
use crate::objective::{Objective, Regression, column};
use crate::path::GaussianPath;
use crate::rng::SeededRng;
use crate::solver::{Solution, SolveOptions, SolverError, VectorField, solve};
use burn::tensor::Tensor;
pub use coupling::Coupling;
use std::sync::Arc;
pub use time_sampling::TimeSampling;

/// The conditional flow-matching objective (Lipman et al. eq. 9 / Tong et al. eq. 11):
/// `|v_theta(x_tau, tau) − (alpha'(tau) x1 + sigma'(tau) x0)|²`, `tau ~ U[0, 1]` (or the
/// density of `times`), `x_tau = alpha(tau) x1 + sigma(tau) x0`, `x0 ~ N(0, I)` paired with
/// `x1` by the coupling.
pub struct FlowObjective {
    pub path: Arc<dyn GaussianPath>,
    pub coupling: Coupling,
    pub times: TimeSampling,
}

/// A batch on a probability path: `x = alpha·x1 + sigma·z` at times `t`, with the pieces
/// the targets are made of. Shapes `[n, d]`, coefficients `[n, 1]`.
pub struct PathBatch {
    pub x: Tensor<2>,
    pub t: Tensor<2>,
    pub x1: Tensor<2>,
    pub z: Tensor<2>,
    pub d_alpha: Tensor<2>,
    pub d_sigma: Tensor<2>,
}

impl PathBatch {
    /// The conditional velocity `alpha'·x1 + sigma'·z` (Lipman et al. eq. 15).
    pub fn velocity(&self) -> Tensor<2> {
        self.x1
            .clone()
            .mul(self.d_alpha.clone())
            .add(self.z.clone().mul(self.d_sigma.clone()))
    }
}

/// Draws `tau` from `times` and noise paired with `x1` by `coupling`, and builds
/// [`PathBatch`]. `x1: [n, d]`, or `[n, 2d]` rows `[x0 | x1]` for [`Coupling::Pairs`].
pub fn path_batch(
    path: &dyn GaussianPath,
    coupling: Coupling,
    times: TimeSampling,
    x1: Tensor<2>,
    rng: &mut SeededRng,
) -> PathBatch {
    let device = x1.device();
    let (x1, z) = match coupling {
        Coupling::Pairs => {
            let [n, cols] = x1.dims();
            let d = cols / 2;
            let z = x1.clone().slice([0..n, 0..d]);
            (x1.slice([0..n, d..cols]), z)
        }
        Coupling::Independent | Coupling::MinibatchOt => {
            let [n, d] = x1.dims();
            let mut z = rng.normal_vec(n * d);
            if coupling == Coupling::MinibatchOt {
                let perm = coupling::ot_permutation(&z, &crate::device::to_vec(x1.clone()), d);
                z = perm
                    .iter()
                    .flat_map(|&j| z[j * d..(j + 1) * d].to_vec())
                    .collect();
            }
            (x1, crate::device::tensor2(z, n, d, &device))
        }
    };
    let [n, _] = x1.dims();
    let taus: Vec<f64> = (0..n).map(|_| times.draw(rng)).collect();
    let cs: Vec<_> = taus.iter().map(|t| path.coeffs(*t)).collect();
    let col = |f: &dyn Fn(usize) -> f64| column((0..n).map(f).collect(), &device);
    let (a, s) = (col(&|i| cs[i].alpha), col(&|i| cs[i].sigma));
    PathBatch {
        x: x1.clone().mul(a).add(z.clone().mul(s)),
        t: col(&|i| taus[i]),
        x1,
        z,
        d_alpha: col(&|i| cs[i].d_alpha),
        d_sigma: col(&|i| cs[i].d_sigma),
    }
}

impl Objective for FlowObjective {
    fn batch(&self, x1: Tensor<2>, rng: &mut SeededRng) -> Regression {
        let b = path_batch(self.path.as_ref(), self.coupling, self.times, x1, rng);
        let target = b.velocity();
        Regression::single(b.x, b.t, target)
    }

    fn prediction(&self) -> Prediction {
        Prediction::Velocity
    }
}

/// The velocity field of any Gaussian-path model: its prediction converted to velocity.
pub struct PathVelocity<'a> {
    pub model: &'a dyn Model,
    pub path: &'a dyn GaussianPath,
}

impl VectorField for PathVelocity<'_> {
    fn eval(&self, x: &Tensor<2>, t: f64) -> Tensor<2> {
        let pred = self.model.predict(x.clone(), t);
        convert(
            pred,
            x.clone(),
            self.model.prediction(),
            Prediction::Velocity,
            self.path.coeffs(t),
        )
    }
}

/// Samples by integrating the model's ODE from noise at `tau = 0` to data at `tau = 1`.
pub fn sample_ode(
    model: &dyn Model,
    path: &dyn GaussianPath,
    n: usize,
    opts: &SolveOptions,
    rng: &mut SeededRng,
) -> Result<Solution, SolverError> {
    let x0 = rng.normal_tensor(n, model.dim(), &model.device());
    solve(&PathVelocity { model, path }, x0, 0.0, 1.0, opts)
}

#[cfg(test)]
mod tests;
