//! Sampling a trained graph denoiser.
//!
//! - [`ancestral_step`]: the reverse chain of discrete diffusion (Austin et al. 2021 eq. 4;
//!   Vignac et al. 2023 eq. 4): `p(x_t | x_s) = Σ_{x0} p̂(x0 | x_s) · q(x_t | x_s, x0)`
//!   with the exact posterior of the mixture path, for any pair of times (the mixture family
//!   is closed under composition, so `K ≤ T` strided steps are exact in the same way).
//! - [`ctmc_step`]: the Euler step of the continuous-time Markov chain of discrete flow
//!   matching (Campbell et al. 2024 §3.2; Gat et al. 2024 eq. 24): for the mixture path the
//!   rate towards `j ≠ x` is `κ'/(1 − κ) · p̂(j | x_tau)`, so over a step `h` each component
//!   is redrawn from `p̂` with probability `h·κ'/(1 − κ)` (1 at the last step).
//! - [`ctmc_guided_step`]: the same step with DeFoG's target guidance (Qin et al. 2025 §3.2,
//!   the rate `R^ω(x, j | x1) = ω·δ(j, x1) / (Z_t·p_t(x | x1))` added to the jump towards a
//!   drawn `x1`, `Z_t` the number of states `p_t(· | x1)` can reach): it pulls each component
//!   towards the denoiser's prediction sooner, at the price of an `O(ω)` bias of the law
//!   towards its more probable classes.
//!
//! Times follow the project convention (`tau` 0 = prior, 1 = data); `s < t` below.

use super::batch::{DenseGraph, one_hot, times};
use super::distortion::TimeDistortion;
use super::path::{DiscreteMethod, MixturePath};
use super::prior::{Prior, PriorKind, sample_index};
use crate::models::graph::GraphNet;
use crate::rng::SeededRng;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// What a sampler needs besides the network.
#[derive(Clone, Debug)]
pub struct GraphSampler {
    pub path: MixturePath,
    pub node_prior: Prior,
    pub edge_prior: Prior,
    /// `node_counts[n]`: frequency of `n`-node graphs in the training data.
    pub node_counts: Vec<f64>,
    pub max_nodes: usize,
    /// Flow with the mask prior: stochasticity `η` of the detailed-balance rates (Campbell
    /// et al. 2024 §3.3): unmasked components are re-masked at rate `η`, masked ones unmask
    /// at rate `(1 + η·tau)/(1 − tau)`; the path's marginals are unchanged, and re-masking
    /// lets the sampler revisit early mistakes. 0 = the plain CTMC.
    pub noise: f64,
    /// Flow: DeFoG's target guidance `ω` ([`ctmc_guided_step`]); 0 = the plain CTMC.
    pub guidance: f64,
    /// Flow: where the steps fall between prior and data ([`TimeDistortion`]); diffusion
    /// steps through its training timesteps and takes the identity.
    pub distortion: TimeDistortion,
}

/// How many graphs a sampler draws, in batches of what size, with how many steps each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleSize {
    pub count: usize,
    pub steps: usize,
    pub batch: usize,
}

impl SampleSize {
    /// Network evaluations in all (the length of a progress bar).
    pub fn evaluations(&self) -> usize {
        self.count.div_ceil(self.batch.max(1)) * self.steps
    }
}

impl GraphSampler {
    /// `size.count` graphs in batches of `size.batch`, with `size.steps` steps from the prior
    /// to the data; `progress` is called after every step of every batch. If `trajectory` is
    /// given it receives the first graph's state after every step.
    pub fn sample(
        &self,
        net: &GraphNet,
        size: SampleSize,
        rng: &mut SeededRng,
        device: &Device,
        mut trajectory: Option<&mut Vec<DenseGraph>>,
        progress: &dyn Fn(),
    ) -> Vec<DenseGraph> {
        let SampleSize {
            count,
            steps,
            batch,
        } = size;
        let grid = self.path.distorted_grid(steps, self.distortion);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let b = batch.min(count - out.len()).max(1);
            let mut graphs: Vec<DenseGraph> = (0..b)
                .map(|_| {
                    let n = sample_index(&self.node_counts, rng.uniform()).max(1);
                    DenseGraph::from_prior(n, &self.node_prior, &self.edge_prior, rng)
                })
                .collect();
            for w in grid.windows(2) {
                let (nodes, edges) = self.predict(net, &graphs, w[0], device);
                self.step(&mut graphs, &nodes, &edges, w[0], w[1], rng);
                if out.is_empty()
                    && let Some(t) = trajectory.as_deref_mut()
                {
                    t.push(graphs[0].clone());
                }
                progress();
            }
            out.extend(graphs);
        }
        out
    }

    /// Host probabilities `p̂(x1 | x_tau)`: nodes `[b, m, K]`, edges `[b, m, m, E]`.
    fn predict(
        &self,
        net: &GraphNet,
        graphs: &[DenseGraph],
        tau: f64,
        device: &Device,
    ) -> (Vec<f32>, Vec<f32>) {
        let (x, e, mask) = one_hot(
            graphs,
            self.max_nodes,
            self.node_prior.states(),
            self.edge_prior.states(),
            device,
        );
        let taus = vec![tau; graphs.len()];
        let (nl, el) = net.forward(x, e, times(&taus, device), mask);
        (host(softmax(nl, 2)), host(softmax(el, 3)))
    }

    fn step(
        &self,
        graphs: &mut [DenseGraph],
        nodes: &[f32],
        edges: &[f32],
        s: f64,
        t: f64,
        rng: &mut SeededRng,
    ) {
        let (m, kn, ke) = (
            self.max_nodes,
            self.node_prior.classes,
            self.edge_prior.classes,
        );
        let (ks, kt) = (self.path.kappa(s), self.path.kappa(t));
        let jump = flow_jump_probability(s, t);
        let update =
            |x: usize, probs: &[f32], prior: &Prior, rng: &mut SeededRng| match self.path.method {
                DiscreteMethod::Diffusion { .. } => ancestral_step(x, probs, prior, ks, kt, rng),
                DiscreteMethod::Flow if self.noise > 0.0 && prior.kind == PriorKind::Mask => {
                    let levers = (self.noise, self.guidance);
                    ctmc_remask_step(x, probs, prior.classes, (s, t), levers, rng)
                }
                DiscreteMethod::Flow if self.guidance > 0.0 => {
                    ctmc_guided_step(x, probs, &prior.probs, (s, t), self.guidance, rng)
                }
                DiscreteMethod::Flow => ctmc_step(x, probs, jump, rng),
            };
        for (g, graph) in graphs.iter_mut().enumerate() {
            let n = graph.n();
            for i in 0..n {
                let p = &nodes[(g * m + i) * kn..(g * m + i + 1) * kn];
                graph.nodes[i] = update(graph.nodes[i], p, &self.node_prior, rng);
            }
            for i in 0..n {
                for j in i + 1..n {
                    let at = ((g * m + i) * m + j) * ke;
                    let x = update(graph.edge(i, j), &edges[at..at + ke], &self.edge_prior, rng);
                    graph.set_edge(i, j, x);
                }
            }
        }
    }
}

/// Probability that a component is redrawn over `[s, t]` in the CTMC Euler step of the flow's
/// path `κ = tau` (Gat et al. 2024): `(t − s)·κ'(s)/(1 − κ(s)) = (t − s)/(1 − s)`, capped at 1.
fn flow_jump_probability(s: f64, t: f64) -> f64 {
    ((t - s) / (1.0 - s).max(1e-12)).min(1.0)
}

/// One CTMC Euler step: with probability `jump` redraw `x` from `p̂` (`probs`, over classes).
pub fn ctmc_step(x: usize, probs: &[f32], jump: f64, rng: &mut SeededRng) -> usize {
    if rng.uniform() < jump {
        let w: Vec<f64> = probs.iter().map(|&p| p as f64).collect();
        sample_index(&w, rng.uniform())
    } else {
        x
    }
}

/// [`ctmc_step`] with target guidance `omega` on the flow's path `κ = tau`: draw `x1 ~ p̂`;
/// if it differs from `x`, jump to it with probability
/// `(t − s)·(1/(1 − s) + ω/(Z·(1 − s)·p0(x)))`, where `(1 − s)·p0(x) = p_s(x | x1)` and `Z`
/// counts the states with `p_s(· | x1) > 0` (the prior's support and `x1`). `omega = 0` is
/// the plain step.
pub fn ctmc_guided_step(
    x: usize,
    probs: &[f32],
    p0: &[f64],
    (s, t): (f64, f64),
    omega: f64,
    rng: &mut SeededRng,
) -> usize {
    let w: Vec<f64> = probs.iter().map(|&p| p as f64).collect();
    let x1 = sample_index(&w, rng.uniform());
    if x1 == x {
        return x;
    }
    let remaining = (1.0 - s).max(1e-12);
    let at_x = remaining * p0[x];
    let support = p0
        .iter()
        .enumerate()
        .filter(|&(j, &p)| p > 0.0 || j == x1)
        .count();
    let guided = if at_x > 0.0 {
        omega / (support as f64 * at_x)
    } else {
        0.0
    };
    if rng.uniform() < ((t - s) * (1.0 / remaining + guided)).min(1.0) {
        x1
    } else {
        x
    }
}

/// One Euler step over `[s, t]` of the mask path's CTMC with detailed-balance noise `η`
/// (Campbell et al. 2024 §3.3 with the masking rates `R^DB(x1 → M) = η`,
/// `R^DB(M → x1) = η·tau/(1 − tau)`) and target guidance `ω` (`Z = 2`, `p_s(M | x1) = 1 − s`):
/// a masked component (`x = mask`) is drawn from `p̂` with probability
/// `(t − s)·(1 + η·s + ω/2)/(1 − s)` (1 at the last step), an unmasked one is re-masked
/// with probability `(t − s)·η` (never at the last step). `levers = (η, ω)`.
pub fn ctmc_remask_step(
    x: usize,
    probs: &[f32],
    mask: usize,
    (s, t): (f64, f64),
    (eta, omega): (f64, f64),
    rng: &mut SeededRng,
) -> usize {
    let h = t - s;
    if x == mask {
        let unmask = (h * (1.0 + eta * s + omega / 2.0) / (1.0 - s).max(1e-12)).min(1.0);
        return ctmc_step(x, probs, unmask, rng);
    }
    if t < 1.0 && rng.uniform() < (h * eta).min(1.0) {
        mask
    } else {
        x
    }
}

/// One reverse step `x_s → x_t` of the mixture path's exact posterior averaged over
/// `p̂(x0)`: `p(j) ∝ A(j)·Σ_{x0} p̂(x0)·B(x0, j)/Z(x0)` with `A(j) = α·δ(x_s, j) +
/// (1 − α)·p0(x_s)`, `α = κ_s/κ_t` (the forward step `t → s`), `B(x0, j) = κ_t·δ(j, x0) +
/// (1 − κ_t)·p0(j)` and `Z(x0) = Σ_j A(j)·B(x0, j) = q(x_s | x0)`.
pub fn ancestral_step(
    xs: usize,
    probs: &[f32],
    prior: &Prior,
    ks: f64,
    kt: f64,
    rng: &mut SeededRng,
) -> usize {
    let p0 = &prior.probs;
    let states = p0.len();
    let alpha = if kt > 0.0 { (ks / kt).min(1.0) } else { 0.0 };
    let a: Vec<f64> = (0..states)
        .map(|j| alpha * f64::from(u8::from(j == xs)) + (1.0 - alpha) * p0[xs])
        .collect();
    let b = |x0: usize, j: usize| kt * f64::from(u8::from(j == x0)) + (1.0 - kt) * p0[j];
    let mut weights = vec![0.0; states];
    for (x0, &p) in probs.iter().enumerate() {
        let z: f64 = (0..states).map(|j| a[j] * b(x0, j)).sum();
        if p <= 0.0 || z <= 1e-300 {
            continue; // x0 could not have produced x_s
        }
        for (j, w) in weights.iter_mut().enumerate() {
            *w += a[j] * p as f64 * b(x0, j) / z;
        }
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return xs;
    }
    sample_index(&weights, rng.uniform())
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    crate::device::to_vec(t)
}
