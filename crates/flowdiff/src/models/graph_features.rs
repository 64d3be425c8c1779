//! Structural features of a noisy graph, the extra input of the molecule denoiser
//! ([`super::graph::GraphNet`]). A message-passing network sees the one-hot classes of nodes
//! and pairs; counting rings or telling whether the graph is in one piece takes it many
//! layers, so DiGress (Vignac et al. 2023, App. B.2) hands them over as input:
//!
//! - always: each node's degree and bond-order sum (valence), the closed-walk counts
//!   `diag(A^k)`, k = 3..6 (rings of 3–6 atoms), the graph's size; for each pair the 2-walk
//!   count `(A²)_ij`;
//! - with `connectivity`: what DiGress reads off the Laplacian's spectrum (the number of
//!   components, who is in the largest), here exactly from the reachability matrix
//!   `R = min(A + I, 1)^(n−1)` (repeated squaring): each node's component as a fraction of
//!   the graph, whether it is in the largest component, `ln(components)`, and for each pair
//!   `R_ij` (joined by some path). A disconnected molecule is invalid, so the denoiser is
//!   told which pieces it still has to join.
//!
//! Shapes: `e: [b, n, n, edge_in]` (channels 1..=3 are the bond orders; others, such as a
//! mask state, are not bonds), `node_mask: [b, n]` → `([b, n, node_extra], [b, n, n,
//! edge_extra])`, zero on padding.

use burn::tensor::Tensor;

/// Which features, and the size scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    pub connectivity: bool,
    /// Largest graph the model is used for (scales the size feature).
    pub max_nodes: usize,
}

impl Features {
    /// Node features: degree, valence, 4 walk counts, size (+ reach, in-largest, components).
    pub fn node_extra(&self) -> usize {
        7 + if self.connectivity { 3 } else { 0 }
    }

    /// Edge features: the 2-walk count (+ reachability).
    pub fn edge_extra(&self) -> usize {
        1 + usize::from(self.connectivity)
    }
}

/// The features of the module docs.
pub fn structure(
    e: &Tensor<4>,
    node_mask: &Tensor<2>,
    features: Features,
) -> (Tensor<3>, Tensor<4>) {
    let [b, n, _, _] = e.dims();
    let device = e.device();
    // Bond indicator and bond order from channels 1..=3.
    let bonds = e.clone().narrow(3, 1, 3); // [b, n, n, 3]
    let adj = bonds.clone().sum_dim(3).reshape([b, n, n]);
    let orders = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device).reshape([1, 1, 1, 3]);
    let valence = bonds.mul(orders).sum_dim(3).reshape([b, n, n]).sum_dim(2); // [b, n, 1]
    let degree = adj.clone().sum_dim(2);
    let eye = Tensor::<2>::eye(n, &device).reshape([1, n, n]);
    let a2 = adj.clone().matmul(adj.clone());
    let mut walks = Vec::with_capacity(4);
    let mut power = a2.clone();
    for _ in 3..=6 {
        power = power.matmul(adj.clone());
        walks.push(
            power
                .clone()
                .mul(eye.clone())
                .sum_dim(2)
                .add_scalar(1.0)
                .log(),
        );
    }
    let real = node_mask.clone().sum_dim(1).reshape([b, 1, 1]); // nodes per graph
    let size = real
        .clone()
        .div_scalar(features.max_nodes as f64)
        .expand([b, n, 1]);
    let mut node = vec![degree.div_scalar(4.0), valence.div_scalar(4.0)];
    node.extend(walks);
    node.push(size);
    let mut edge = vec![a2.add_scalar(1.0).log().reshape([b, n, n, 1])];
    if features.connectivity {
        let (reach_node, reach) = connectivity(adj, node_mask, real);
        node.push(reach_node);
        edge.push(reach.reshape([b, n, n, 1]));
    }
    let node = Tensor::cat(node, 2).mul(node_mask.clone().reshape([b, n, 1]));
    (node, Tensor::cat(edge, 3))
}

/// `([b, n, 3], [b, n, n])`: per node its component's share of the graph, whether that
/// component is (one of) the largest, `ln(components)`; per pair `R_ij`. `adj: [b, n, n]`
/// is 0/1 and zero on padding, `real: [b, 1, 1]` the node counts.
fn connectivity(adj: Tensor<3>, node_mask: &Tensor<2>, real: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
    let [b, n, _] = adj.dims();
    let device = adj.device();
    let mask = node_mask.clone().reshape([b, n, 1]);
    let eye = Tensor::<2>::eye(n, &device).reshape([1, n, n]);
    // Walks of length ≤ 2^k after k squarings; n − 1 steps join any two nodes of a component.
    let mut reach = (adj + eye.mul(mask.clone())).clamp_max(1.0);
    let mut span = 1;
    while span + 1 < n {
        reach = reach.clone().matmul(reach).clamp_max(1.0);
        span *= 2;
    }
    let size = reach.clone().sum_dim(2); // [b, n, 1]: the node's component size (0 on padding)
    let share = size.clone().div(real.clamp_min(1.0));
    // Sizes are whole numbers: `size − largest + 1` is 1 in a largest component, ≤ 0 elsewhere.
    let largest = size.clone().max_dim(1); // [b, 1, 1]
    let in_largest = size
        .clone()
        .sub(largest)
        .add_scalar(1.0)
        .clamp(0.0, 1.0)
        .mul(mask.clone());
    // Each component of size s contributes s nodes of weight 1/s.
    let components = mask
        .clone()
        .div(size.clamp_min(1.0))
        .sum_dim(1)
        .clamp_min(1.0)
        .log()
        .expand([b, n, 1]);
    (Tensor::cat(vec![share, in_largest, components], 2), reach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discrete::DenseGraph;
    use crate::discrete::batch::one_hot;
    use burn::tensor::Device;

    fn graph(n: usize, bonds: &[(usize, usize)]) -> DenseGraph {
        let mut g = DenseGraph {
            nodes: vec![0; n],
            edges: vec![0; n * n],
        };
        for &(i, j) in bonds {
            g.set_edge(i, j, 1);
        }
        g
    }

    #[test]
    fn connectivity_features_count_components_exactly() {
        let device = Device::flex();
        // Two pieces (a triangle and a bond) in 5 nodes; a 9-node chain, whose ends need
        // all 8 steps of the squarings to meet.
        let split = graph(5, &[(0, 1), (1, 2), (2, 0), (3, 4)]);
        let chain = graph(9, &(0..8).map(|i| (i, i + 1)).collect::<Vec<_>>());
        let (_, e, mask) = one_hot(&[split, chain], 9, 4, 4, &device);
        let features = Features {
            connectivity: true,
            max_nodes: 9,
        };
        let (node, edge) = structure(&e, &mask, features);
        assert_eq!(node.dims(), [2, 9, features.node_extra()]);
        assert_eq!(edge.dims(), [2, 9, 9, features.edge_extra()]);
        let node = crate::device::to_vec(node);
        let edge = crate::device::to_vec(edge);
        let k = features.node_extra();
        let nf = |g: usize, i: usize, f: usize| node[(g * 9 + i) * k + f];
        let reach = |g: usize, i: usize, j: usize| edge[((g * 9 + i) * 9 + j) * 2 + 1];
        let close = |a: f32, b: f64| (a as f64 - b).abs() < 1e-6;
        for (i, share, largest) in [(0, 0.6, 1.0), (2, 0.6, 1.0), (3, 0.4, 0.0), (4, 0.4, 0.0)] {
            assert!(
                close(nf(0, i, 7), share),
                "share of node {i}: {}",
                nf(0, i, 7)
            );
            assert!(
                close(nf(0, i, 8), largest),
                "largest at node {i}: {}",
                nf(0, i, 8)
            );
            assert!(close(nf(0, i, 9), 2f64.ln()), "components: {}", nf(0, i, 9));
        }
        for i in 0..9 {
            assert!(close(nf(1, i, 7), 1.0) && close(nf(1, i, 8), 1.0) && close(nf(1, i, 9), 0.0));
            // Padding rows of the 5-node graph carry nothing.
            if i >= 5 {
                assert!((0..k).all(|f| nf(0, i, f) == 0.0), "padded node {i}");
            }
        }
        assert!(close(reach(1, 0, 8), 1.0), "the chain's ends are joined");
        assert!(close(reach(0, 0, 2), 1.0) && close(reach(0, 3, 4), 1.0));
        assert!(close(reach(0, 0, 3), 0.0) && close(reach(0, 4, 1), 0.0));
        assert!(close(reach(0, 0, 6), 0.0), "padding is reached by nothing");
    }
}
