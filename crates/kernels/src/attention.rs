//! The graph transformer's edge-modulated attention (DiGress, Vignac et al. 2023, App. B.1)
//! over the slices of one graph, forward and backward:
//!
//! - [`film_scores`]: `s[i,j,h] = (q[i,h]·k[j,h] / √d_h)·(1 + mul[i,j,h]) + add[i,j,h]`;
//! - [`attend`]: `out[i,h] = Σ_j a[i,j,h]·v[j,h]`, `a[i,·,h] = softmax_j(s[i,j,h] + mask[j])`.
//!
//! Layouts ([`Shape`]): node rows `q, k, v, out: [n, H·d_h]` (head `h` in columns
//! `h·d_h..(h+1)·d_h`), edge blocks `s, mul, add: [n, n, H]` (heads fastest), `mask: [n]`.
//! With heads fastest the softmax runs over `j` with the `H` heads in the vector lanes, and
//! every per-head dot product or update is a run of `d_h` contiguous columns in eight f32
//! lanes ([`crate::attention_lanes`]: AVX2+FMA intrinsics where the CPU has them, picked at run
//! time by [`crate::vmath::has_avx2`], else portable code).

#[cfg(target_arch = "x86_64")]
use crate::attention_lanes::Avx2;
use crate::attention_lanes::{Lanes, Portable};
use crate::vmath::exp_nonpositive;

/// One graph's sizes: `n` nodes, `heads` heads of width `dx / heads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub n: usize,
    pub heads: usize,
    pub dx: usize,
}

impl Shape {
    /// `None` unless `heads > 0` divides `dx > 0`.
    pub fn new(n: usize, heads: usize, dx: usize) -> Option<Self> {
        (heads > 0 && dx > 0 && dx.is_multiple_of(heads)).then_some(Self { n, heads, dx })
    }

    /// Columns per head, `d_h`.
    pub fn dh(&self) -> usize {
        self.dx / self.heads
    }

    /// Length of a node block `[n, dx]`.
    pub fn node(&self) -> usize {
        self.n * self.dx
    }

    /// Length of an edge block `[n, n, H]`.
    pub fn edge(&self) -> usize {
        self.n * self.n * self.heads
    }

    fn check(&self, nodes: &[&[f32]], edges: &[&[f32]]) {
        let divides = self.heads > 0 && self.dx > 0 && self.dx.is_multiple_of(self.heads);
        assert!(divides, "heads dividing dx > 0");
        assert!(
            nodes.iter().all(|x| x.len() == self.node()),
            "node blocks of [n, dx]"
        );
        assert!(
            edges.iter().all(|x| x.len() == self.edge()),
            "edge blocks of [n, n, H]"
        );
    }
}

/// Node row `i` of a node block.
#[inline(always)]
fn row(x: &[f32], z: Shape, i: usize) -> &[f32] {
    &x[i * z.dx..][..z.dx]
}

#[inline(always)]
fn row_mut(x: &mut [f32], z: Shape, i: usize) -> &mut [f32] {
    &mut x[i * z.dx..][..z.dx]
}

/// The heads of edge `(i, j)` of an edge block.
#[inline(always)]
fn edge(x: &[f32], z: Shape, i: usize, j: usize) -> &[f32] {
    &x[(i * z.n + j) * z.heads..][..z.heads]
}

/// `raw[i,j,h] = q[i,h]·k[j,h] / √d_h`.
#[inline(always)]
fn raw_scores<L: Lanes>(z: Shape, q: &[f32], k: &[f32], raw: &mut [f32]) {
    let dh = z.dh();
    let scale = 1.0 / (dh as f32).sqrt();
    let mut out = raw.chunks_exact_mut(z.heads);
    for i in 0..z.n {
        let qi = row(q, z, i);
        for j in 0..z.n {
            let heads = qi.chunks_exact(dh).zip(row(k, z, j).chunks_exact(dh));
            let o = out.next().expect("n² edges of H heads");
            for (o, (a, b)) in o.iter_mut().zip(heads) {
                *o = L::dot(a, b) * scale;
            }
        }
    }
}

#[inline(always)]
fn film_scores_body<L: Lanes>(
    z: Shape,
    q: &[f32],
    k: &[f32],
    mul: &[f32],
    add: &[f32],
    s: &mut [f32],
) {
    raw_scores::<L>(z, q, k, s);
    for ((s, m), a) in s.iter_mut().zip(mul).zip(add) {
        *s = *s * (1.0 + m) + a;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn film_scores_backward_body<L: Lanes>(
    z: Shape,
    q: &[f32],
    k: &[f32],
    mul: &[f32],
    grad: &[f32],
    dq: &mut [f32],
    dk: &mut [f32],
    dmul: &mut [f32],
) {
    let dh = z.dh();
    let scale = 1.0 / (dh as f32).sqrt();
    raw_scores::<L>(z, q, k, dmul);
    for (dm, g) in dmul.iter_mut().zip(grad) {
        *dm *= g; // ∂mul = ∂s·raw
    }
    dq.fill(0.0);
    dk.fill(0.0);
    let mut dr = vec![0.0f32; z.heads];
    for i in 0..z.n {
        let qi = row(q, z, i);
        for j in 0..z.n {
            let (m, g) = (edge(mul, z, i, j), edge(grad, z, i, j));
            for ((d, m), g) in dr.iter_mut().zip(m).zip(g) {
                *d = g * (1.0 + m) * scale;
            }
            let kj = row(k, z, j);
            let heads = row_mut(dq, z, i)
                .chunks_exact_mut(dh)
                .zip(kj.chunks_exact(dh));
            heads.zip(&dr).for_each(|((y, x), &d)| L::axpy(d, x, y));
            let heads = row_mut(dk, z, j)
                .chunks_exact_mut(dh)
                .zip(qi.chunks_exact(dh));
            heads.zip(&dr).for_each(|((y, x), &d)| L::axpy(d, x, y));
        }
    }
}

/// The attention weights `a[i,j,h]` (softmax over `j` of `s + mask[j]`), written into `a`
/// (`[n, n, H]`); `top` is `H` values of scratch.
#[inline(always)]
fn weights(z: Shape, s: &[f32], mask: &[f32], a: &mut [f32], top: &mut [f32]) {
    let row = z.n * z.heads;
    for (s, a) in s
        .chunks_exact(row.max(1))
        .zip(a.chunks_exact_mut(row.max(1)))
    {
        top.fill(f32::NEG_INFINITY);
        for (s, &m) in s.chunks_exact(z.heads).zip(mask) {
            top.iter_mut().zip(s).for_each(|(t, s)| *t = t.max(s + m));
        }
        for ((a, s), &m) in a
            .chunks_exact_mut(z.heads)
            .zip(s.chunks_exact(z.heads))
            .zip(mask)
        {
            for ((a, s), t) in a.iter_mut().zip(s).zip(&*top) {
                *a = exp_nonpositive(s + m - t);
            }
        }
        top.fill(0.0);
        for a in a.chunks_exact(z.heads) {
            top.iter_mut().zip(a).for_each(|(t, a)| *t += a);
        }
        for a in a.chunks_exact_mut(z.heads) {
            a.iter_mut().zip(&*top).for_each(|(a, t)| *a /= t);
        }
    }
}

#[inline(always)]
fn attend_body<L: Lanes>(z: Shape, s: &[f32], mask: &[f32], v: &[f32], out: &mut [f32]) {
    let dh = z.dh();
    let (mut a, mut top) = (vec![0.0f32; z.edge()], vec![0.0f32; z.heads]);
    weights(z, s, mask, &mut a, &mut top);
    out.fill(0.0);
    for i in 0..z.n {
        let oi = row_mut(out, z, i);
        for j in 0..z.n {
            let heads = oi.chunks_exact_mut(dh).zip(row(v, z, j).chunks_exact(dh));
            heads
                .zip(edge(&a, z, i, j))
                .for_each(|((y, x), &w)| L::axpy(w, x, y));
        }
    }
}

#[inline(always)]
fn attend_backward_body<L: Lanes>(
    z: Shape,
    s: &[f32],
    mask: &[f32],
    v: &[f32],
    dout: &[f32],
    ds: &mut [f32],
    dv: &mut [f32],
) {
    let (dh, hs) = (z.dh(), z.heads);
    let mut top = vec![0.0f32; hs];
    weights(z, s, mask, ds, &mut top); // ds holds a until overwritten row by row
    dv.fill(0.0);
    let mut da = vec![0.0f32; z.n * hs];
    for (i, a) in ds.chunks_exact_mut(z.n * hs).enumerate() {
        let go = row(dout, z, i);
        for (j, (a, da)) in a.chunks_exact(hs).zip(da.chunks_exact_mut(hs)).enumerate() {
            let vj = go.chunks_exact(dh).zip(row(v, z, j).chunks_exact(dh));
            for ((g, x), da) in vj.zip(da.iter_mut()) {
                *da = L::dot(g, x);
            }
            let heads = row_mut(dv, z, j)
                .chunks_exact_mut(dh)
                .zip(go.chunks_exact(dh));
            heads.zip(a).for_each(|((y, x), &w)| L::axpy(w, x, y));
        }
        // ∂s = a·(∂a − Σ_j a·∂a), per head.
        top.fill(0.0);
        for (a, da) in a.chunks_exact(hs).zip(da.chunks_exact(hs)) {
            for ((t, a), da) in top.iter_mut().zip(a).zip(da) {
                *t += a * da;
            }
        }
        for (a, da) in a.chunks_exact_mut(hs).zip(da.chunks_exact(hs)) {
            for ((a, da), t) in a.iter_mut().zip(da).zip(&*top) {
                *a *= da - t;
            }
        }
    }
}

/// `pub fn $name(args)`: runs `$check`, then `$body::<Avx2>` where the CPU has AVX2 and FMA
/// (and `FLOWDIFF_ISA` allows them), else `$body::<Portable>`.
macro_rules! dispatch_lanes {
    ($(#[$doc:meta])* $name:ident = $body:ident($($arg:ident: $ty:ty),*) checked $check:block) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($arg: $ty),*) {
            $check
            #[cfg(target_arch = "x86_64")]
            if crate::vmath::has_avx2() {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn fast($($arg: $ty),*) {
                    $body::<Avx2>($($arg),*)
                }
                // SAFETY: the CPU supports AVX2 and FMA (checked above).
                return unsafe { fast($($arg),*) };
            }
            $body::<Portable>($($arg),*)
        }
    };
}

dispatch_lanes!(
    /// FiLM-modulated scores of one graph into `s` (see the module docs).
    ///
    /// # Panics
    /// If a slice's length does not match `z` (node blocks `[n, dx]`, edge blocks `[n, n, H]`).
    film_scores = film_scores_body(
        z: Shape, q: &[f32], k: &[f32], mul: &[f32], add: &[f32], s: &mut [f32]
    ) checked { z.check(&[q, k], &[mul, add, s]); }
);
dispatch_lanes!(
    /// Gradients of [`film_scores`] from `grad = ∂s`: `∂q`, `∂k` and `∂mul` written into
    /// `dq`, `dk`, `dmul` (`∂add = ∂s`).
    ///
    /// # Panics
    /// If a slice's length does not match `z`.
    film_scores_backward = film_scores_backward_body(
        z: Shape, q: &[f32], k: &[f32], mul: &[f32], grad: &[f32],
        dq: &mut [f32], dk: &mut [f32], dmul: &mut [f32]
    ) checked { z.check(&[q, k, dq, dk], &[mul, grad, dmul]); }
);
dispatch_lanes!(
    /// Masked attention of one graph into `out` (see the module docs).
    ///
    /// # Panics
    /// If a slice's length does not match `z` (`mask`: `n` values).
    attend = attend_body(
        z: Shape, s: &[f32], mask: &[f32], v: &[f32], out: &mut [f32]
    ) checked {
        z.check(&[v, out], &[s]);
        assert_eq!(mask.len(), z.n, "a mask value per node");
    }
);
dispatch_lanes!(
    /// Gradients of [`attend`] from `dout = ∂out`: `∂s` and `∂v` written into `ds` and `dv`
    /// (`∂mask[j] = Σ_{i,h} ∂s[i,j,h]`).
    ///
    /// # Panics
    /// If a slice's length does not match `z`.
    attend_backward = attend_backward_body(
        z: Shape, s: &[f32], mask: &[f32], v: &[f32], dout: &[f32],
        ds: &mut [f32], dv: &mut [f32]
    ) checked {
        z.check(&[v, dout, dv], &[s, ds]);
        assert_eq!(mask.len(), z.n, "a mask value per node");
    }
);

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
