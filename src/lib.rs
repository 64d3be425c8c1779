//! # flowdiff
//!
//! Diffusion models (Ho et al. 2020, DDPM; Song et al. 2021, DDIM) and flow matching
//! (Lipman et al. 2022; Tong et al. 2023, OT-CFM), trained and sampled side by side on
//! [burn](https://burn.dev).
//!
//! ## The one time convention
//!
//! Every model in flowdiff is evaluated at a **flow time** `tau ∈ [0, 1]` with
//! `tau = 0` pure noise and `tau = 1` data (Lipman et al. 2022). Along a Gaussian
//! probability path a noisy point is
//!
//! ```text
//! x_tau = alpha(tau) · x_data + sigma(tau) · z,   z ~ N(0, I)
//! ```
//!
//! Diffusion keeps its own discrete timestep `i ∈ {0, …, T-1}` (index `T-1` is the noisiest,
//! as in Ho et al.). The only place the two are converted is
//! [`schedule::NoiseSchedule::tau_of_index`] / [`schedule::NoiseSchedule::index_of_tau`].
//!
//! ## Shapes
//!
//! Samplers, solvers, paths and losses work on flat batches `x: [n, d]`; a model for images
//! reshapes internally. Times are scalars (`f64`) when all rows share one time (sampling),
//! and `[n, 1]` tensors when each row has its own (training).

pub mod chem;
pub mod classify;
pub mod cli;
pub mod convert;
pub mod data;
pub mod device;
pub mod diffusion;
pub mod discrete;
pub mod flow;
pub mod grid;
pub mod hybrid;
pub mod image_metrics;
pub mod image_scorer;
pub mod io;
pub mod likelihood;
pub mod method;
pub mod metrics;
pub mod models;
pub mod molecules;
pub mod path;
pub mod plot;
pub mod report;
pub mod rng;
pub mod sampling;
pub mod schedule;
pub mod solver;
pub mod train;
pub mod workload;

#[cfg(test)]
pub(crate) mod testing;

pub use burn::tensor::{Device, Tensor, TensorData};
