//! Samplers in the EDM parameterisation (Karras et al. 2022), each a short function over the
//! noise levels `sigmas` (ending in 0) and a [`SigmaDenoiser`]. `x` starts as `σ_0 · z` in
//! scaled coordinates and ends as data. Each returns the samples and its NFE.

use super::denoiser::SigmaDenoiser;
use crate::rng::SeededRng;
use burn::tensor::Tensor;

/// `dx/dσ = (x − D(x; σ))/σ`, the probability-flow ODE in σ (Karras et al. eq. 4 with
/// `s(t) = 1`, `σ(t) = t`).
fn slope(den: &SigmaDenoiser, x: &Tensor<2>, sigma: f64) -> Tensor<2> {
    x.clone().sub(den.denoise(x, sigma)).div_scalar(sigma)
}

/// Euler steps on the probability-flow ODE (Karras et al. Alg. 1 without the correction).
/// NFE = number of nonzero sigmas.
pub fn euler(den: &SigmaDenoiser, sigmas: &[f64], mut x: Tensor<2>) -> (Tensor<2>, usize) {
    for w in sigmas.windows(2) {
        x = x.clone().add(slope(den, &x, w[0]).mul_scalar(w[1] - w[0]));
    }
    (x, sigmas.len() - 1)
}

/// Heun's 2nd-order method (Karras et al. Alg. 1): an Euler step corrected by the slope at
/// its end, except for the last step to σ = 0. NFE = 2·steps − 1.
pub fn heun(den: &SigmaDenoiser, sigmas: &[f64], mut x: Tensor<2>) -> (Tensor<2>, usize) {
    let mut nfe = 0;
    for w in sigmas.windows(2) {
        let (s, s_next) = (w[0], w[1]);
        let d = slope(den, &x, s);
        nfe += 1;
        let x_euler = x.clone().add(d.clone().mul_scalar(s_next - s));
        x = if s_next == 0.0 {
            x_euler
        } else {
            nfe += 1;
            let d2 = slope(den, &x_euler, s_next);
            x.add(d.add(d2).mul_scalar(0.5 * (s_next - s)))
        };
    }
    (x, nfe)
}

/// The ancestral split of a step `σ → σ_next` (k-diffusion's `get_ancestral_step`): go down
/// deterministically to `σ_down`, then add fresh noise `σ_up`, with
/// `σ_up = min(σ_next, eta·sqrt(σ_next²(σ² − σ_next²)/σ²))`, `σ_down² = σ_next² − σ_up²`.
pub fn ancestral_step(sigma: f64, sigma_next: f64, eta: f64) -> (f64, f64) {
    if sigma_next == 0.0 {
        return (0.0, 0.0);
    }
    let up = (eta
        * (sigma_next.powi(2) * (sigma.powi(2) - sigma_next.powi(2)) / sigma.powi(2)).sqrt())
    .min(sigma_next);
    ((sigma_next.powi(2) - up * up).sqrt(), up)
}

/// Euler-ancestral: each step an Euler step to `σ_down` plus noise `σ_up` (the SDE sampler
/// of Song et al. 2021b discretised as in k-diffusion; `eta = 1` follows the reverse SDE's
/// variance). NFE = steps.
pub fn euler_ancestral(
    den: &SigmaDenoiser,
    sigmas: &[f64],
    mut x: Tensor<2>,
    eta: f64,
    rng: &mut SeededRng,
) -> (Tensor<2>, usize) {
    let [n, d] = x.dims();
    for w in sigmas.windows(2) {
        let (down, up) = ancestral_step(w[0], w[1], eta);
        x = x.clone().add(slope(den, &x, w[0]).mul_scalar(down - w[0]));
        if up > 0.0 {
            let noise = rng.normal_tensor(n, d, &x.device()).mul_scalar(up);
            x = x.add(noise);
        }
    }
    (x, sigmas.len() - 1)
}

/// Stochastic churn (Karras et al. Alg. 2): raise `σ` to `σ̂ = σ(1 + γ)` with fresh noise
/// (`γ = min(S_churn/N, √2 − 1)` inside `[S_tmin, S_tmax]`), then take a Heun step to σ_next.
pub fn heun_churn(
    den: &SigmaDenoiser,
    sigmas: &[f64],
    mut x: Tensor<2>,
    churn: Churn,
    rng: &mut SeededRng,
) -> (Tensor<2>, usize) {
    let [n, d] = x.dims();
    let steps = (sigmas.len() - 1) as f64;
    let mut nfe = 0;
    for w in sigmas.windows(2) {
        let (s, s_next) = (w[0], w[1]);
        let gamma = if (churn.s_tmin..=churn.s_tmax).contains(&s) {
            (churn.s_churn / steps).min(2f64.sqrt() - 1.0)
        } else {
            0.0
        };
        let s_hat = s * (1.0 + gamma);
        if gamma > 0.0 {
            let eps = rng
                .normal_tensor(n, d, &x.device())
                .mul_scalar(churn.s_noise * (s_hat * s_hat - s * s).sqrt());
            x = x.add(eps);
        }
        let (xn, used) = heun(den, &[s_hat, s_next], x);
        x = xn;
        nfe += used;
    }
    (x, nfe)
}

/// Parameters of [`heun_churn`] (Karras et al. Table 5 uses `S_churn` ≈ 40–80, `S_noise` ≈ 1.003).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Churn {
    pub s_churn: f64,
    pub s_tmin: f64,
    pub s_tmax: f64,
    pub s_noise: f64,
}

impl Default for Churn {
    fn default() -> Self {
        Self {
            s_churn: 40.0,
            s_tmin: 0.05,
            s_tmax: 50.0,
            s_noise: 1.003,
        }
    }
}
