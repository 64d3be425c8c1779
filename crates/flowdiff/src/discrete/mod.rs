//! Discrete generative models for graphs: discrete diffusion (D3PM, Austin et al. 2021, with
//! DiGress's marginal transitions, Vignac et al. 2023) and discrete flow matching (Campbell et
//! al. 2024; Gat et al. 2024), on dense graphs with categorical nodes and edges.
//!
//! Both families use one forward process per component (node or edge): a **mixture path**
//! `p_tau(x | x1) = kappa(tau)·δ(x1) + (1 − kappa(tau))·p0`, between a prior `p0` (the
//! data's marginals, uniform, or an absorbing mask state; [`prior`]) at `tau = 0` and the data
//! at `tau = 1` (the project's time convention). DiGress's forward marginal
//! `q(x_t | x_0) = ᾱ_t·x_0 + (1 − ᾱ_t)·m` is exactly this path with `kappa = ᾱ` (cosine
//! schedule, discrete `t` converted to `tau` in [`path`]); flow matching takes `kappa = tau`.
//! The network predicts the clean graph `p̂(x1 | x_tau)` with a cross-entropy loss in both
//! cases ([`objective`]); the families differ in how they sample ([`sampler`]): the
//! diffusion reverse chain draws from the exact posterior `q(x_s | x_t, x0)` averaged over the
//! prediction, the flow simulates the continuous-time Markov chain whose rates generate the
//! path.

pub mod batch;
pub mod distortion;
pub mod objective;
pub mod path;
pub mod prior;
pub mod sampler;

pub use batch::DenseGraph;
pub use distortion::TimeDistortion;
pub use path::{DiscreteMethod, MixturePath};
pub use prior::{Prior, PriorKind};

#[cfg(test)]
mod sampler_tests;
#[cfg(test)]
mod tests;
