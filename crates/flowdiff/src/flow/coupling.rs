//! Couplings of noise and data samples in a minibatch (Tong et al. 2023, §3.2–3.3).

use serde::{Deserialize, Serialize};

/// How noise `x0` and data `x1` are paired in a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Coupling {
    /// `q(x0) q(x1)`: pairs as drawn (I-CFM, Lipman et al. 2022).
    #[value(alias = "i-cfm")]
    Independent,
    /// Minibatch exact optimal transport under squared Euclidean cost (OT-CFM, Tong et al.
    /// 2023, eq. 17): with uniform weights the optimal plan is a permutation, found by
    /// solving the linear assignment problem exactly.
    #[value(name = "ot", alias = "minibatch-ot", alias = "ot-cfm")]
    MinibatchOt,
    /// Given pairs: each data row is `[x0 | x1]`, a noise vector and the point a teacher's
    /// ODE carries it to (rectified flow's reflow, Liu et al. 2022, Algorithm 1). Set by
    /// `distill`, not chosen on the command line.
    #[value(skip)]
    Pairs,
}

impl Coupling {
    /// Columns of a data row for a `dim`-dimensional model (pairs hold two points).
    pub fn data_columns(self, dim: usize) -> usize {
        match self {
            Coupling::Pairs => 2 * dim,
            _ => dim,
        }
    }
}

crate::names::from_str_by_name!(Coupling, "coupling");

/// For row-major `x0, x1: [n, d]`, the permutation `p` such that pairing `x0[p[i]]` with
/// `x1[i]` minimises `Σ_i |x0[p[i]] - x1[i]|²`.
pub fn ot_permutation(x0: &[f32], x1: &[f32], d: usize) -> Vec<usize> {
    let n = x1.len() / d;
    assert_eq!(x0.len(), x1.len(), "OT coupling needs equal batch sizes");
    let mut cost = vec![0.0f64; n * n];
    for i in 0..n {
        let a = &x1[i * d..(i + 1) * d];
        for j in 0..n {
            let b = &x0[j * d..(j + 1) * d];
            cost[i * n + j] = a.iter().zip(b).map(|(u, v)| ((u - v) as f64).powi(2)).sum();
        }
    }
    let (rows, cols) = lsap::solve(n, n, &cost, false).expect("square finite cost matrix");
    let mut perm = vec![0; n];
    for (r, c) in rows.into_iter().zip(cols) {
        perm[r] = c;
    }
    perm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    fn cost(x0: &[f32], x1: &[f32], perm: &[usize]) -> f64 {
        perm.iter()
            .enumerate()
            .map(|(i, &j)| {
                ((x1[2 * i] - x0[2 * j]) as f64).powi(2)
                    + ((x1[2 * i + 1] - x0[2 * j + 1]) as f64).powi(2)
            })
            .sum()
    }

    #[test]
    fn ot_permutation_is_optimal_on_a_small_batch() {
        let mut rng = SeededRng::new(4);
        let (x0, x1) = (rng.normal_vec(12), rng.normal_vec(12));
        let perm = ot_permutation(&x0, &x1, 2);
        let best = cost(&x0, &x1, &perm);
        // Brute force over all 720 permutations of 6.
        let mut idx: Vec<usize> = (0..6).collect();
        let mut min = f64::INFINITY;
        permute(&mut idx, 0, &mut |p| min = min.min(cost(&x0, &x1, p)));
        assert!((best - min).abs() < 1e-9, "{best} vs {min}");
    }

    fn permute(v: &mut Vec<usize>, k: usize, visit: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            visit(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, visit);
            v.swap(k, i);
        }
    }

    #[test]
    fn ot_pairs_are_much_shorter_than_independent_pairs() {
        let mut rng = SeededRng::new(9);
        let (x0, x1) = (rng.normal_vec(512), rng.normal_vec(512));
        let perm = ot_permutation(&x0, &x1, 2);
        let identity: Vec<usize> = (0..256).collect();
        assert!(cost(&x0, &x1, &perm) < 0.3 * cost(&x0, &x1, &identity));
    }
}
