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
//! backends run exactly that composition.

use super::flex_op::{self, FlexOp};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
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
    let op = Scores(Sizes { b, n, dx, heads });
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
    let op = Attend(Sizes { b, n, dx, heads });
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

/// The shapes of both ops: `b` graphs of `n` nodes, node width `dx = H·d_h`.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    b: usize,
    n: usize,
    dx: usize,
    heads: usize,
}

impl Sizes {
    fn dh(&self) -> usize {
        self.dx / self.heads
    }

    /// Node rows `[n, dx]` and edge blocks `[n, n, H]` of one graph.
    fn node(&self) -> usize {
        self.n * self.dx
    }

    fn edge(&self) -> usize {
        self.n * self.n * self.heads
    }
}

/// `[q, k, mul, add]` → scores.
#[derive(Clone, Debug)]
struct Scores(Sizes);

impl Scores {
    /// `q[i,h]·k[j,h]/√d_h` for every `(i, j, h)` of one graph, in the edge layout.
    fn raw(z: Sizes, q: &[f32], k: &[f32], out: &mut [f32]) {
        let (dh, scale) = (z.dh(), 1.0 / (z.dh() as f32).sqrt());
        for (ij, o) in out.chunks_exact_mut(z.heads).enumerate() {
            let (qi, kj) = (&q[ij / z.n * z.dx..][..z.dx], &k[ij % z.n * z.dx..][..z.dx]);
            for (h, o) in o.iter_mut().enumerate() {
                let (a, b) = (&qi[h * dh..][..dh], &kj[h * dh..][..dh]);
                *o = a.iter().zip(b).map(|(a, b)| a * b).sum::<f32>() * scale;
            }
        }
    }
}

impl FlexOp for Scores {
    fn kind(&self) -> &'static str {
        "graph-attention"
    }

    /// `2·n²·d` per graph: every query against every key.
    fn flops(&self, _: &[&[f32]]) -> f64 {
        let z = self.0;
        2.0 * (z.b * z.n * z.n * z.dx) as f64
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let z = self.0;
        let (q, k, mul, add) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        let fits = z.heads > 0
            && z.dx % z.heads == 0
            && k.len() == q.len()
            && q.len() == z.b * z.node()
            && mul.len() == z.b * z.edge()
            && add.len() == mul.len();
        if !fits {
            return None;
        }
        let mut s = vec![0.0f32; mul.len()];
        if z.edge() > 0 {
            s.par_chunks_mut(z.edge()).enumerate().for_each(|(g, s)| {
                let (nodes, edges) = (g * z.node()..(g + 1) * z.node(), g * z.edge()..);
                Self::raw(z, &q[nodes.clone()], &k[nodes], s);
                let (m, a) = (&mul[edges.clone()], &add[edges]);
                for ((s, m), a) in s.iter_mut().zip(m).zip(a) {
                    *s = *s * (1.0 + m) + a;
                }
            });
        }
        Some((s, vec![z.b, z.n, z.n, z.heads]))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let z = self.0;
        let (q, k, mul) = (inputs[0], inputs[1], inputs[2]);
        let (dh, scale) = (z.dh(), 1.0 / (z.dh() as f32).sqrt());
        let (mut dq, mut dk) = (vec![0.0f32; q.len()], vec![0.0f32; k.len()]);
        let mut dmul = vec![0.0f32; mul.len()];
        if z.edge() > 0 {
            let node_chunks = dq.par_chunks_mut(z.node()).zip(dk.par_chunks_mut(z.node()));
            node_chunks
                .zip(dmul.par_chunks_mut(z.edge()))
                .enumerate()
                .for_each(|(g, ((dq, dk), dmul))| {
                    let nodes = g * z.node()..(g + 1) * z.node();
                    let (q, k) = (&q[nodes.clone()], &k[nodes]);
                    let edges = g * z.edge()..(g + 1) * z.edge();
                    let (m, gs) = (&mul[edges.clone()], &grad[edges]);
                    Self::raw(z, q, k, dmul); // ∂mul = ∂s·raw
                    for (ij, ((dm, m), gs)) in dmul
                        .chunks_exact_mut(z.heads)
                        .zip(m.chunks_exact(z.heads))
                        .zip(gs.chunks_exact(z.heads))
                        .enumerate()
                    {
                        let (i, j) = (ij / z.n, ij % z.n);
                        for h in 0..z.heads {
                            dm[h] *= gs[h];
                            let dr = gs[h] * (1.0 + m[h]) * scale;
                            let cols = i * z.dx + h * dh..i * z.dx + (h + 1) * dh;
                            let colsj = j * z.dx + h * dh..j * z.dx + (h + 1) * dh;
                            for (d, kv) in dq[cols.clone()].iter_mut().zip(&k[colsj.clone()]) {
                                *d += dr * kv;
                            }
                            for (d, qv) in dk[colsj].iter_mut().zip(&q[cols]) {
                                *d += dr * qv;
                            }
                        }
                    }
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
struct Attend(Sizes);

impl Attend {
    /// The attention weights `a[i, h, j]` of one graph (softmax over `j`).
    fn weights(z: Sizes, s: &[f32], mask: &[f32]) -> Vec<f32> {
        let n = z.n;
        let mut a = vec![0.0f32; n * z.heads * n];
        for (ih, row) in a.chunks_exact_mut(n).enumerate() {
            let (i, h) = (ih / z.heads, ih % z.heads);
            for (j, r) in row.iter_mut().enumerate() {
                *r = s[(i * n + j) * z.heads + h] + mask[j];
            }
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut total = 0.0f32;
            for r in row.iter_mut() {
                *r = (*r - max).exp();
                total += *r;
            }
            row.iter_mut().for_each(|r| *r /= total);
        }
        a
    }
}

impl FlexOp for Attend {
    fn kind(&self) -> &'static str {
        "graph-attention"
    }

    /// `2·n²·d` per graph: every weight times its value row.
    fn flops(&self, _: &[&[f32]]) -> f64 {
        let z = self.0;
        2.0 * (z.b * z.n * z.n * z.dx) as f64
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let z = self.0;
        let (s, v, mask) = (inputs[0], inputs[1], inputs[2]);
        let fits = z.heads > 0
            && z.dx % z.heads == 0
            && s.len() == z.b * z.edge()
            && v.len() == z.b * z.node()
            && mask.len() == z.b * z.n;
        if !fits {
            return None;
        }
        let dh = z.dh();
        let mut out = vec![0.0f32; v.len()];
        if z.node() > 0 {
            out.par_chunks_mut(z.node())
                .enumerate()
                .for_each(|(g, out)| {
                    let s = &s[g * z.edge()..][..z.edge()];
                    let (v, mask) = (&v[g * z.node()..][..z.node()], &mask[g * z.n..][..z.n]);
                    let a = Self::weights(z, s, mask);
                    for (ih, a) in a.chunks_exact(z.n).enumerate() {
                        let (i, h) = (ih / z.heads, ih % z.heads);
                        let o = &mut out[i * z.dx + h * dh..][..dh];
                        for (j, &w) in a.iter().enumerate() {
                            let vj = &v[j * z.dx + h * dh..][..dh];
                            o.iter_mut().zip(vj).for_each(|(o, v)| *o += w * v);
                        }
                    }
                });
        }
        Some((out, vec![z.b, z.n, z.dx]))
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let z = self.0;
        let (s, v, mask) = (inputs[0], inputs[1], inputs[2]);
        let dh = z.dh();
        let (mut ds, mut dv) = (vec![0.0f32; s.len()], vec![0.0f32; v.len()]);
        if z.node() > 0 {
            ds.par_chunks_mut(z.edge())
                .zip(dv.par_chunks_mut(z.node()))
                .enumerate()
                .for_each(|(g, (ds, dv))| {
                    let s = &s[g * z.edge()..][..z.edge()];
                    let (v, mask) = (&v[g * z.node()..][..z.node()], &mask[g * z.n..][..z.n]);
                    let dout = &grad[g * z.node()..][..z.node()];
                    let a = Self::weights(z, s, mask);
                    let mut da = vec![0.0f32; z.n];
                    for (ih, a) in a.chunks_exact(z.n).enumerate() {
                        let (i, h) = (ih / z.heads, ih % z.heads);
                        let go = &dout[i * z.dx + h * dh..][..dh];
                        for (j, (&w, da)) in a.iter().zip(da.iter_mut()).enumerate() {
                            let cols = j * z.dx + h * dh..j * z.dx + (h + 1) * dh;
                            *da = go.iter().zip(&v[cols.clone()]).map(|(g, v)| g * v).sum();
                            dv[cols].iter_mut().zip(go).for_each(|(d, g)| *d += w * g);
                        }
                        let mean: f32 = a.iter().zip(&da).map(|(w, d)| w * d).sum();
                        for (j, (&w, &d)) in a.iter().zip(&da).enumerate() {
                            ds[(i * z.n + j) * z.heads + h] = w * (d - mean);
                        }
                    }
                });
        }
        let dmask = needed[2].then(|| {
            // ∂mask[b, j] = Σ_{i,h} ∂s[b, i, j, h].
            let mut dm = vec![0.0f32; mask.len()];
            for (g, ds) in ds.chunks_exact(z.edge().max(1)).enumerate() {
                for (ijh, d) in ds.iter().enumerate() {
                    dm[g * z.n + ijh / z.heads % z.n] += d;
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
