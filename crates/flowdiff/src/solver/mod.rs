//! ODE solvers for `dx/dt = f(x, t)` on batches `x: [n, d]`: fixed-step Euler, midpoint,
//! Heun and RK4, and adaptive Bogacki–Shampine 3(2), Dormand–Prince 5(4) and Tsitouras 5(4).
//! Every solve reports its NFE.

pub mod rk;
pub mod tableau;

use crate::error::Result;
pub use crate::error::SolverError;
use burn::tensor::Tensor;
pub use rk::{Solution, Tolerance};
use serde::{Deserialize, Serialize};
use tableau::Tableau;

/// A time-dependent vector field `f(x, t)`, `x: [n, d]` → `[n, d]`.
pub trait VectorField {
    fn eval(&self, x: &Tensor<2>, t: f64) -> Tensor<2>;
}

impl<F: Fn(&Tensor<2>, f64) -> Tensor<2>> VectorField for F {
    fn eval(&self, x: &Tensor<2>, t: f64) -> Tensor<2> {
        self(x, t)
    }
}

/// A named solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SolverKind {
    Euler,
    Midpoint,
    Heun,
    Rk4,
    Bosh3,
    Dopri5,
    Tsit5,
}

crate::names::from_str_by_name!(SolverKind, "solver");

impl SolverKind {
    pub const ALL: [SolverKind; 7] = [
        Self::Euler,
        Self::Midpoint,
        Self::Heun,
        Self::Rk4,
        Self::Bosh3,
        Self::Dopri5,
        Self::Tsit5,
    ];

    pub fn name(self) -> &'static str {
        self.tableau().name
    }

    pub fn tableau(self) -> Tableau {
        match self {
            Self::Euler => tableau::EULER,
            Self::Midpoint => tableau::MIDPOINT,
            Self::Heun => tableau::HEUN,
            Self::Rk4 => tableau::RK4,
            Self::Bosh3 => tableau::BOSH3,
            Self::Dopri5 => tableau::DOPRI5,
            Self::Tsit5 => tableau::TSIT5,
        }
    }

    pub fn is_adaptive(self) -> bool {
        self.tableau().b_err.is_some()
    }

    /// Fixed-grid steps that fit an NFE budget (at least one).
    pub fn steps_for_nfe(self, nfe: usize) -> usize {
        (nfe / self.tableau().stages()).max(1)
    }
}

/// How to run a solve.
#[derive(Clone, Copy, Debug)]
pub struct SolveOptions {
    pub solver: SolverKind,
    /// Steps for fixed-grid solvers.
    pub steps: usize,
    /// Tolerances for adaptive solvers.
    pub tol: Tolerance,
    /// Keep the state after every step.
    pub record: bool,
}

impl SolveOptions {
    pub fn fixed(solver: SolverKind, steps: usize) -> Self {
        Self {
            solver,
            steps,
            tol: Tolerance::default(),
            record: false,
        }
    }
    pub fn adaptive(solver: SolverKind, rtol: f64, atol: f64) -> Self {
        Self {
            solver,
            steps: 0,
            tol: Tolerance {
                rtol,
                atol,
                ..Default::default()
            },
            record: false,
        }
    }
    pub fn recording(mut self) -> Self {
        self.record = true;
        self
    }
}

/// Solves `dx/dt = f(x, t)` from `(t0, x0)` to `t1`.
pub fn solve(
    f: &dyn VectorField,
    x0: Tensor<2>,
    t0: f64,
    t1: f64,
    opts: &SolveOptions,
) -> Result<Solution, SolverError> {
    let tab = opts.solver.tableau();
    if opts.solver.is_adaptive() {
        opts.tol.check()?;
        rk::solve_adaptive(&tab, f, x0, t0, t1, opts.tol, opts.record)
    } else {
        if opts.steps == 0 {
            return Err(SolverError::NoSteps { solver: tab.name });
        }
        Ok(rk::solve_fixed(
            &tab,
            f,
            x0,
            t0,
            t1,
            opts.steps,
            opts.record,
        ))
    }
}

#[cfg(test)]
mod tests;
