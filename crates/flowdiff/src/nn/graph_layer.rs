//! One graph-transformer layer on dense graphs, after DiGress (Vignac et al. 2023, §4 and
//! App. B.1): attention between nodes whose scores are modulated by the edge features (FiLM),
//! and edges updated from the attention scores; each stream with a residual, layer norm and a
//! feed-forward block.
//!
//! Shapes: nodes `h: [b, n, dx]`, edges `e: [b, n, n, de]`, `key_mask: [b, n]` (0 for a real
//! node, a large negative number for padding).

use super::attention::{film_scores, masked_attention};
use super::dropout::{dropout, is_active};
use super::layer_norm::layer_norm;
use super::linear::linear;
use super::mlp_chain::{Activation, mlp_chain};
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// A two-layer feed-forward block `d → width → d` with ReLU and dropout.
#[derive(Module, Debug)]
pub struct FeedForward {
    up: Linear,
    down: Linear,
    dropout: Dropout,
}

impl FeedForward {
    pub fn new(d: usize, width: usize, dropout: f64, device: &Device) -> Self {
        Self {
            up: LinearConfig::new(d, width).init(device),
            down: LinearConfig::new(width, d).init(device),
            dropout: DropoutConfig::new(dropout).init(),
        }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        if !is_active(&self.dropout, &x) {
            return mlp_chain(&[&self.up, &self.down], Activation::Relu, x);
        }
        linear(
            &self.down,
            dropout(&self.dropout, relu(linear(&self.up, x))),
        )
    }
}

/// Edge-modulated self-attention with an edge update.
#[derive(Module, Debug)]
pub struct GraphLayer {
    q: Linear,
    k: Linear,
    v: Linear,
    /// Edge features → per-head multiplicative and additive score terms.
    e_mul: Linear,
    e_add: Linear,
    /// Per-head scores → edge update.
    e_out: Linear,
    x_out: Linear,
    norm_x1: LayerNorm,
    norm_x2: LayerNorm,
    norm_e1: LayerNorm,
    norm_e2: LayerNorm,
    ff_x: FeedForward,
    ff_e: FeedForward,
    dropout: Dropout,
    heads: usize,
}

impl GraphLayer {
    pub fn new(dx: usize, de: usize, heads: usize, dropout: f64, device: &Device) -> Self {
        assert!(
            dx % heads == 0,
            "node width {dx} must be a multiple of heads {heads}"
        );
        Self {
            q: LinearConfig::new(dx, dx).init(device),
            k: LinearConfig::new(dx, dx).init(device),
            v: LinearConfig::new(dx, dx).init(device),
            e_mul: LinearConfig::new(de, heads).init(device),
            e_add: LinearConfig::new(de, heads).init(device),
            e_out: LinearConfig::new(heads, de).init(device),
            x_out: LinearConfig::new(dx, dx).init(device),
            norm_x1: LayerNormConfig::new(dx).init(device),
            norm_x2: LayerNormConfig::new(dx).init(device),
            norm_e1: LayerNormConfig::new(de).init(device),
            norm_e2: LayerNormConfig::new(de).init(device),
            ff_x: FeedForward::new(dx, 2 * dx, dropout, device),
            ff_e: FeedForward::new(de, 2 * de, dropout, device),
            dropout: DropoutConfig::new(dropout).init(),
            heads,
        }
    }

    /// `(h, e, key_mask) → (h', e')`, shapes as in the module docs.
    pub fn forward(
        &self,
        h: Tensor<3>,
        e: Tensor<4>,
        key_mask: Tensor<2>,
    ) -> (Tensor<3>, Tensor<4>) {
        let q = linear(&self.q, h.clone());
        let k = linear(&self.k, h.clone());
        let v = linear(&self.v, h.clone());
        // Scores FiLM-ed by the edges, [b, n, n, H]: (q·k/√d_h)·(1 + E_mul) + E_add.
        let mul = linear(&self.e_mul, e.clone());
        let add = linear(&self.e_add, e.clone());
        let scores = film_scores(q, k, mul, add, self.heads);
        // Edge stream: e + W(scores), norm, feed-forward.
        let e_upd = linear(&self.e_out, scores.clone());
        let e = layer_norm(&self.norm_e1, e + dropout(&self.dropout, e_upd));
        let e = layer_norm(
            &self.norm_e2,
            e.clone() + dropout(&self.dropout, self.ff_e.forward(e)),
        );
        // Node stream: attention over real nodes only.
        let out = masked_attention(scores, v, key_mask, self.heads);
        let h = layer_norm(
            &self.norm_x1,
            h + dropout(&self.dropout, linear(&self.x_out, out)),
        );
        let h = layer_norm(
            &self.norm_x2,
            h.clone() + dropout(&self.dropout, self.ff_x.forward(h)),
        );
        (h, e)
    }
}
