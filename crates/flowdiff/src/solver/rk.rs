//! One explicit Runge–Kutta engine for every tableau: fixed grids and adaptive step-size
//! control with an embedded error estimate (Hairer et al., *Solving ODEs I*, §II.4, with
//! torchdiffeq's defaults: RMS norm of `err / (atol + rtol·max(|x0|, |x1|))`, safety 0.9,
//! growth at most ×10, shrink at most ×0.2, Hairer's initial step selection).

use super::tableau::Tableau;
use super::{SolverError, VectorField};
use burn::tensor::Tensor;

/// The result of an ODE solve.
#[derive(Clone, Debug)]
pub struct Solution {
    /// State at the final time, `[n, d]`.
    pub x: Tensor<2>,
    /// Number of vector-field evaluations.
    pub nfe: usize,
    /// Accepted and rejected steps.
    pub accepted: usize,
    pub rejected: usize,
    /// `(t, x)` at the start and after every step, when recording was asked for.
    pub trajectory: Vec<(f64, Tensor<2>)>,
}

/// One step of `tab` from `(t, x)` with step `h`. `k1` is reused when given (FSAL).
/// Returns the new state, the stages, and the number of evaluations used.
pub fn step(
    tab: &Tableau,
    f: &dyn VectorField,
    x: &Tensor<2>,
    t: f64,
    h: f64,
    k1: Option<Tensor<2>>,
) -> (Tensor<2>, Vec<Tensor<2>>, usize) {
    let mut nfe = 0;
    let mut ks: Vec<Tensor<2>> = Vec::with_capacity(tab.stages());
    for i in 0..tab.stages() {
        let k = if i == 0 {
            match &k1 {
                Some(k) => k.clone(),
                None => {
                    nfe += 1;
                    f.eval(x, t)
                }
            }
        } else {
            let xi = combine(x, h, tab.a[i], &ks);
            nfe += 1;
            f.eval(&xi, t + tab.c[i] * h)
        };
        ks.push(k);
    }
    (combine(x, h, tab.b, &ks), ks, nfe)
}

/// `x + h Σ w_j k_j`, skipping zero weights.
fn combine(x: &Tensor<2>, h: f64, w: &[f64], ks: &[Tensor<2>]) -> Tensor<2> {
    let mut out = x.clone();
    for (wj, k) in w.iter().zip(ks) {
        if *wj != 0.0 {
            out = out.add(k.clone().mul_scalar(h * wj));
        }
    }
    out
}

fn weighted(w: &[f64], ks: &[Tensor<2>], h: f64) -> Tensor<2> {
    let mut out = ks[0].clone().mul_scalar(h * w[0]);
    for (wj, k) in w.iter().zip(ks).skip(1) {
        if *wj != 0.0 {
            out = out.add(k.clone().mul_scalar(h * wj));
        }
    }
    out
}

/// Integrates from `t0` to `t1` on a uniform grid of `steps` steps.
pub fn solve_fixed(
    tab: &Tableau,
    f: &dyn VectorField,
    x0: Tensor<2>,
    t0: f64,
    t1: f64,
    steps: usize,
    record: bool,
) -> Solution {
    let steps = steps.max(1);
    let h = (t1 - t0) / steps as f64;
    let mut x = x0;
    let mut nfe = 0;
    let mut trajectory = Vec::new();
    if record {
        trajectory.push((t0, x.clone()));
    }
    for i in 0..steps {
        let t = t0 + i as f64 * h;
        let (xn, _, used) = step(tab, f, &x, t, h, None);
        x = xn;
        nfe += used;
        if record {
            trajectory.push((t + h, x.clone()));
        }
    }
    Solution {
        x,
        nfe,
        accepted: steps,
        rejected: 0,
        trajectory,
    }
}

/// Tolerances and limits of an adaptive solve.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
    pub max_steps: usize,
}

impl Tolerance {
    /// The smallest tolerance an f32 state can meet (its machine epsilon, about 1.2e-7).
    pub const MIN: f64 = f32::EPSILON as f64;

    /// Checks that the tolerances can be met: finite, non-negative, one of them ≥ [`Self::MIN`].
    pub fn check(&self) -> Result<(), SolverError> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if ok(self.rtol)
            && ok(self.atol)
            && self.rtol.max(self.atol) >= Self::MIN
            && self.max_steps > 0
        {
            Ok(())
        } else {
            Err(SolverError::InvalidTolerance {
                rtol: self.rtol,
                atol: self.atol,
            })
        }
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Self {
            rtol: 1e-5,
            atol: 1e-5,
            max_steps: 10_000,
        }
    }
}

fn rms(t: Tensor<2>) -> f64 {
    t.square().mean().sqrt().into_scalar::<f32>() as f64
}

/// Integrates from `t0` to `t1` with an embedded pair, adapting the step to `tol`.
pub fn solve_adaptive(
    tab: &Tableau,
    f: &dyn VectorField,
    x0: Tensor<2>,
    t0: f64,
    t1: f64,
    tol: Tolerance,
    record: bool,
) -> Result<Solution, SolverError> {
    let Some(b_err) = tab.b_err else {
        // A fixed-grid tableau has no error estimate: nothing to adapt.
        return Err(SolverError::StepLimit {
            solver: tab.name,
            steps: 0,
            t: t0,
        });
    };
    let dir = (t1 - t0).signum();
    let mut x = x0;
    let mut f0 = f.eval(&x, t0);
    let mut nfe = 1;
    // Hairer's initial step (Solving ODEs I, §II.4), as in torchdiffeq.
    let scale = |y: &Tensor<2>| y.clone().abs().mul_scalar(tol.rtol).add_scalar(tol.atol);
    let sc = scale(&x);
    let d0 = rms(x.clone().div(sc.clone()));
    let d1 = rms(f0.clone().div(sc.clone()));
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    let f1 = f.eval(
        &x.clone().add(f0.clone().mul_scalar(dir * h0)),
        t0 + dir * h0,
    );
    nfe += 1;
    let d2 = rms(f1.sub(f0.clone()).div(sc)) / h0;
    let h1 = if d1.max(d2) <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / d1.max(d2)).powf(1.0 / tab.order as f64)
    };
    let mut h = (100.0 * h0).min(h1).min((t1 - t0).abs());

    let (mut t, mut accepted, mut rejected) = (t0, 0, 0);
    let mut trajectory = Vec::new();
    if record {
        trajectory.push((t0, x.clone()));
    }
    while dir * (t1 - t) > 1e-12 * (t1 - t0).abs() {
        if accepted + rejected >= tol.max_steps {
            return Err(SolverError::StepLimit {
                solver: tab.name,
                steps: tol.max_steps,
                t,
            });
        }
        let hs = h.min((t1 - t).abs());
        let (xn, ks, used) = step(tab, f, &x, t, dir * hs, Some(f0.clone()));
        nfe += used;
        let err = weighted(b_err, &ks, dir * hs);
        let bound = x
            .clone()
            .abs()
            .max_pair(xn.clone().abs())
            .mul_scalar(tol.rtol)
            .add_scalar(tol.atol);
        let ratio = rms(err.div(bound));
        if !ratio.is_finite() {
            return Err(SolverError::NonFinite {
                solver: tab.name,
                t,
            });
        }
        if ratio <= 1.0 {
            t += dir * hs;
            f0 = if tab.fsal {
                ks.last().unwrap().clone()
            } else {
                nfe += 1;
                f.eval(&xn, t)
            };
            x = xn;
            accepted += 1;
            if record {
                trajectory.push((t, x.clone()));
            }
        } else {
            rejected += 1;
        }
        let factor = if ratio == 0.0 {
            10.0
        } else {
            let shrink = if ratio < 1.0 { 1.0 } else { 0.2 };
            (0.9 * ratio.powf(-1.0 / tab.order as f64)).clamp(shrink, 10.0)
        };
        h = hs * factor;
    }
    Ok(Solution {
        x,
        nfe,
        accepted,
        rejected,
        trajectory,
    })
}
