//! Exact log-likelihood of a flow (or a diffusion model's probability-flow ODE) by the
//! instantaneous change of variables (Chen et al. 2018, Thm. 1; Grathwohl et al. 2019):
//! along `dx/dt = v(x, t)`, `d log p_t(x_t)/dt = −div v(x_t, t)`. Integrating the augmented
//! state `[x, L]` with `dL/dt = div v` backwards from data (`tau = tau_data`) to `tau = 0`
//! gives `log p(x_data) = log p_0(x_0) + L(0)`, with `p_0 = N(0, sigma(0)² I)`.
//!
//! The divergence is exact in low dimension (one reverse-mode pass per coordinate) or the
//! Hutchinson estimate `E[εᵀ (∂v/∂x) ε]` with a fixed set of Rademacher probes per solve
//! (Grathwohl et al. 2019, §3.1) in high dimension. Closed-form models supply their own exact
//! divergence.

use crate::convert::{Prediction, convert};
use crate::error::{Result, bail};
use crate::models::Model;
use crate::path::GaussianPath;
use crate::rng::SeededRng;
use crate::solver::{SolveOptions, VectorField, solve};
use burn::tensor::Tensor;

/// How the divergence is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// Exact: `d` reverse-mode passes per evaluation.
    Exact,
    /// Hutchinson's estimator with this many Rademacher probes, fixed for the whole solve.
    Hutchinson { probes: usize },
}

/// Per-sample log-likelihoods and the work they took.
#[derive(Clone, Debug)]
pub struct Likelihood {
    /// `log p(x)` in nats, one per row.
    pub log_prob: Vec<f64>,
    pub dim: usize,
    pub nfe: usize,
}

impl Likelihood {
    /// Mean negative log-likelihood in nats per dimension.
    pub fn nats_per_dim(&self) -> f64 {
        -self.log_prob.iter().sum::<f64>() / (self.log_prob.len() * self.dim) as f64
    }

    /// Mean negative log-likelihood in bits per dimension.
    pub fn bits_per_dim(&self) -> f64 {
        self.nats_per_dim() / std::f64::consts::LN_2
    }
}

/// The augmented field `[x, L] ↦ [v, div v]`.
struct Augmented<'a> {
    model: &'a dyn Model,
    path: &'a dyn GaussianPath,
    dim: usize,
    method: Divergence,
    probes: Vec<Tensor<2>>,
}

impl Augmented<'_> {
    fn velocity(&self, x: Tensor<2>, tau: f64) -> Tensor<2> {
        let pred = self.model.predict(x.clone(), tau);
        convert(
            pred,
            x,
            self.model.prediction(),
            Prediction::Velocity,
            self.path.coeffs(tau),
        )
    }

    fn velocity_divergence(&self, x: &Tensor<2>, tau: f64) -> (Tensor<2>, Tensor<2>) {
        if let Some(exact) = self.model.exact_velocity_divergence(x, tau) {
            return exact;
        }
        let n = x.dims()[0];
        let leaf = || x.clone().inner().autodiff().require_grad();
        let mut div: Option<Tensor<2>> = None;
        let mut v_out = None;
        let mut add = |t: Tensor<2>| {
            div = Some(match div.take() {
                Some(d) => d.add(t),
                None => t,
            })
        };
        match self.method {
            Divergence::Exact => {
                for j in 0..self.dim {
                    let xg = leaf();
                    let v = self.velocity(xg.clone(), tau);
                    let grads = v.clone().slice([0..n, j..j + 1]).sum().backward();
                    let g = xg.grad(&grads).expect("input gradient");
                    add(g.slice([0..n, j..j + 1]));
                    v_out = Some(v.inner());
                }
            }
            Divergence::Hutchinson { .. } => {
                for eps in &self.probes {
                    let xg = leaf();
                    let v = self.velocity(xg.clone(), tau);
                    let grads = v.clone().mul(eps.clone().autodiff()).sum().backward();
                    let g = xg.grad(&grads).expect("input gradient");
                    add(g.mul(eps.clone()).sum_dim(1));
                    v_out = Some(v.inner());
                }
                let k = self.probes.len() as f64;
                div = div.map(|d| d.div_scalar(k));
            }
        }
        (
            v_out.expect("at least one pass"),
            div.expect("at least one pass"),
        )
    }
}

impl VectorField for Augmented<'_> {
    fn eval(&self, z: &Tensor<2>, tau: f64) -> Tensor<2> {
        let n = z.dims()[0];
        let x = z.clone().slice([0..n, 0..self.dim]);
        let (v, div) = self.velocity_divergence(&x, tau);
        Tensor::cat(vec![v, div], 1)
    }
}

/// `log p(x)` of the samples `x: [n, d]` (at flow time `tau_data`) under the model's flow.
///
/// Networks must live on an autodiff device (their divergence is taken by reverse mode);
/// closed-form models need not.
pub fn log_likelihood(
    model: &dyn Model,
    path: &dyn GaussianPath,
    x: Tensor<2>,
    tau_data: f64,
    method: Divergence,
    opts: &SolveOptions,
    rng: &mut SeededRng,
) -> Result<Likelihood> {
    let [n, d] = x.dims();
    let device = x.device().inner();
    let x = x.inner();
    let probes = match method {
        Divergence::Hutchinson { probes } if probes == 0 => {
            bail!("Hutchinson needs at least one probe")
        }
        Divergence::Hutchinson { probes } => (0..probes)
            .map(|_| {
                let signs: Vec<f32> = (0..n * d)
                    .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
                    .collect();
                crate::device::tensor2(signs, n, d, &device)
            })
            .collect(),
        Divergence::Exact => Vec::new(),
    };
    let field = Augmented {
        model,
        path,
        dim: d,
        method,
        probes,
    };
    let z = Tensor::cat(vec![x, Tensor::zeros([n, 1], &device)], 1);
    let sol = solve(&field, z, tau_data, 0.0, opts)?;
    let state = crate::device::to_vec(sol.x);
    let s0 = path.coeffs(0.0).sigma;
    let log_prob = state
        .chunks(d + 1)
        .map(|row| {
            let sq: f64 = row[..d].iter().map(|v| (*v as f64).powi(2)).sum();
            let prior = -0.5 * sq / (s0 * s0)
                - d as f64 * (s0.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln());
            prior + row[d] as f64
        })
        .collect();
    Ok(Likelihood {
        log_prob,
        dim: d,
        nfe: sol.nfe,
    })
}

#[cfg(test)]
mod tests;
