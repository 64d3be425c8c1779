//! Progressive distillation (Salimans & Ho 2022, Algorithm 2), in flow time: a student
//! velocity field learns to take in **one** Euler step what its teacher takes in **two**.
//!
//! The teacher samples with `N` Euler steps of size `h = 1/N` from noise (`tau = 0`) to data
//! (`tau = 1`). A student for `N/2` steps is trained at the start of each of its steps,
//! `tau = 2kh` (`k ~ U{0, …, N/2 − 1}`), on states of the teacher's forward process
//! `x = alpha(tau)·x1 + sigma(tau)·z`, towards the velocity that lands where two teacher
//! steps land:
//!
//! `x' = x + h·v_T(x, tau)`, `x'' = x' + h·v_T(x', tau + h)`, target `(x'' − x) / 2h`.
//!
//! On the conditional-OT path an Euler step of the velocity is exactly a DDIM step
//! (`x_s = alpha_s·x̂ + sigma_s·ε̂` with `x̂`, `ε̂` the estimates at `tau`), so for flow teachers
//! this is Salimans & Ho's target (their eq. 8 in the velocity parameterisation); the student
//! predicts velocity, not noise, for the reason they give (§4: a noise prediction cannot
//! express a jump from pure noise). Other teachers (diffusion through its probability-flow
//! ODE, the hybrid) are distilled along their Euler discretisation the same way.
//! A class-conditional teacher is evaluated with each row's label (the null class where the
//! training dropped it), so the student learns the conditional and the unconditional field.
//! Shapes: data `[n, d]` (images flattened), states and targets `[n, d]`, times `[n, 1]`.

use crate::convert::Prediction;
use crate::flow::PathVelocity;
use crate::models::Model;
use crate::objective::{Objective, Regression, column};
use crate::path::GaussianPath;
use crate::rng::SeededRng;
use crate::solver::VectorField;
use burn::tensor::Tensor;
use std::sync::Arc;

/// The progressive-distillation objective for a student of `teacher_steps / 2` Euler steps.
pub struct ProgressiveObjective {
    /// The teacher, on its own (non-autodiff) device.
    pub teacher: Box<dyn Model>,
    /// The path the teacher was trained on: the forward process the states are drawn from and
    /// the one its predictions convert to velocity on.
    pub path: Arc<dyn GaussianPath>,
    /// `N`, the teacher's Euler steps (even, ≥ 2).
    pub teacher_steps: usize,
}

impl ProgressiveObjective {
    /// Where two Euler steps of the teacher take the rows `x: [m, d]` from `tau`, step `h`;
    /// a class-conditional teacher generates the rows' `labels`.
    fn two_teacher_steps(
        &self,
        x: Tensor<2>,
        labels: Option<Vec<i64>>,
        tau: f64,
        h: f64,
    ) -> Tensor<2> {
        let labeled = labels.and_then(|l| self.teacher.with_labels(l));
        let field = PathVelocity {
            model: labeled.as_deref().unwrap_or(self.teacher.as_ref()),
            path: self.path.as_ref(),
        };
        let mid = x.clone().add(field.eval(&x, tau).mul_scalar(h));
        mid.clone().add(field.eval(&mid, tau + h).mul_scalar(h))
    }

    /// The rows whose student step starts at grid point `k`, in batch order.
    fn groups(ks: &[usize], half: usize) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); half];
        for (row, &k) in ks.iter().enumerate() {
            groups[k].push(row);
        }
        groups
    }
}

impl Objective for ProgressiveObjective {
    fn batch(&self, x1: Tensor<2>, rng: &mut SeededRng) -> Regression {
        self.batch_labeled(x1, None, rng)
    }

    fn batch_labeled(
        &self,
        x1: Tensor<2>,
        labels: Option<&[i64]>,
        rng: &mut SeededRng,
    ) -> Regression {
        let device = x1.device();
        let teacher_device = self.teacher.device();
        let [n, d] = x1.dims();
        let data = crate::device::to_vec(x1);
        let half = self.teacher_steps / 2;
        let h = 1.0 / self.teacher_steps as f64;
        let ks: Vec<usize> = (0..n).map(|_| rng.below(half)).collect();
        let noise = rng.normal_vec(n * d);
        let mut x = vec![0f32; n * d];
        for (row, &k) in ks.iter().enumerate() {
            let c = self.path.coeffs(2.0 * k as f64 * h);
            for j in row * d..(row + 1) * d {
                x[j] = (c.alpha * data[j] as f64 + c.sigma * noise[j] as f64) as f32;
            }
        }
        let mut target = vec![0f32; n * d];
        for (k, rows) in Self::groups(&ks, half).into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let start: Vec<f32> = rows
                .iter()
                .flat_map(|&r| x[r * d..(r + 1) * d].iter().copied())
                .collect();
            let xs = crate::device::tensor2(start.clone(), rows.len(), d, &teacher_device);
            let group_labels = labels.map(|l| rows.iter().map(|&r| l[r]).collect());
            let end = crate::device::to_vec(self.two_teacher_steps(
                xs,
                group_labels,
                2.0 * k as f64 * h,
                h,
            ));
            for (i, &r) in rows.iter().enumerate() {
                for j in 0..d {
                    let (a, b) = (start[i * d + j], end[i * d + j]);
                    target[r * d + j] = ((b - a) as f64 / (2.0 * h)) as f32;
                }
            }
        }
        let t = column(ks.iter().map(|&k| 2.0 * k as f64 * h).collect(), &device);
        Regression::single(
            crate::device::tensor2(x, n, d, &device),
            t,
            crate::device::tensor2(target, n, d, &device),
        )
    }

    fn prediction(&self) -> Prediction {
        Prediction::Velocity
    }
}
