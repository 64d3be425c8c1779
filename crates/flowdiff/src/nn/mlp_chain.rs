//! A fused MLP for the flex CPU backend: `L` linear layers with an activation `φ` (SiLU or
//! ReLU) between them, `y = W_L·φ(… φ(W_1·x + b_1) …) + b_L`, as **one** autodiff node
//! ([`super::flex_op`]).
//!
//! Why: a 2-D flow-matching MLP step is ~40 small ops in burn (and ~10 with the fused
//! [`super::linear`]); each is a rayon parallel region whose workers sleep and wake, which was
//! ~13% of a step in the profile. Here the batch is cut into row chunks, each chunk runs the
//! whole chain (forward, or backward) on one thread with single-threaded GEMMs, and the chunks
//! run in parallel: one parallel region for the forward and one for the backward. The forward
//! keeps each hidden layer's output `h` (and for SiLU `σ(z)`, so that its backward
//! `σ + z·σ·(1 − σ) = σ + h·(1 − σ)` needs no `exp`; ReLU's is `[h > 0]`). Weight gradients are
//! summed over chunks.
//!
//! Weights stay burn's `Linear`s (same records); other backends, layers without bias and
//! mismatched widths run [`super::linear`] and the activation layer by layer.

use super::flex_op::{self, FlexOp};
use super::linear::linear;
use super::norm_act::silu;
use burn::backend::DispatchTensor;
use burn::nn::Linear;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use flowdiff_kernels::matmul::NARROW;
use flowdiff_kernels::matmul::{Mat, column_sums, gemm, product, transpose};
use flowdiff_kernels::vmath;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Rows per chunk at most (a chunk's activations stay in cache).
const CHUNK_ROWS: usize = 256;

/// The activation between the layers of a chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Silu,
    Relu,
}

impl Activation {
    fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Silu => silu(x),
            Activation::Relu => relu(x),
        }
    }
}

/// `layers[L−1](φ(… φ(layers[0](x)) …))`: `x: [.., d_in]` → `[.., d_out]`.
pub fn mlp_chain<const D: usize>(layers: &[&Linear], act: Activation, x: Tensor<D>) -> Tensor<D> {
    let fused = fused(layers, act, &x).and_then(|(op, inputs)| flex_op::apply(op, &inputs));
    fused.unwrap_or_else(|| {
        let (last, hidden) = layers.split_last().expect("at least one layer");
        let h = hidden.iter().fold(x, |h, l| act.apply(linear(l, h)));
        linear(last, h)
    })
}

/// The fused op and its inputs, `None` when a layer has no bias or the widths do not chain.
fn fused<const D: usize>(
    layers: &[&Linear],
    act: Activation,
    x: &Tensor<D>,
) -> Option<(ChainOp, Vec<DispatchTensor>)> {
    let dims = x.dims();
    let (rows, d_in) = (dims[..D - 1].iter().product(), dims[D - 1]);
    let mut widths = vec![d_in];
    let mut inputs = vec![x.clone().into_dispatch()];
    for layer in layers {
        let [i, o] = layer.weight.dims();
        let b = layer.bias.as_ref()?;
        if i != widths[widths.len() - 1] {
            return None;
        }
        widths.push(o);
        inputs.push(layer.weight.val().into_dispatch());
        inputs.push(b.val().into_dispatch());
    }
    let mut out = dims.to_vec();
    out[D - 1] = widths[widths.len() - 1];
    let kept = Arc::default();
    Some((
        ChainOp {
            rows,
            widths,
            act,
            out,
            kept,
        },
        inputs,
    ))
}

/// `[x, W_1, b_1, …, W_L, b_L]` → the chain's output; `widths = [d_in, …, d_out]`.
#[derive(Clone, Debug)]
struct ChainOp {
    rows: usize,
    widths: Vec<usize>,
    act: Activation,
    /// Output shape.
    out: Vec<usize>,
    /// The forward's kept activations, one entry per row chunk, taken by the backward.
    kept: Arc<Mutex<Option<Vec<Kept>>>>,
}

/// One row chunk's hidden activations: `h[l]` (layer `l`'s activation output) and, for SiLU,
/// `s[l] = σ(z_l)`.
#[derive(Debug, Default)]
struct Kept {
    h: Vec<Vec<f32>>,
    s: Vec<Vec<f32>>,
}

/// One row chunk's gradients: `∂x` (if asked) and `[∂W_1, ∂b_1, …]`.
type ChunkGrads = (Option<Vec<f32>>, Vec<Vec<f32>>);

impl ChainOp {
    fn layers(&self) -> usize {
        self.widths.len() - 1
    }

    fn chunk(&self) -> usize {
        let threads = rayon::current_num_threads().max(1);
        self.rows.div_ceil(threads).clamp(1, CHUNK_ROWS)
    }

    fn fits(&self, inputs: &[&[f32]]) -> bool {
        inputs.len() == 1 + 2 * self.layers()
            && inputs[0].len() == self.rows * self.widths[0]
            && self.widths.windows(2).enumerate().all(|(l, w)| {
                inputs[1 + 2 * l].len() == w[0] * w[1] && inputs[2 + 2 * l].len() == w[1]
            })
    }

    /// The output, and every chunk's activations if `keep` (for the backward).
    fn run(&self, inputs: &[&[f32]], keep: bool) -> Option<(Vec<f32>, Vec<Kept>)> {
        if !self.fits(inputs) {
            return None;
        }
        let (d_in, d_out) = (self.widths[0], self.widths[self.layers()]);
        let mut y = vec![0.0f32; self.rows * d_out];
        if self.rows == 0 {
            return Some((y, Vec::new()));
        }
        let chunk = self.chunk();
        let kept = inputs[0]
            .par_chunks(chunk * d_in)
            .zip(y.par_chunks_mut(chunk * d_out))
            .map(|(x, y)| self.forward_chunk(x, &inputs[1..], y, keep))
            .collect();
        Some((y, kept))
    }

    /// The chain on one chunk of rows, single-threaded, writing its output into `y`; without
    /// `keep`, only the last hidden activation stays and no `σ` is stored.
    fn forward_chunk(&self, x: &[f32], params: &[&[f32]], y: &mut [f32], keep: bool) -> Kept {
        let r = x.len() / self.widths[0];
        let mut kept = Kept::default();
        for l in 0..self.layers() {
            let (k, n) = (self.widths[l], self.widths[l + 1]);
            let (w, b) = (params[2 * l], params[2 * l + 1]);
            let input: &[f32] = kept.h.last().map_or(x, |h| h);
            if l + 1 == self.layers() {
                y.chunks_exact_mut(n).for_each(|row| row.copy_from_slice(b));
                gemm(
                    y,
                    [r, n, k],
                    Mat::rows(input, k),
                    Mat::rows(w, n),
                    true,
                    false,
                );
            } else {
                let mut h = product([r, n, k], Mat::rows(input, k), Mat::rows(w, n), false);
                let s = match self.act {
                    Activation::Silu if !keep => {
                        vmath::silu_bias(&mut h, b);
                        Vec::new()
                    }
                    Activation::Silu => vmath::silu_kept(&mut h, b),
                    Activation::Relu => {
                        for row in h.chunks_exact_mut(n) {
                            row.iter_mut()
                                .zip(b)
                                .for_each(|(v, b)| *v = (*v + b).max(0.0));
                        }
                        Vec::new()
                    }
                };
                if !keep {
                    kept.h.clear();
                }
                kept.h.push(h);
                kept.s.push(s);
            }
        }
        kept
    }

    /// `Wᵀ` (row-major `[d_out, d_in]`) of every layer whose input gradient goes to the gemm
    /// crate: `∂h = g·Wᵀ` with `Wᵀ` in rows runs at ~110 GFLOP/s against ~95 with the strided
    /// `W` (which the crate repacks for every chunk); the copy is made once per backward, one
    /// layer per task.
    fn transposed_weights(&self, params: &[&[f32]], dx_needed: bool) -> Vec<Option<Vec<f32>>> {
        (0..self.layers())
            .into_par_iter()
            .map(|l| {
                let (k, n) = (self.widths[l], self.widths[l + 1]);
                let wanted = (l > 0 || dx_needed) && k > NARROW && n > NARROW;
                wanted.then(|| transpose(params[2 * l], k, n))
            })
            .collect()
    }

    /// One chunk's backward from its output gradient `dy`, single-threaded (`wt`: from
    /// [`Self::transposed_weights`]).
    fn backward_chunk(
        &self,
        x: &[f32],
        params: &[&[f32]],
        wt: &[Option<Vec<f32>>],
        kept: &Kept,
        dy: &[f32],
        dx_needed: bool,
    ) -> ChunkGrads {
        let r = x.len() / self.widths[0];
        let mut grads = vec![Vec::new(); 2 * self.layers()];
        let mut below = Vec::new(); // ∂loss/∂z_l below the last layer (`dy` for the last)
        let mut dx = None;
        for l in (0..self.layers()).rev() {
            let g: &[f32] = if l + 1 == self.layers() { dy } else { &below };
            let (k, n) = (self.widths[l], self.widths[l + 1]);
            let input: &[f32] = if l == 0 { x } else { &kept.h[l - 1] };
            let (lhs, rhs) = (Mat::transposed(input, k), Mat::rows(g, n));
            grads[2 * l] = product([k, n, r], lhs, rhs, false);
            grads[2 * l + 1] = column_sums(g, n);
            if l > 0 || dx_needed {
                let rhs = match &wt[l] {
                    Some(wt) => Mat::rows(wt, k),
                    None => Mat::transposed(params[2 * l], n),
                };
                let lhs = Mat::rows(g, n);
                let mut dh = product([r, k, n], lhs, rhs, false);
                if l > 0 {
                    let h = &kept.h[l - 1];
                    match self.act {
                        Activation::Silu => vmath::silu_backward_kept(&mut dh, &kept.s[l - 1], h),
                        Activation::Relu => dh.iter_mut().zip(h).for_each(|(d, &h)| {
                            if h <= 0.0 {
                                *d = 0.0;
                            }
                        }),
                    }
                    below = dh;
                } else {
                    dx = Some(dh);
                }
            }
        }
        (dx, grads)
    }
}

impl FlexOp for ChainOp {
    fn kind(&self) -> &'static str {
        "mlp-chain"
    }

    /// `2·rows·Σ_l w_l·w_{l+1}`: the layers' products.
    fn flops(&self, _: &[&[f32]]) -> f64 {
        let macs: usize = self.widths.windows(2).map(|w| w[0] * w[1]).sum();
        2.0 * (self.rows * macs) as f64
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let (y, kept) = self.run(inputs, true)?;
        *self.kept.lock().expect("chain activations") = Some(kept);
        Some((y, self.out.clone()))
    }

    fn infer(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let (y, _) = self.run(inputs, false)?;
        Some((y, self.out.clone()))
    }

    fn backward(&self, inputs: &[&[f32]], dy: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let kept = self.kept.lock().expect("chain activations").take();
        let kept = kept.unwrap_or_else(|| self.run(inputs, true).expect("inputs fit").1);
        let (d_in, d_out) = (self.widths[0], self.widths[self.layers()]);
        let chunk = self.chunk();
        let params = &inputs[1..];
        let wt = self.transposed_weights(params, needed[0]);
        let per_chunk: Vec<ChunkGrads> = inputs[0]
            .par_chunks(chunk * d_in)
            .zip(dy.par_chunks(chunk * d_out))
            .zip(kept.par_iter())
            .map(|((x, dy), kept)| self.backward_chunk(x, params, &wt, kept, dy, needed[0]))
            .collect();
        let mut dx = needed[0].then(|| Vec::with_capacity(self.rows * d_in));
        let mut sums: Option<Vec<Vec<f32>>> = None;
        for (chunk_dx, grads) in per_chunk {
            if let (Some(dx), Some(c)) = (&mut dx, chunk_dx) {
                dx.extend_from_slice(&c);
            }
            match &mut sums {
                None => sums = Some(grads),
                Some(sums) => sums.iter_mut().zip(grads).for_each(|(s, g)| {
                    s.iter_mut().zip(g).for_each(|(s, g)| *s += g);
                }),
            }
        }
        let mut sums = sums.unwrap_or_else(|| {
            let sizes = self.widths.windows(2).flat_map(|w| [w[0] * w[1], w[1]]);
            sizes.map(|n| vec![0.0; n]).collect()
        });
        let mut out = vec![dx];
        for (i, g) in sums.drain(..).enumerate() {
            out.push(needed[1 + i].then_some(g));
        }
        out
    }
}

#[cfg(test)]
#[path = "mlp_chain_tests.rs"]
mod tests;
