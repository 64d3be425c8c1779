//! The molecule denoiser: a graph transformer on dense graphs (Vignac et al. 2023, DiGress,
//! §4), predicting the clean node and edge classes from a noisy graph and the time.
//!
//! Shapes: noisy one-hot nodes `x: [b, n, node_in]`, edges `e: [b, n, n, edge_in]` (edge
//! channel 0 = no bond, 1..=3 = bond orders, further channels e.g. a mask state), time
//! `tau: [b, 1]` (0 noise → 1 data), `node_mask: [b, n]` (1 real, 0 padding; padded rows
//! and columns of `x` and `e` are zero). Output: logits `[b, n, node_out]` and
//! `[b, n, n, edge_out]`, the latter symmetric in the two node axes. The network is
//! permutation-equivariant: relabelling the nodes relabels the outputs.
//!
//! Besides the one-hots the input carries structural features of the noisy graph
//! ([`super::graph_features`]), as DiGress does (App. B.2): rings and valences, and where the
//! config asks for it, connectivity.

use super::graph_features::{Features, structure};
use crate::nn::embedding::sinusoidal;
use crate::nn::graph_layer::GraphLayer;
use crate::nn::linear::linear;
use crate::nn::mlp_chain::{Activation, mlp_chain};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of a [`GraphNet`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphNetConfig {
    /// Node input classes (the vocabulary, plus a mask state where the path has one).
    pub node_in: usize,
    pub edge_in: usize,
    /// Predicted clean classes.
    pub node_out: usize,
    pub edge_out: usize,
    /// Largest graph (node count) the model is used for; scales the size feature.
    pub max_nodes: usize,
    /// Node and edge hidden widths.
    pub node_width: usize,
    pub edge_width: usize,
    pub layers: usize,
    pub heads: usize,
    pub dropout: f64,
    pub time_dim: usize,
    /// Whether the input carries the noisy graph's connectivity (component sizes, the
    /// largest component, reachability; [`super::graph_features`]). Runs saved before it
    /// existed read as `false`.
    #[serde(default)]
    pub connectivity: bool,
}

impl GraphNetConfig {
    /// The default QM9 model: 6 layers, node width 128, edge width 32, 8 heads, with the
    /// connectivity features.
    pub fn qm9(node_in: usize, edge_in: usize, node_out: usize, edge_out: usize) -> Self {
        Self {
            node_in,
            edge_in,
            node_out,
            edge_out,
            max_nodes: 9,
            node_width: 128,
            edge_width: 32,
            layers: 6,
            heads: 8,
            dropout: 0.0,
            time_dim: 64,
            connectivity: true,
        }
    }

    fn features(&self) -> Features {
        Features {
            connectivity: self.connectivity,
            max_nodes: self.max_nodes,
        }
    }

    pub fn init(&self, device: &Device) -> GraphNet {
        let (dx, de) = (self.node_width, self.edge_width);
        let features = self.features();
        GraphNet {
            node_in: LinearConfig::new(self.node_in + features.node_extra(), dx).init(device),
            edge_in: LinearConfig::new(self.edge_in + features.edge_extra(), de).init(device),
            time_hidden: LinearConfig::new(self.time_dim, dx).init(device),
            time_node: LinearConfig::new(dx, dx).init(device),
            time_edge: LinearConfig::new(dx, de).init(device),
            layers: (0..self.layers)
                .map(|_| GraphLayer::new(dx, de, self.heads, self.dropout, device))
                .collect(),
            node_hidden: LinearConfig::new(dx, dx).init(device),
            node_head: LinearConfig::new(dx, self.node_out).init(device),
            edge_hidden: LinearConfig::new(de, de).init(device),
            edge_head: LinearConfig::new(de, self.edge_out).init(device),
            time_dim: self.time_dim,
            max_nodes: self.max_nodes,
            connectivity: self.connectivity,
        }
    }
}

/// The graph transformer (see the module docs).
#[derive(Module, Debug)]
pub struct GraphNet {
    node_in: Linear,
    edge_in: Linear,
    time_hidden: Linear,
    time_node: Linear,
    time_edge: Linear,
    layers: Vec<GraphLayer>,
    node_hidden: Linear,
    node_head: Linear,
    edge_hidden: Linear,
    edge_head: Linear,
    time_dim: usize,
    max_nodes: usize,
    connectivity: bool,
}

impl GraphNet {
    /// `(x, e, tau, node_mask) → (node logits, edge logits)`, shapes as in the module docs.
    pub fn forward(
        &self,
        x: Tensor<3>,
        e: Tensor<4>,
        tau: Tensor<2>,
        node_mask: Tensor<2>,
    ) -> (Tensor<3>, Tensor<4>) {
        let device = x.device();
        let b = x.dims()[0];
        let features = Features {
            connectivity: self.connectivity,
            max_nodes: self.max_nodes,
        };
        let (node_extra, edge_extra) = structure(&e, &node_mask, features);
        let h = linear(&self.node_in, Tensor::cat(vec![x, node_extra], 2));
        let ee = linear(&self.edge_in, Tensor::cat(vec![e, edge_extra], 3));
        let temb = silu(linear(
            &self.time_hidden,
            sinusoidal(tau, self.time_dim, &device),
        ));
        let dx = h.dims()[2];
        let de = ee.dims()[3];
        let mut h = h + linear(&self.time_node, temb.clone()).reshape([b, 1, dx]);
        let mut ee = ee + linear(&self.time_edge, temb).reshape([b, 1, 1, de]);
        let key_mask = node_mask.clone().sub_scalar(1.0).mul_scalar(1e4);
        for layer in &self.layers {
            (h, ee) = layer.forward(h, ee, key_mask.clone());
        }
        let nodes = mlp_chain(&[&self.node_hidden, &self.node_head], Activation::Relu, h);
        let edges = mlp_chain(&[&self.edge_hidden, &self.edge_head], Activation::Relu, ee);
        let edges = (edges.clone() + edges.swap_dims(1, 2)).div_scalar(2.0);
        (nodes, edges)
    }
}
