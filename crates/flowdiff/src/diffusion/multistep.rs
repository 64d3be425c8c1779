//! Multistep exponential integrators of the probability-flow ODE in data-prediction form, each
//! a short function over the noise levels `sigmas` (ending in 0) and a [`SigmaDenoiser`]: one
//! denoiser evaluation per step, earlier evaluations reused for the higher orders.
//!
//! With `λ = −log σ` and `h = λ_{i+1} − λ_i`, the exact solution of `dx/dσ = (x − D)/σ` is
//! (Lu et al. 2022, "DPM-Solver++", eq. 9 with α = 1)
//! `x_{i+1} = (σ_{i+1}/σ_i)·x_i + ∫_0^h e^{u−h} D(λ_i + u) du`; the solvers differ in how they
//! approximate `D` from past evaluations. Every one ends with `x = D(x; σ_min)` on the step to
//! `σ = 0`, so NFE = steps.

use super::denoiser::SigmaDenoiser;
use burn::tensor::Tensor;

fn lambda(sigma: f64) -> f64 {
    -sigma.ln()
}

/// The loop every one-evaluation-per-step solver shares: at each level `σ_i` one denoiser
/// evaluation `D_i`, then `update(x, D_i, σ_i, σ_{i+1}, h)` takes the step, except the last
/// one to `σ = 0`, which is `x = D(x; σ_min)`.
fn each_step(
    den: &SigmaDenoiser,
    sigmas: &[f64],
    mut x: Tensor<2>,
    mut update: impl FnMut(Tensor<2>, Tensor<2>, f64, f64, f64) -> Tensor<2>,
) -> (Tensor<2>, usize) {
    for w in sigmas.windows(2) {
        let (s, s_next) = (w[0], w[1]);
        let denoised = den.denoise(&x, s);
        if s_next == 0.0 {
            x = denoised;
            break;
        }
        x = update(x, denoised, s, s_next, lambda(s_next) - lambda(s));
    }
    (x, sigmas.len() - 1)
}

/// DPM-Solver++(2M) (Lu et al. 2022, Alg. 2): `x_{i+1} = (σ_{i+1}/σ_i) x_i − (e^{−h} − 1) D_i'`,
/// `D_i' = (1 + 1/(2r)) D_i − 1/(2r) D_{i−1}`, `r = h_{i−1}/h_i`; the first step is first order.
pub fn dpm_solver_pp_2m(den: &SigmaDenoiser, sigmas: &[f64], x: Tensor<2>) -> (Tensor<2>, usize) {
    let mut prev: Option<(Tensor<2>, f64)> = None;
    each_step(den, sigmas, x, |x, denoised, s, s_next, h| {
        let d = match &prev {
            Some((old, h_last)) => {
                let r = h_last / h;
                denoised
                    .clone()
                    .mul_scalar(1.0 + 1.0 / (2.0 * r))
                    .sub(old.clone().mul_scalar(1.0 / (2.0 * r)))
            }
            None => denoised.clone(),
        };
        prev = Some((denoised, h));
        x.mul_scalar(s_next / s).sub(d.mul_scalar((-h).exp_m1()))
    })
}

/// `φ₂ = (e^{−h} − 1)/h + 1` and `φ₃ = φ₂/h − 1/2`: `∫_0^h e^{u−h} u du = h·φ₂` and
/// `∫_0^h e^{u−h} u²/2 du = −h²·φ₃`.
fn phis(h: f64) -> (f64, f64) {
    let phi2 = (-h).exp_m1() / h + 1.0;
    (phi2, phi2 / h - 0.5)
}

/// DPM-Solver++(3M): the integral above with `D` expanded to second order around `λ_i`
/// (the third-order multistep update of Lu et al. 2022), its derivatives from the last three
/// evaluations: with `r₀ = h_{i−1}/h`, `r₁ = h_{i−2}/h`,
/// `d₁,₀ = (D_i − D_{i−1})/r₀`, `d₁,₁ = (D_{i−1} − D_{i−2})/r₁`,
/// `d₁ = d₁,₀ + (d₁,₀ − d₁,₁)·r₀/(r₀ + r₁) ≈ h·D'` and `d₂ = (d₁,₀ − d₁,₁)/(r₀ + r₁) ≈ h²·D''/2`,
/// `x_{i+1} = (σ_{i+1}/σ_i)·x_i − (e^{−h} − 1)·D_i + φ₂·d₁ − 2φ₃·d₂`.
///
/// The factor 2 on `φ₃·d₂` follows from the Taylor term `D''u²/2` with `d₂ ≈ h²D''/2`; the
/// update written with `φ₃·d₂` alone converges at second order only (on an exact Gaussian
/// model, errors fall 2.9× per halving of the step without the factor, 7.6× with it). The
/// first two steps are first and second order (`φ₂·(D_i − D_{i−1})/r₀` for the second).
pub fn dpm_solver_pp_3m(den: &SigmaDenoiser, sigmas: &[f64], x: Tensor<2>) -> (Tensor<2>, usize) {
    // The last two evaluations and the step lengths that led from each to the next.
    let mut d_1: Option<(Tensor<2>, f64)> = None;
    let mut d_2: Option<(Tensor<2>, f64)> = None;
    each_step(den, sigmas, x, |x, denoised, s, s_next, h| {
        let (phi2, phi3) = phis(h);
        let mut x = x
            .mul_scalar(s_next / s)
            .sub(denoised.clone().mul_scalar((-h).exp_m1()));
        match (&d_1, &d_2) {
            (Some((m1, h1)), Some((m2, h2))) => {
                let (r0, r1) = (h1 / h, h2 / h);
                let d10 = denoised.clone().sub(m1.clone()).div_scalar(r0);
                let d11 = m1.clone().sub(m2.clone()).div_scalar(r1);
                let d2 = d10.clone().sub(d11).div_scalar(r0 + r1);
                let d1 = d10.add(d2.clone().mul_scalar(r0));
                x = x.add(d1.mul_scalar(phi2)).sub(d2.mul_scalar(2.0 * phi3));
            }
            (Some((m1, h1)), None) => {
                let r = h1 / h;
                x = x.add(denoised.clone().sub(m1.clone()).mul_scalar(phi2 / r));
            }
            _ => {}
        }
        d_2 = d_1.take();
        d_1 = Some((denoised, h));
        x
    })
}

/// UniPC (Zhao et al. 2023, "UniPC: a unified predictor-corrector framework for fast
/// sampling of diffusion models"), data prediction with `B(h) = e^{−h} − 1` (their "bh2"): a
/// UniP predictor of order `p` (`p = min(order, evaluations so far)`) and, after the step's
/// one evaluation at the predicted point, the UniC corrector that reuses that evaluation,
/// raising the order to `p + 1` at no extra NFE. The corrector is skipped on the step into
/// `σ_min`, whose evaluation is the final denoise. The coefficients `ρ` solve `R·ρ = b` with
/// `R_{kj} = r_j^k` (`r_j = (λ_{i−j} − λ_i)/h`, and `r = 1` for the new point) and
/// `b_k = h·φ_{k+1}(h)·k!/B(h)`.
pub fn uni_pc(
    den: &SigmaDenoiser,
    sigmas: &[f64],
    mut x: Tensor<2>,
    order: usize,
) -> (Tensor<2>, usize) {
    assert!((1..=3).contains(&order), "UniPC of order 1 to 3");
    let Some(&first) = sigmas.first() else {
        return (x, 0);
    };
    // Evaluations, newest last, with their λ.
    let mut evals: Vec<(Tensor<2>, f64)> = vec![(den.denoise(&x, first), lambda(first))];
    let mut nfe = 1;
    for (i, w) in sigmas.windows(2).enumerate() {
        let (s, s_next) = (w[0], w[1]);
        let (m0, l0) = evals.last().cloned().expect("one evaluation per level");
        if s_next == 0.0 {
            x = m0;
            break;
        }
        let h = lambda(s_next) - l0;
        let p = order.min(evals.len());
        // Scaled differences to the earlier evaluations, D_k = (m_{i−k} − m_i)/r_k.
        let mut rs = Vec::with_capacity(p);
        let mut diffs = Vec::with_capacity(p);
        for (m, l) in evals.iter().rev().skip(1).take(p - 1) {
            let r = (l - l0) / h;
            rs.push(r);
            diffs.push(m.clone().sub(m0.clone()).div_scalar(r));
        }
        rs.push(1.0);
        let b_h = (-h).exp_m1();
        let b = unipc_b(h, p, b_h);
        let base = x
            .clone()
            .mul_scalar(s_next / s)
            .sub(m0.clone().mul_scalar(b_h));
        let mut predicted = base.clone();
        if p >= 2 {
            let rho = if p == 2 {
                vec![0.5]
            } else {
                solve(&vandermonde(&rs[..p - 1]), &b[..p - 1])
            };
            predicted = predicted.sub(weighted(&diffs, &rho).mul_scalar(b_h));
        }
        let m_new = den.denoise(&predicted, s_next);
        nfe += 1;
        let last = sigmas.get(i + 2) == Some(&0.0);
        x = if last {
            predicted
        } else {
            let rho = if p == 1 {
                vec![0.5]
            } else {
                solve(&vandermonde(&rs), &b)
            };
            let mut all = diffs;
            all.push(m_new.clone().sub(m0));
            base.sub(weighted(&all, &rho).mul_scalar(b_h))
        };
        evals.push((m_new, lambda(s_next)));
        if evals.len() > order {
            evals.remove(0);
        }
    }
    (x, nfe)
}

/// UniPC's `b_k = h·φ_{k+1}(h)·k!/B(h)`, `k = 1..=p`, by the recurrence
/// `hφ_{k+1} = hφ_k/(−h) − 1/k!` from `hφ_1 = e^{−h} − 1` (their `h_phi_k`).
fn unipc_b(h: f64, p: usize, b_h: f64) -> Vec<f64> {
    let hh = -h;
    let mut h_phi_k = hh.exp_m1() / hh - 1.0;
    let mut factorial = 1.0;
    let mut b = Vec::with_capacity(p);
    for k in 1..=p {
        b.push(h_phi_k * factorial / b_h);
        factorial *= (k + 1) as f64;
        h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    b
}

/// The `n × n` matrix `R_{kj} = r_j^k`, `k = 0..n`.
fn vandermonde(r: &[f64]) -> Vec<Vec<f64>> {
    (0..r.len())
        .map(|k| r.iter().map(|rj| rj.powi(k as i32)).collect())
        .collect()
}

/// Solves the small system `a·x = b` by Gaussian elimination with partial pivoting.
fn solve(a: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .zip(b)
        .map(|(row, bi)| row.iter().copied().chain([*bi]).collect())
        .collect();
    for c in 0..n {
        let pivot = (c..n)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .expect("a row");
        m.swap(c, pivot);
        for r in c + 1..n {
            let f = m[r][c] / m[c][c];
            for k in c..=n {
                m[r][k] -= f * m[c][k];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let tail: f64 = (r + 1..n).map(|k| m[r][k] * x[k]).sum();
        x[r] = (m[r][n] - tail) / m[r][r];
    }
    x
}

/// `Σ_k ρ_k · t_k`.
fn weighted(terms: &[Tensor<2>], rho: &[f64]) -> Tensor<2> {
    terms
        .iter()
        .zip(rho)
        .map(|(t, r)| t.clone().mul_scalar(*r))
        .reduce(|a, b| a.add(b))
        .expect("at least one term")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_systems_are_solved() {
        let a = vec![
            vec![1.0, 1.0, 1.0],
            vec![-1.0, -2.5, 1.0],
            vec![1.0, 6.25, 1.0],
        ];
        let x = [0.3, -0.2, 0.9];
        let b: Vec<f64> = a
            .iter()
            .map(|row| row.iter().zip(&x).map(|(p, q)| p * q).sum())
            .collect();
        for (got, want) in solve(&a, &b).iter().zip(x) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn unipc_coefficients_tend_to_their_small_step_limits() {
        // As h → 0, h·φ_{k+1}·k!/B(h) → 1/(k+1): the order conditions of a polynomial fit.
        let b = unipc_b(1e-4, 3, (-1e-4f64).exp_m1());
        for (k, bk) in b.iter().enumerate() {
            assert!(
                (bk - 1.0 / (k as f64 + 2.0)).abs() < 1e-3,
                "b_{} = {bk}",
                k + 1
            );
        }
    }
}
