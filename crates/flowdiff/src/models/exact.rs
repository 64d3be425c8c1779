//! Exact models for Gaussian-mixture data. For `x1 ~ Σ_k w_k N(μ_k, Σ_k)` and a Gaussian path
//! `x = alpha·x1 + sigma·z`, the posterior is again a mixture, so `E[x1|x]` and `E[z|x]` — and
//! with them the optimal noise predictor, score and velocity field — are closed-form
//! (e.g. Karras et al. 2022, App. B.3; Lipman et al. 2022, eq. 8). Component covariances are
//! diagonal in one shared orthonormal basis `Q` (`Σ_k = Q diag(v_k) Qᵀ`), which covers full
//! covariances for a single Gaussian.
//!
//! Computed on the host in f64: these are references for tests and benchmarks, not networks.

use super::Model;
use crate::convert::Prediction;
use crate::path::GaussianPath;
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor};
use std::sync::Arc;

/// A Gaussian mixture with diagonal covariances in a shared rotated basis.
#[derive(Clone, Debug)]
pub struct GaussianMixture {
    dim: usize,
    weights: Vec<f64>,
    /// Means in the rotated basis `y = Qᵀx`.
    means: Vec<Vec<f64>>,
    /// Per-component variances in the rotated basis.
    vars: Vec<Vec<f64>>,
    /// `Q` row-major (`dim × dim`), or `None` for the identity.
    rotation: Option<Vec<f64>>,
}

impl GaussianMixture {
    /// Mixture with axis-aligned components: `means[k]`, `stds[k]` per dimension.
    pub fn new(weights: Vec<f64>, means: Vec<Vec<f64>>, stds: Vec<Vec<f64>>) -> Self {
        let dim = means[0].len();
        assert!(weights.len() == means.len() && means.len() == stds.len());
        assert!(means.iter().chain(&stds).all(|v| v.len() == dim));
        let total: f64 = weights.iter().sum();
        Self {
            dim,
            weights: weights.iter().map(|w| w / total).collect(),
            means,
            vars: stds
                .iter()
                .map(|s| s.iter().map(|v| v * v).collect())
                .collect(),
            rotation: None,
        }
    }

    /// One 2-D Gaussian with principal standard deviations `stds`, rotated by `angle`.
    pub fn rotated_gaussian_2d(mean: [f64; 2], stds: [f64; 2], angle: f64) -> Self {
        let (c, s) = (angle.cos(), angle.sin());
        let q = vec![c, -s, s, c];
        // y-space mean = Qᵀ mean.
        let my = vec![c * mean[0] + s * mean[1], -s * mean[0] + c * mean[1]];
        let mut g = Self::new(vec![1.0], vec![my], vec![stds.to_vec()]);
        g.rotation = Some(q);
        g
    }

    /// The eight-Gaussians toy set as an exact mixture (see [`crate::data::toy::Toy`]).
    pub fn eight_gaussians() -> Self {
        let r = 2.0 * 2f64.sqrt();
        let s = 0.5 / 2f64.sqrt();
        let means = (0..8)
            .map(|k| {
                let a = k as f64 * std::f64::consts::PI / 4.0;
                vec![r * a.cos(), r * a.sin()]
            })
            .collect();
        Self::new(vec![1.0; 8], means, vec![vec![s, s]; 8])
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    fn to_y(&self, x: &[f64]) -> Vec<f64> {
        match &self.rotation {
            None => x.to_vec(),
            Some(q) => (0..self.dim)
                .map(|j| (0..self.dim).map(|i| q[i * self.dim + j] * x[i]).sum())
                .collect(),
        }
    }

    fn to_x(&self, y: &[f64]) -> Vec<f64> {
        match &self.rotation {
            None => y.to_vec(),
            Some(q) => (0..self.dim)
                .map(|i| (0..self.dim).map(|j| q[i * self.dim + j] * y[j]).sum())
                .collect(),
        }
    }

    /// The mixture mean `Σ w_k μ_k`.
    pub fn mean(&self) -> Vec<f64> {
        let mut m = vec![0.0; self.dim];
        for (w, mu) in self.weights.iter().zip(&self.means) {
            m.iter_mut().zip(mu).for_each(|(a, b)| *a += w * b);
        }
        self.to_x(&m)
    }

    /// The mixture covariance, row-major `dim × dim`.
    pub fn covariance(&self) -> Vec<f64> {
        let d = self.dim;
        let my = self.to_y(&self.mean());
        let mut cy = vec![0.0; d * d];
        for ((w, mu), v) in self.weights.iter().zip(&self.means).zip(&self.vars) {
            for i in 0..d {
                for j in 0..d {
                    let diag = if i == j { v[i] } else { 0.0 };
                    cy[i * d + j] += w * (diag + (mu[i] - my[i]) * (mu[j] - my[j]));
                }
            }
        }
        // C_x = Q C_y Qᵀ, column by column.
        let mut cx = vec![0.0; d * d];
        let cols: Vec<Vec<f64>> = (0..d)
            .map(|j| self.to_x(&(0..d).map(|i| cy[i * d + j]).collect::<Vec<_>>()))
            .collect();
        for i in 0..d {
            let row: Vec<f64> = (0..d).map(|j| cols[j][i]).collect();
            let rx = self.to_x(&row);
            for j in 0..d {
                cx[i * d + j] = rx[j];
            }
        }
        cx
    }

    /// `n` samples, row-major `[n, dim]`.
    pub fn sample(&self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        let mut out = Vec::with_capacity(n * self.dim);
        for _ in 0..n {
            let u = rng.uniform();
            let mut acc = 0.0;
            let k = self
                .weights
                .iter()
                .position(|w| {
                    acc += w;
                    u < acc
                })
                .unwrap_or(self.weights.len() - 1);
            let y: Vec<f64> = (0..self.dim)
                .map(|i| self.means[k][i] + self.vars[k][i].sqrt() * rng.normal())
                .collect();
            out.extend(self.to_x(&y).iter().map(|v| *v as f32));
        }
        out
    }

    /// Log density of the data distribution at `x`.
    pub fn log_density(&self, x: &[f64]) -> f64 {
        self.log_density_on_path(x, 1.0, 0.0)
    }

    /// Log density of `x_tau = alpha·x1 + sigma·z`: a mixture of `N(alpha μ_k, alpha² Σ_k + sigma² I)`.
    pub fn log_density_on_path(&self, x: &[f64], alpha: f64, sigma: f64) -> f64 {
        let y = self.to_y(x);
        let logs: Vec<f64> = (0..self.weights.len())
            .map(|k| self.component_log_pdf(k, &y, alpha, sigma))
            .collect();
        log_sum_exp(&logs)
    }

    fn component_log_pdf(&self, k: usize, y: &[f64], alpha: f64, sigma: f64) -> f64 {
        let mut lp = self.weights[k].ln();
        for i in 0..self.dim {
            let var = alpha * alpha * self.vars[k][i] + sigma * sigma;
            let r = y[i] - alpha * self.means[k][i];
            lp += -0.5 * (r * r / var + var.ln() + (2.0 * std::f64::consts::PI).ln());
        }
        lp
    }

    /// `(E[x1 | x], E[z | x])` for `x = alpha·x1 + sigma·z`.
    pub fn posterior(&self, x: &[f64], alpha: f64, sigma: f64) -> (Vec<f64>, Vec<f64>) {
        let p = self.posterior_with_traces(x, alpha, sigma);
        (p.data, p.noise)
    }

    /// The posterior means and the traces of their Jacobians in `x`,
    /// `tr ∂E[x1|x]/∂x` and `tr ∂E[z|x]/∂x` (for exact divergences of the velocity field).
    ///
    /// Per component `k` (variances `V_k = alpha² v_k + sigma²`, residual `y − alpha μ_k`),
    /// responsibilities `r_k ∝ w_k N(y; alpha μ_k, V_k)` move with `∂r_k/∂y_i = r_k (g_ki − ḡ_i)`,
    /// `g_ki = −(y_i − alpha μ_ki)/V_ki`; traces are rotation invariant, so they are summed in the
    /// rotated basis.
    pub fn posterior_with_traces(&self, x: &[f64], alpha: f64, sigma: f64) -> Posterior {
        let y = self.to_y(x);
        let kk = self.weights.len();
        let logs: Vec<f64> = (0..kk)
            .map(|k| self.component_log_pdf(k, &y, alpha, sigma))
            .collect();
        let lse = log_sum_exp(&logs);
        let r: Vec<f64> = logs.iter().map(|l| (l - lse).exp()).collect();
        let (mut d, mut e) = (vec![0.0; self.dim], vec![0.0; self.dim]);
        let (mut tr_d, mut tr_e) = (0.0, 0.0);
        for i in 0..self.dim {
            let var: Vec<f64> = (0..kk)
                .map(|k| alpha * alpha * self.vars[k][i] + sigma * sigma)
                .collect();
            let res: Vec<f64> = (0..kk).map(|k| y[i] - alpha * self.means[k][i]).collect();
            let m: Vec<f64> = (0..kk)
                .map(|k| self.means[k][i] + alpha * self.vars[k][i] * res[k] / var[k])
                .collect();
            let ez: Vec<f64> = (0..kk).map(|k| sigma * res[k] / var[k]).collect();
            let g: Vec<f64> = (0..kk).map(|k| -res[k] / var[k]).collect();
            let g_bar: f64 = (0..kk).map(|k| r[k] * g[k]).sum();
            for k in 0..kk {
                d[i] += r[k] * m[k];
                e[i] += r[k] * ez[k];
                let dr = r[k] * (g[k] - g_bar);
                tr_d += r[k] * alpha * self.vars[k][i] / var[k] + m[k] * dr;
                tr_e += r[k] * sigma / var[k] + ez[k] * dr;
            }
        }
        Posterior {
            data: self.to_x(&d),
            noise: self.to_x(&e),
            trace_data: tr_d,
            trace_noise: tr_e,
        }
    }
}

/// Posterior means at one point and the traces of their Jacobians.
#[derive(Clone, Debug)]
pub struct Posterior {
    pub data: Vec<f64>,
    pub noise: Vec<f64>,
    pub trace_data: f64,
    pub trace_noise: f64,
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// The Bayes-optimal predictor for mixture data on a given Gaussian path.
#[derive(Clone)]
pub struct ExactModel {
    pub data: GaussianMixture,
    pub path: Arc<dyn GaussianPath>,
    pub prediction: Prediction,
    pub device: Device,
}

impl Model for ExactModel {
    fn dim(&self) -> usize {
        self.data.dim()
    }
    fn prediction(&self) -> Prediction {
        self.prediction
    }
    fn predict(&self, x: Tensor<2>, tau: f64) -> Tensor<2> {
        let [n, d] = x.dims();
        let c = self.path.coeffs(tau);
        let xs = crate::device::to_vec(x);
        let mut out = Vec::with_capacity(n * d);
        for row in xs.chunks(d) {
            let row: Vec<f64> = row.iter().map(|v| *v as f64).collect();
            let (dd, ee) = self.data.posterior(&row, c.alpha, c.sigma);
            out.extend((0..d).map(|i| self.prediction.combine(c, dd[i], ee[i]) as f32));
        }
        crate::device::tensor2(out, n, d, &self.device)
    }
    fn device(&self) -> Device {
        self.device.clone()
    }

    fn exact_velocity_divergence(&self, x: &Tensor<2>, tau: f64) -> Option<(Tensor<2>, Tensor<2>)> {
        let [n, d] = x.dims();
        let c = self.path.coeffs(tau);
        let xs = crate::device::to_vec(x.clone());
        let (mut v, mut div) = (Vec::with_capacity(n * d), Vec::with_capacity(n));
        for row in xs.chunks(d) {
            let row: Vec<f64> = row.iter().map(|v| *v as f64).collect();
            let p = self.data.posterior_with_traces(&row, c.alpha, c.sigma);
            v.extend((0..d).map(|i| (c.d_alpha * p.data[i] + c.d_sigma * p.noise[i]) as f32));
            div.push((c.d_alpha * p.trace_data + c.d_sigma * p.trace_noise) as f32);
        }
        Some((
            crate::device::tensor2(v, n, d, &x.device()),
            crate::device::tensor2(div, n, 1, &x.device()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_gaussian_has_the_stated_moments() {
        let g = GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6);
        let c = g.covariance();
        let (cs, sn) = (0.6f64.cos(), 0.6f64.sin());
        // Σ = Q diag(4, 0.25) Qᵀ.
        let want = [
            4.0 * cs * cs + 0.25 * sn * sn,
            (4.0 - 0.25) * cs * sn,
            (4.0 - 0.25) * cs * sn,
            4.0 * sn * sn + 0.25 * cs * cs,
        ];
        for (a, b) in c.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{c:?} vs {want:?}");
        }
        let m = g.mean();
        assert!((m[0] - 1.0).abs() < 1e-12 && (m[1] + 2.0).abs() < 1e-12);
        let xs = g.sample(20000, &mut SeededRng::new(2));
        let mx: f64 = xs.chunks(2).map(|p| p[0] as f64).sum::<f64>() / 20000.0;
        assert!((mx - 1.0).abs() < 0.05);
    }

    #[test]
    fn posterior_is_consistent_with_the_observation() {
        // alpha·E[x1|x] + sigma·E[z|x] = x for every x (the two estimates explain x exactly).
        let g = GaussianMixture::eight_gaussians();
        for (alpha, sigma) in [(0.3, 0.9), (0.9, 0.2), (1.0, 0.0), (0.0, 1.0)] {
            let x = [0.7, -1.1];
            let (d, e) = g.posterior(&x, alpha, sigma);
            for i in 0..2 {
                assert!((alpha * d[i] + sigma * e[i] - x[i]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn jacobian_traces_match_finite_differences() {
        let g = GaussianMixture::eight_gaussians();
        let (alpha, sigma) = (0.6, 0.7);
        let x = [1.1, -0.4];
        let p = g.posterior_with_traces(&x, alpha, sigma);
        let h = 1e-6;
        let (mut fd_d, mut fd_e) = (0.0, 0.0);
        for i in 0..2 {
            let (mut xp, mut xm) = (x, x);
            xp[i] += h;
            xm[i] -= h;
            let (pp, pm) = (
                g.posterior_with_traces(&xp, alpha, sigma),
                g.posterior_with_traces(&xm, alpha, sigma),
            );
            fd_d += (pp.data[i] - pm.data[i]) / (2.0 * h);
            fd_e += (pp.noise[i] - pm.noise[i]) / (2.0 * h);
        }
        assert!(
            (fd_d - p.trace_data).abs() < 1e-6 && (fd_e - p.trace_noise).abs() < 1e-6,
            "{fd_d} {fd_e} {p:?}"
        );
    }

    #[test]
    fn score_matches_the_gradient_of_the_log_density() {
        // score = -E[z|x]/sigma = ∇_x log p_tau(x) (Tweedie's formula).
        let g = GaussianMixture::rotated_gaussian_2d([0.5, 0.0], [1.5, 0.3], 1.0);
        let (alpha, sigma) = (0.8, 0.5);
        let x = [0.3, 0.4];
        let (_, e) = g.posterior(&x, alpha, sigma);
        let h = 1e-6;
        for i in 0..2 {
            let (mut xp, mut xm) = (x, x);
            xp[i] += h;
            xm[i] -= h;
            let fd = (g.log_density_on_path(&xp, alpha, sigma)
                - g.log_density_on_path(&xm, alpha, sigma))
                / (2.0 * h);
            assert!(
                (fd + e[i] / sigma).abs() < 1e-6,
                "dim {i}: {fd} vs {}",
                -e[i] / sigma
            );
        }
    }
}
