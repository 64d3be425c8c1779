//! The two halves of the graph transformer's edge-modulated attention (DiGress, Vignac et al.
//! 2023, App. B.1) as fused flex ops ([`super::flex_op`]), each parallel over the graphs of
//! the batch:
//!
//! - [`film_scores`]: `s[b,i,j,h] = (q[b,i,h]·k[b,j,h] / √d_h)·(1 + mul[b,i,j,h]) + add[b,i,j,h]`;
//! - [`masked_attention`]: `out[b,i,h] = Σ_j softmax_j(s[b,i,j,h] + mask[b,j])·v[b,j,h]`.
//!
//! Shapes: `q, k, v: [b, n, H·d_h]` (head `h` in columns `h·d_h..(h+1)·d_h`, as the linear
//! layers write them), scores and `mul, add: [b, n, n, H]` (the edge layout, so the edge update
//! reads the scores without a permute), `mask: [b, n]` (0 for a real node, a large negative
//! number for padding). In burn's ops these are ~15 ops on `[b, H, n, n]` tensors (swaps,
//! permutes, batched 9×9 matmuls, softmax), too small for burn-flex to run in parallel; other
//! backends run exactly that composition. The per-graph loops are
//! [`flowdiff_kernels::attention`]'s (vectorised, AVX2+FMA where the CPU has it).

use super::flex_op::{self, FlexOp};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use flowdiff_kernels::attention::{self, Shape};
use rayon::prelude::*;

/// FiLM-modulated attention scores, see the module docs: `[b, n, n, H]`.
pub fn film_scores(
    q: Tensor<3>,
    k: Tensor<3>,
    mul: Tensor<4>,
    add: Tensor<4>,
    heads: usize,
) -> Tensor<4> {
    let [b, n, dx] = q.dims();
    let Some(g) = Shape::new(n, heads, dx) else {
        return film_scores_burn(q, k, mul, add, heads);
    };
    let op = Scores(Graphs { b, g });
    let inputs = [
        q.clone().into_dispatch(),
        k.clone().into_dispatch(),
        mul.clone().into_dispatch(),
        add.clone().into_dispatch(),
    ];
    flex_op::apply(op, &inputs).unwrap_or_else(|| film_scores_burn(q, k, mul, add, heads))
}

/// [`film_scores`] in burn's ops.
fn film_scores_burn(
    q: Tensor<3>,
    k: Tensor<3>,
    mul: Tensor<4>,
    add: Tensor<4>,
    heads: usize,
) -> Tensor<4> {
    let [b, n, dx] = q.dims();
    let dh = dx / heads;
    let split = |t: Tensor<3>| t.reshape([b, n, heads, dh]).swap_dims(1, 2); // [b, H, n, dh]
    let raw = split(q)
        .matmul(split(k).swap_dims(2, 3))
        .div_scalar((dh as f64).sqrt());
    let to_heads = |t: Tensor<4>| t.permute([0, 3, 1, 2]); // [b, n, n, H] → [b, H, n, n]
    let s = raw.mul(to_heads(mul).add_scalar(1.0)).add(to_heads(add));
    s.permute([0, 2, 3, 1])
}

/// Attention of every node over the real nodes of its graph, see the module docs:
/// `[b, n, H·d_h]`.
pub fn masked_attention(
    scores: Tensor<4>,
    v: Tensor<3>,
    mask: Tensor<2>,
    heads: usize,
) -> Tensor<3> {
    let [b, n, dx] = v.dims();
    let Some(g) = Shape::new(n, heads, dx) else {
        return masked_attention_burn(scores, v, mask, heads);
    };
    let op = Attend(Graphs { b, g });
    let inputs = [
        scores.clone().into_dispatch(),
        v.clone().into_dispatch(),
        mask.clone().into_dispatch(),
    ];
    flex_op::apply(op, &inputs).unwrap_or_else(|| masked_attention_burn(scores, v, mask, heads))
}

/// [`masked_attention`] in burn's ops.
fn masked_attention_burn(
    scores: Tensor<4>,
    v: Tensor<3>,
    mask: Tensor<2>,
    heads: usize,
) -> Tensor<3> {
    let [b, n, dx] = v.dims();
    let dh = dx / heads;
    let logits = scores.permute([0, 3, 1, 2]).add(mask.reshape([b, 1, 1, n]));
    let v = v.reshape([b, n, heads, dh]).swap_dims(1, 2);
    softmax(logits, 3)
        .matmul(v)
        .swap_dims(1, 2)
        .reshape([b, n, dx])
}

/// The shapes of both ops: `b` graphs of the kernels' shape `g` (`n` nodes, width
/// `dx = H·d_h`).
#[derive(Clone, Copy, Debug)]
struct Graphs {
    b: usize,
    g: Shape,
}

impl Graphs {
    /// `2·n²·d` per graph: every query against every key, or every weight times its value row.
    fn flops(&self) -> f64 {
        let (b, g) = (self.b, self.g);
        2.0 * (b * g.n * g.n * g.dx) as f64
    }
}

/// `[q, k, mul, add]` → scores.
#[derive(Clone, Debug)]
struct Scores(Graphs);

impl FlexOp for Scores {
    fn kind(&self) -> &'static str {
        "graph-attention"
    }

    fn flops(&self, _: &[&[f32]]) -> f64 {
        self.0.flops()
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let Graphs { b, g } = self.0;
        let (q, k, mul, add) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        let fits = k.len() == q.len()
            && q.len() == b * g.node()
            && mul.len() == b * g.edge()
            && add.len() == mul.len();
        if !fits {
            return None;
        }
        let mut s = vec![0.0f32; mul.len()];
        if g.edge() > 0 {
            let nodes = q.par_chunks(g.node()).zip(k.par_chunks(g.node()));
            let edges = mul.par_chunks(g.edge()).zip(add.par_chunks(g.edge()));
            s.par_chunks_mut(g.edge())
                .zip(nodes.zip(edges))
                .for_each(|(s, ((q, k), (m, a)))| attention::film_scores(g, q, k, m, a, s));
        }
        Some((s, vec![b, g.n, g.n, g.heads]))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let g = self.0.g;
        let (q, k, mul) = (inputs[0], inputs[1], inputs[2]);
        let (mut dq, mut dk) = (vec![0.0f32; q.len()], vec![0.0f32; k.len()]);
        let mut dmul = vec![0.0f32; mul.len()];
        if g.edge() > 0 {
            let nodes = q.par_chunks(g.node()).zip(k.par_chunks(g.node()));
            let edges = mul.par_chunks(g.edge()).zip(grad.par_chunks(g.edge()));
            let d_nodes = dq.par_chunks_mut(g.node()).zip(dk.par_chunks_mut(g.node()));
            d_nodes
                .zip(dmul.par_chunks_mut(g.edge()))
                .zip(nodes.zip(edges))
                .for_each(|(((dq, dk), dm), ((q, k), (m, gs)))| {
                    attention::film_scores_backward(g, q, k, m, gs, dq, dk, dm)
                });
        }
        vec![
            needed[0].then_some(dq),
            needed[1].then_some(dk),
            needed[2].then_some(dmul),
            needed[3].then(|| grad.to_vec()),
        ]
    }
}

/// `[scores, v, mask]` → attention output.
#[derive(Clone, Debug)]
struct Attend(Graphs);

impl FlexOp for Attend {
    fn kind(&self) -> &'static str {
        "graph-attention"
    }

    fn flops(&self, _: &[&[f32]]) -> f64 {
        self.0.flops()
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let Graphs { b, g } = self.0;
        let (s, v, mask) = (inputs[0], inputs[1], inputs[2]);
        let fits = s.len() == b * g.edge() && v.len() == b * g.node() && mask.len() == b * g.n;
        if !fits {
            return None;
        }
        let mut out = vec![0.0f32; v.len()];
        if g.node() > 0 {
            let ins = s.par_chunks(g.edge().max(1)).zip(v.par_chunks(g.node()));
            out.par_chunks_mut(g.node())
                .zip(ins.zip(mask.par_chunks(g.n)))
                .for_each(|(out, ((s, v), mask))| attention::attend(g, s, mask, v, out));
        }
        Some((out, vec![b, g.n, g.dx]))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let g = self.0.g;
        let (s, v, mask) = (inputs[0], inputs[1], inputs[2]);
        let (mut ds, mut dv) = (vec![0.0f32; s.len()], vec![0.0f32; v.len()]);
        if g.node() > 0 {
            let ins = s.par_chunks(g.edge().max(1)).zip(v.par_chunks(g.node()));
            let ins = ins.zip(mask.par_chunks(g.n).zip(grad.par_chunks(g.node())));
            ds.par_chunks_mut(g.edge().max(1))
                .zip(dv.par_chunks_mut(g.node()))
                .zip(ins)
                .for_each(|((ds, dv), ((s, v), (mask, dout)))| {
                    attention::attend_backward(g, s, mask, v, dout, ds, dv)
                });
        }
        let dmask = needed[2].then(|| {
            // ∂mask[b, j] = Σ_{i,h} ∂s[b, i, j, h].
            let mut dm = vec![0.0f32; mask.len()];
            for (gi, ds) in ds.chunks_exact(g.edge().max(1)).enumerate() {
                for (ijh, d) in ds.iter().enumerate() {
                    dm[gi * g.n + ijh / g.heads % g.n] += d;
                }
            }
            dm
        });
        vec![needed[0].then_some(ds), needed[1].then_some(dv), dmask]
    }
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
