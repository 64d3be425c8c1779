//! A deterministic 2-D layout for drawing and SDF output: stress majorization (Gansner,
//! Koren & North 2004) towards target distances that grow with graph distance like a
//! 120° zigzag chain (1, √3, √7, …, bond length 1), started from classical MDS. Chains come
//! out zigzag and rings as rough polygons. Components are laid out separately and placed
//! left to right.

use super::graph::MolGraph;
use nalgebra::{DMatrix, SymmetricEigen};

/// Coordinates per atom, bond length about 1, the picture's long axis horizontal.
pub fn layout_2d(g: &MolGraph) -> Vec<[f64; 2]> {
    let adj = g.adjacency();
    let mut pos = vec![[0.0; 2]; g.n_atoms()];
    let mut offset = 0.0;
    for comp in g.components() {
        let local = layout_component(&comp, &adj);
        let (min_x, max_x) = local
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
        let mean_y = local.iter().map(|p| p[1]).sum::<f64>() / local.len() as f64;
        for (&atom, p) in comp.iter().zip(&local) {
            pos[atom] = [p[0] - min_x + offset, p[1] - mean_y];
        }
        offset += max_x - min_x + 1.5;
    }
    pos
}

/// The distance of a 120° zigzag chain between atoms `k` bonds apart.
fn zigzag(k: usize) -> f64 {
    let k = k as f64;
    let dy = if k as usize % 2 == 1 { 0.25 } else { 0.0 };
    (0.75 * k * k + dy).sqrt()
}

fn layout_component(
    comp: &[usize],
    adj: &[Vec<(usize, super::graph::BondOrder)>],
) -> Vec<[f64; 2]> {
    let n = comp.len();
    if n == 1 {
        return vec![[0.0, 0.0]];
    }
    let local: std::collections::HashMap<usize, usize> =
        comp.iter().enumerate().map(|(k, &a)| (a, k)).collect();
    // Graph distances by breadth-first search from each atom.
    let mut dist = vec![vec![0.0; n]; n];
    for s in 0..n {
        let mut hops = vec![usize::MAX; n];
        hops[s] = 0;
        let mut queue = std::collections::VecDeque::from([s]);
        while let Some(u) = queue.pop_front() {
            for &(v, _) in &adj[comp[u]] {
                let v = local[&v];
                if hops[v] == usize::MAX {
                    hops[v] = hops[u] + 1;
                    queue.push_back(v);
                }
            }
        }
        for t in 0..n {
            dist[s][t] = zigzag(hops[t]);
        }
    }
    let mut x = mds(&dist);
    for (i, p) in x.iter_mut().enumerate() {
        let a = 2.399_963 * i as f64; // golden angle: a small, deterministic nudge off any line
        p[0] += 0.05 * a.cos();
        p[1] += 0.05 * a.sin();
    }
    for _ in 0..300 {
        for i in 0..n {
            let (mut num, mut den) = ([0.0; 2], 0.0);
            for j in (0..n).filter(|&j| j != i) {
                let w = 1.0 / (dist[i][j] * dist[i][j]);
                let (dx, dy) = (x[i][0] - x[j][0], x[i][1] - x[j][1]);
                let len = (dx * dx + dy * dy).sqrt().max(1e-9);
                num[0] += w * (x[j][0] + dist[i][j] * dx / len);
                num[1] += w * (x[j][1] + dist[i][j] * dy / len);
                den += w;
            }
            x[i] = [num[0] / den, num[1] / den];
        }
    }
    level(&mut x);
    x
}

/// Classical multidimensional scaling: the top two principal coordinates of `dist`.
fn mds(dist: &[Vec<f64>]) -> Vec<[f64; 2]> {
    let n = dist.len();
    let d2 = DMatrix::from_fn(n, n, |i, j| dist[i][j] * dist[i][j]);
    let row_means: Vec<f64> = (0..n).map(|i| d2.row(i).sum() / n as f64).collect();
    let total = row_means.iter().sum::<f64>() / n as f64;
    let b = DMatrix::from_fn(n, n, |i, j| {
        -0.5 * (d2[(i, j)] - row_means[i] - row_means[j] + total)
    });
    let eig = SymmetricEigen::new(b);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let axis = |k: usize, i: usize| {
        let c = order[k];
        eig.eigenvectors[(i, c)] * eig.eigenvalues[c].max(0.0).sqrt()
    };
    (0..n).map(|i| [axis(0, i), axis(1, i)]).collect()
}

/// Rotates points about their centroid so the principal axis is horizontal.
fn level(x: &mut [[f64; 2]]) {
    let n = x.len() as f64;
    let (mx, my) = (
        x.iter().map(|p| p[0]).sum::<f64>() / n,
        x.iter().map(|p| p[1]).sum::<f64>() / n,
    );
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for p in x.iter() {
        let (dx, dy) = (p[0] - mx, p[1] - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (c, s) = (angle.cos(), angle.sin());
    for p in x.iter_mut() {
        let (dx, dy) = (p[0] - mx, p[1] - my);
        *p = [c * dx + s * dy, -s * dx + c * dy];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    fn d(p: [f64; 2], q: [f64; 2]) -> f64 {
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt()
    }

    #[test]
    fn bonds_have_about_unit_length_and_rings_are_polygons() {
        let g = parse_smiles("C1=CC=CC=C1CC(=O)O").unwrap();
        let p = layout_2d(&g);
        assert_eq!(p, layout_2d(&g), "deterministic");
        for &(i, j, _) in &g.bonds {
            let l = d(p[i], p[j]);
            assert!((0.75..1.3).contains(&l), "bond {i}-{j} has length {l}");
        }
        // The hexagon: every ring atom at a similar distance from the ring's centre.
        let c = (0..6).fold([0.0, 0.0], |a, i| {
            [a[0] + p[i][0] / 6.0, a[1] + p[i][1] / 6.0]
        });
        let r: Vec<f64> = (0..6).map(|i| d(p[i], c)).collect();
        let (lo, hi) = r
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(hi / lo < 1.3, "ring radii {r:?}");
        // Non-bonded atoms keep apart.
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                assert!(d(p[i], p[j]) > 0.6, "atoms {i} and {j} overlap");
            }
        }
    }

    #[test]
    fn components_sit_side_by_side() {
        let g = parse_smiles("CC.O.N").unwrap();
        let p = layout_2d(&g);
        assert!(p[0][0] < p[2][0] && p[2][0] < p[3][0], "{p:?}");
        assert!(layout_2d(&MolGraph::default()).is_empty());
    }
}
