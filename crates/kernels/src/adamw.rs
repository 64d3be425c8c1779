//! One AdamW update (Loshchilov & Hutter 2019, Alg. 2) of a run of parameters, exactly as burn's
//! `AdamW` computes it: `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
//! `p ← p·(1 − η·λ) − η·m̂/(√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`; one pass over
//! the parameters, parallel in chunks, vectorised where the CPU allows.

use crate::vmath::dispatch;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// burn's `AdamWConfig` defaults.
pub const BETA_1: f32 = 0.9;
pub const BETA_2: f32 = 0.999;
pub const EPSILON: f32 = 1e-5;

/// Elements per rayon task.
const CHUNK: usize = 1 << 14;

/// The new `(p, m, v)` after one step from parameters `p`, gradient `g` and moments `m`, `v`
/// (all of one length; panics otherwise), written straight into fresh buffers.
pub fn step(
    p: &[f32],
    g: &[f32],
    m: &[f32],
    v: &[f32],
    coefs: Coefs,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = p.len();
    assert!(
        g.len() == n && m.len() == n && v.len() == n,
        "AdamW: parameters, gradient and moments differ in length"
    );
    let (mut p2, mut m2, mut v2) = (Vec::with_capacity(n), Vec::new(), Vec::new());
    m2.reserve_exact(n);
    v2.reserve_exact(n);
    chunks(&mut p2, n)
        .zip(chunks(&mut m2, n).zip(chunks(&mut v2, n)))
        .enumerate()
        .for_each(|(c, (p2, (m2, v2)))| {
            let at = c * CHUNK..c * CHUNK + p2.len();
            let (p, g) = (&p[at.clone()], &g[at.clone()]);
            update(p, g, &m[at.clone()], &v[at], p2, m2, v2, coefs);
        });
    // SAFETY: `update` wrote every element of the three buffers' first `n` (each chunk's
    // slices have the chunk's length, checked against `n` above).
    unsafe {
        p2.set_len(n);
        m2.set_len(n);
        v2.set_len(n);
    }
    (p2, m2, v2)
}

/// The first `n` spare elements of `v` in rayon chunks of [`CHUNK`].
fn chunks(v: &mut Vec<f32>, n: usize) -> rayon::slice::ChunksMut<'_, MaybeUninit<f32>> {
    v.spare_capacity_mut()[..n].par_chunks_mut(CHUNK)
}

/// The step's scalars: learning rate, decay factor `1 − η·λ`, bias corrections `1 − βᵢᵗ`.
#[derive(Clone, Copy)]
pub struct Coefs {
    pub lr: f32,
    pub keep: f32,
    pub c1: f32,
    pub c2: f32,
}

/// One AdamW update of a run of parameters: new `p`, `m`, `v` into `p2`, `m2`, `v2`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_portable(
    p: &[f32],
    g: &[f32],
    m: &[f32],
    v: &[f32],
    p2: &mut [MaybeUninit<f32>],
    m2: &mut [MaybeUninit<f32>],
    v2: &mut [MaybeUninit<f32>],
    k: Coefs,
) {
    let n = p.len();
    let (g, m, v, p2, m2, v2) = (
        &g[..n],
        &m[..n],
        &v[..n],
        &mut p2[..n],
        &mut m2[..n],
        &mut v2[..n],
    );
    for i in 0..n {
        let mi = BETA_1 * m[i] + (1.0 - BETA_1) * g[i];
        let vi = BETA_2 * v[i] + (1.0 - BETA_2) * g[i] * g[i];
        let delta = (mi / k.c1) / ((vi / k.c2).sqrt() + EPSILON);
        p2[i].write(p[i] * k.keep - delta * k.lr);
        m2[i].write(mi);
        v2[i].write(vi);
    }
}

dispatch!(
    /// [`update_portable`], vectorised where the CPU allows.
    update = update_portable(
        p: &[f32], g: &[f32], m: &[f32], v: &[f32], p2: &mut [MaybeUninit<f32>],
        m2: &mut [MaybeUninit<f32>], v2: &mut [MaybeUninit<f32>], k: Coefs
    )
);
