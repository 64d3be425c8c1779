//! Diffusion (Ho et al. 2020): the closed-form forward process, the training objective for
//! noise-, v- and data-prediction, and the samplers: DDPM ancestral (Ho et al. Alg. 2),
//! DDIM (Song et al. 2021, eq. 12) and the probability-flow ODE (Song et al. 2021b, eq. 13)
//! through the shared [`crate::solver`]s; and, in the EDM parameterisation (Karras et al.
//! 2022), Euler, Heun, Euler-ancestral and stochastic churn; and the multistep exponential
//! integrators DPM-Solver++(2M) and (3M) (Lu et al. 2022) and UniPC (Zhao et al. 2023).

pub mod denoiser;
pub mod forward;
pub mod karras;
pub mod multistep;
pub mod objective;
pub mod sampler;

pub use forward::{forward_snapshots, q_sample};
pub use objective::DiffusionObjective;
pub use sampler::{Variance, ddim, ddpm, probability_flow};

#[cfg(test)]
mod tests;
