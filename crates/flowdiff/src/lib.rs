//! # flowdiff
//!
//! Diffusion models (Ho et al. 2020, DDPM; Song et al. 2021, DDIM) and flow matching
//! (Lipman et al. 2022; Tong et al. 2023, OT-CFM), trained and sampled side by side on
//! [burn](https://burn.dev): on 2-D points, images and molecular graphs, with fast samplers,
//! ODE solvers, exact likelihoods and metrics.
//!
//! ## In ten lines
//!
//! Train a flow-matching model on the two-moons set in memory, sample it with 20 network
//! evaluations and check the samples against fresh data:
//!
//! ```
//! use flowdiff::data::{DataSource, DataSpec, toy::Toy};
//! use flowdiff::method::Method;
//! use flowdiff::metrics::{evaluate, reference_draws};
//! use flowdiff::rng::SeededRng;
//! use flowdiff::sampling::SamplerSpec;
//! use flowdiff::solver::SolverKind;
//! use flowdiff::train::{TrainConfig, TrainOptions, fit};
//!
//! # fn main() -> flowdiff::Result<()> {
//! let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::flow(), 2);
//! cfg.optim.steps = 1500;
//! let data = cfg.data.open()?;
//! let trained = fit(&cfg, &data, TrainOptions::default())?;
//!
//! let sampler = SamplerSpec::ode(SolverKind::Midpoint).with_nfe(20).build(&cfg.method)?;
//! let samples = sampler.run(&cfg.method, &trained.model(&cfg), 2000, &mut SeededRng::new(1), false)?;
//! let points = flowdiff::device::to_vec(samples.x);
//!
//! // Sliced W2 against fresh draws of the data, beside its floor (data against data).
//! let mut rng = SeededRng::new(2);
//! let fresh = reference_draws(|n| data.sample(n, &mut rng), 2000, 3);
//! let report = evaluate(&points, &fresh, 2, 2000);
//! assert!(report.sliced_w2.ratio < 2.0, "sliced W2 {:?}", report.sliced_w2);
//! # Ok(())
//! # }
//! ```
//!
//! The layers, and where a new sampler, model, data set or backend goes, are in
//! `docs/architecture.md`; `examples/` has short programs for points, digits and molecules.
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
pub mod convert;
pub mod data;
pub mod device;
pub mod diffusion;
pub mod discrete;
pub mod distill;
pub mod error;
pub mod flow;
pub mod grid;
pub mod hybrid;
pub mod image_score;
pub mod io;
pub mod likelihood;
pub mod memory;
pub mod method;
pub mod metrics;
pub mod models;
pub mod molecules;
pub mod names;
pub mod nn;
pub mod objective;
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
pub use error::{Error, Result};
