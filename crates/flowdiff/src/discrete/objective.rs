//! The training loss: cross-entropy of the predicted clean graph `p̂(x1 | x_tau)` against the
//! data, over real nodes and over ordered pairs of distinct real nodes, edges weighted by
//! `lambda` (DiGress eq. 3 uses `lambda = 5`). The same loss trains discrete diffusion (the
//! `x0`-parametrisation of D3PM, Austin et al. 2021 §3) and discrete flow matching (the
//! denoiser parametrisation of Gat et al. 2024 §3.2).

use super::batch::{DenseGraph, one_hot, times};
use super::path::MixturePath;
use super::prior::Prior;
use crate::models::graph::GraphNet;
use crate::rng::SeededRng;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};

/// Everything the loss needs besides the network.
#[derive(Clone, Debug)]
pub struct GraphObjective {
    pub path: MixturePath,
    pub node_prior: Prior,
    pub edge_prior: Prior,
    pub edge_weight: f64,
    pub max_nodes: usize,
}

impl GraphObjective {
    /// Draws `tau` and `x_tau` for each clean graph and returns the scalar loss.
    pub fn loss(
        &self,
        net: &GraphNet,
        clean: &[&DenseGraph],
        rng: &mut SeededRng,
        device: &Device,
    ) -> Tensor<1> {
        self.loss_of_rows(net, clean, rng, 0..clean.len(), device)
    }

    /// [`GraphObjective::loss`] with the network run on the graphs `rows` only (one
    /// data-parallel replica's share): every graph's `tau` and `x_tau` are still drawn, and the
    /// result is the share of the whole batch's loss (its cross-entropy sums divided by the
    /// whole batch's counts), so the shares of a batch sum to its loss.
    pub fn loss_of_rows(
        &self,
        net: &GraphNet,
        clean: &[&DenseGraph],
        rng: &mut SeededRng,
        rows: std::ops::Range<usize>,
        device: &Device,
    ) -> Tensor<1> {
        let mut taus = Vec::with_capacity(clean.len());
        let noisy: Vec<DenseGraph> = clean
            .iter()
            .map(|g| {
                let tau = self.path.draw_tau(rng);
                taus.push(tau);
                let kappa = self.path.kappa(tau);
                g.corrupt(&self.path, kappa, (&self.node_prior, &self.edge_prior), rng)
            })
            .collect();
        let nodes: usize = clean.iter().map(|g| g.n()).sum();
        let pairs: usize = clean.iter().map(|g| g.n() * g.n().saturating_sub(1)).sum();
        let (x, e, mask) = one_hot(
            &noisy[rows.clone()],
            self.max_nodes,
            self.node_prior.states(),
            self.edge_prior.states(),
            device,
        );
        let (tx, te, _) = one_hot(
            &clean[rows.clone()],
            self.max_nodes,
            self.node_prior.classes,
            self.edge_prior.classes,
            device,
        );
        let (node_logits, edge_logits) = net.forward(x, e, times(&taus[rows], device), mask);
        let node_loss = nll_sum(node_logits, tx).div_scalar(nodes.max(1) as f32);
        let edge_loss = nll_sum(edge_logits, te).div_scalar(pairs.max(1) as f32);
        node_loss + edge_loss.mul_scalar(self.edge_weight)
    }
}

/// `−Σ target·log_softmax(logits)` over all rows (last axis = classes).
fn nll_sum<const D: usize>(logits: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
    log_softmax(logits, D - 1).mul(target).sum().neg()
}

/// Mean over rows with a target of `−Σ target·log_softmax(logits)` (last axis = classes);
/// all-zero target rows are ignored.
pub fn cross_entropy<const D: usize>(logits: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
    let count = target.clone().sum().clamp_min(1.0);
    nll_sum(logits, target).div(count)
}
