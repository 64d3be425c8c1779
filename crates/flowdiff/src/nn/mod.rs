//! Neural-network layers and fused ops on burn (the layer between the kernels and the models):
//! each op runs one fused pass on the flex CPU backend ([`flex_op`], over
//! `flowdiff_kernels`) and falls back to burn's own tensor ops on every other backend, with
//! the same results up to float rounding.

pub mod attention;
pub mod conv;
pub mod dropout;
pub mod embedding;
pub mod flex_op;
pub mod graph_layer;
pub mod layer_norm;
pub mod linear;
pub mod mlp_chain;
pub mod norm_act;
pub mod plane_ops;
pub mod profile;
