//! The attention kernels against their definitions, evaluated in f64: the forward values,
//! and every gradient as a directional derivative of the f64 forward (central differences).

use super::*;
use crate::testing::values;

/// `(film_scores, attend)` by their definitions, in f64.
fn reference(z: Shape, [q, k, mul, add, v, mask]: [&[f64]; 6]) -> (Vec<f64>, Vec<f64>) {
    let (n, hs, dh) = (z.n, z.heads, z.dh());
    let mut s = vec![0.0; z.edge()];
    for i in 0..n {
        for j in 0..n {
            for h in 0..hs {
                let c = h * dh;
                let raw: f64 = (0..dh)
                    .map(|d| q[i * z.dx + c + d] * k[j * z.dx + c + d])
                    .sum();
                let e = (i * n + j) * hs + h;
                s[e] = raw / (dh as f64).sqrt() * (1.0 + mul[e]) + add[e];
            }
        }
    }
    let mut out = vec![0.0; z.node()];
    for i in 0..n {
        for h in 0..hs {
            let logit = |j: usize| s[(i * n + j) * hs + h] + mask[j];
            let top = (0..n).map(logit).fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = (0..n).map(|j| (logit(j) - top).exp()).sum();
            for j in 0..n {
                let a = (logit(j) - top).exp() / total;
                for d in 0..dh {
                    out[i * z.dx + h * dh + d] += a * v[j * z.dx + h * dh + d];
                }
            }
        }
    }
    (s, out)
}

fn f64s(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// Operands of one graph; the last `pad` nodes are padding.
fn operands(z: Shape, pad: usize) -> [Vec<f32>; 6] {
    let mask = (0..z.n)
        .map(|j| if j + pad >= z.n { -1e4 } else { 0.0 })
        .collect();
    [
        values(z.node(), 1),
        values(z.node(), 2),
        values(z.edge(), 3).iter().map(|x| 0.5 * x).collect(),
        values(z.edge(), 4),
        values(z.node(), 5),
        mask,
    ]
}

fn max_rel(a: &[f32], b: &[f64]) -> f64 {
    let scale = b.iter().fold(1e-3f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .map(|(&a, b)| (a as f64 - b).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn scores_and_attention_match_their_definitions() {
    for (n, heads, dx, pad) in [(9, 8, 128, 0), (9, 8, 128, 3), (5, 4, 12, 1), (1, 2, 6, 0)] {
        let z = Shape::new(n, heads, dx).unwrap();
        let [q, k, mul, add, v, mask] = operands(z, pad);
        let (s_ref, out_ref) = reference(
            z,
            [
                &f64s(&q),
                &f64s(&k),
                &f64s(&mul),
                &f64s(&add),
                &f64s(&v),
                &f64s(&mask),
            ],
        );
        let mut s = vec![0.0; z.edge()];
        film_scores(z, &q, &k, &mul, &add, &mut s);
        assert!(max_rel(&s, &s_ref) < 1e-5, "scores {n} {heads} {dx}");
        let mut out = vec![0.0; z.node()];
        attend(z, &s, &mask, &v, &mut out);
        assert!(max_rel(&out, &out_ref) < 1e-5, "attention {n} {heads} {dx}");
    }
}

#[test]
fn every_gradient_is_the_derivative_of_the_definition() {
    for (n, heads, dx, pad) in [(9, 8, 128, 2), (4, 2, 10, 0)] {
        let z = Shape::new(n, heads, dx).unwrap();
        let ops = operands(z, pad);
        let [q, k, mul, add, v, mask] = &ops;
        // L = Σ r_s·s + Σ r_o·out: its gradients from the kernels.
        let (r_s, r_o) = (values(z.edge(), 6), values(z.node(), 7));
        let mut s = vec![0.0; z.edge()];
        film_scores(z, q, k, mul, add, &mut s);
        let (mut ds, mut dv) = (vec![0.0; z.edge()], vec![0.0; z.node()]);
        attend_backward(z, &s, mask, v, &r_o, &mut ds, &mut dv);
        let gs: Vec<f32> = ds.iter().zip(&r_s).map(|(a, b)| a + b).collect();
        let (mut dq, mut dk, mut dmul) = (
            vec![0.0; z.node()],
            vec![0.0; z.node()],
            vec![0.0; z.edge()],
        );
        film_scores_backward(z, q, k, mul, &gs, &mut dq, &mut dk, &mut dmul);
        let loss = |x: &[Vec<f64>; 6]| {
            let (s, out) = reference(z, [&x[0], &x[1], &x[2], &x[3], &x[4], &x[5]]);
            let ls: f64 = s.iter().zip(&r_s).map(|(a, &b)| a * b as f64).sum();
            ls + out
                .iter()
                .zip(&r_o)
                .map(|(a, &b)| a * b as f64)
                .sum::<f64>()
        };
        let grads = [&dq, &dk, &dmul, &gs, &dv];
        for (which, g) in grads.iter().enumerate() {
            let dir = values(g.len(), 10 + which as u32);
            let at = |eps: f64| {
                let mut x = ops.each_ref().map(|o| f64s(o));
                x[which]
                    .iter_mut()
                    .zip(&dir)
                    .for_each(|(x, &d)| *x += eps * d as f64);
                loss(&x)
            };
            let numeric = (at(1e-4) - at(-1e-4)) / 2e-4;
            let analytic: f64 = g.iter().zip(&dir).map(|(&g, &d)| g as f64 * d as f64).sum();
            let err = (numeric - analytic).abs() / numeric.abs().max(1e-2);
            assert!(
                err < 1e-3,
                "gradient {which} ({n} {heads} {dx}): {analytic} vs {numeric}"
            );
        }
    }
}

#[test]
#[should_panic(expected = "edge blocks")]
fn a_short_edge_block_is_refused() {
    let z = Shape::new(3, 1, 2).unwrap();
    let mut s = vec![0.0; z.edge() - 1];
    film_scores(z, &[0.0; 6], &[0.0; 6], &[0.0; 9], &[0.0; 9], &mut s);
}

#[test]
fn heads_must_divide_the_width() {
    assert!(Shape::new(4, 3, 8).is_none());
    assert!(Shape::new(4, 0, 8).is_none());
    assert!(Shape::new(4, 2, 0).is_none());
    assert_eq!(Shape::new(4, 2, 8).unwrap().dh(), 4);
}
