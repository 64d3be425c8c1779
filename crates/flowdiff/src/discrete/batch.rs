//! Dense graphs and their padded one-hot tensors.
//!
//! A batch pads every graph to `max_nodes`: `x: [b, max_nodes, node_states]`,
//! `e: [b, max_nodes, max_nodes, edge_states]`, `mask: [b, max_nodes]`. Rows of padded nodes,
//! and the diagonal of `e`, are all zero (no class), so they weigh nothing in the loss.

use super::path::MixturePath;
use super::prior::Prior;
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor, TensorData};

/// A graph with `n` nodes: node classes `nodes[i]`, and edge classes `edges[i·n + j]`
/// (symmetric, 0 = no edge, diagonal ignored).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DenseGraph {
    pub nodes: Vec<usize>,
    pub edges: Vec<usize>,
}

impl DenseGraph {
    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge(&self, i: usize, j: usize) -> usize {
        self.edges[i * self.n() + j]
    }

    pub fn set_edge(&mut self, i: usize, j: usize, class: usize) {
        let n = self.n();
        self.edges[i * n + j] = class;
        self.edges[j * n + i] = class;
    }

    /// An `n`-node graph with every node and edge drawn from the priors.
    pub fn from_prior(n: usize, nodes: &Prior, edges: &Prior, rng: &mut SeededRng) -> Self {
        let mut g = Self {
            nodes: (0..n).map(|_| nodes.draw(rng.uniform())).collect(),
            edges: vec![0; n * n],
        };
        for i in 0..n {
            for j in i + 1..n {
                g.set_edge(i, j, edges.draw(rng.uniform()));
            }
        }
        g
    }

    /// `x_tau ~ p_tau(· | self)`: every node and every edge (once per unordered pair)
    /// corrupted independently with data weight `kappa`.
    pub fn corrupt(
        &self,
        path: &MixturePath,
        kappa: f64,
        priors: (&Prior, &Prior),
        rng: &mut SeededRng,
    ) -> Self {
        let n = self.n();
        let mut g = Self {
            nodes: self
                .nodes
                .iter()
                .map(|&c| path.corrupt(c, kappa, priors.0, rng))
                .collect(),
            edges: vec![0; n * n],
        };
        for i in 0..n {
            for j in i + 1..n {
                g.set_edge(i, j, path.corrupt(self.edge(i, j), kappa, priors.1, rng));
            }
        }
        g
    }
}

/// Padded one-hot tensors `(x, e, mask)` of `graphs` (shapes in the module docs).
pub fn one_hot<G: std::borrow::Borrow<DenseGraph>>(
    graphs: &[G],
    max_nodes: usize,
    node_states: usize,
    edge_states: usize,
    device: &Device,
) -> (Tensor<3>, Tensor<4>, Tensor<2>) {
    let b = graphs.len();
    let m = max_nodes;
    let mut x = vec![0f32; b * m * node_states];
    let mut e = vec![0f32; b * m * m * edge_states];
    let mut mask = vec![0f32; b * m];
    for (g, graph) in graphs.iter().enumerate() {
        let graph = graph.borrow();
        let n = graph.n();
        assert!(n <= m, "graph with {n} nodes exceeds max_nodes {m}");
        for i in 0..n {
            mask[g * m + i] = 1.0;
            x[(g * m + i) * node_states + graph.nodes[i]] = 1.0;
            for j in 0..n {
                if i != j {
                    e[((g * m + i) * m + j) * edge_states + graph.edge(i, j)] = 1.0;
                }
            }
        }
    }
    (
        Tensor::from_data(TensorData::new(x, [b, m, node_states]), device),
        Tensor::from_data(TensorData::new(e, [b, m, m, edge_states]), device),
        Tensor::from_data(TensorData::new(mask, [b, m]), device),
    )
}

/// `[b, 1]` times.
pub fn times(taus: &[f64], device: &Device) -> Tensor<2> {
    let v: Vec<f32> = taus.iter().map(|&t| t as f32).collect();
    Tensor::from_data(TensorData::new(v, [taus.len(), 1]), device)
}
