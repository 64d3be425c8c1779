//! The molecule model's train step as a workload: `graph-train` — the default QM9 graph
//! transformer ([`GraphNetConfig::qm9`] with the mask prior's inputs: 9 node states, 5 edge
//! states; 8 atom classes and 4 bond classes out), a batch of 256 nine-atom graphs with random
//! one-hot inputs and random clean targets, the training loss (node cross-entropy + 5 × edge
//! cross-entropy), AdamW.

use super::{Prepared, train_repeat};
use crate::discrete::DenseGraph;
use crate::discrete::batch::{one_hot, times};
use crate::discrete::objective::cross_entropy;
use crate::models::graph::{GraphNet, GraphNetConfig};
use crate::rng::SeededRng;
use burn::tensor::Device;

const BATCH: usize = 256;
const NODES: usize = 9;

fn random_graphs(rng: &mut SeededRng, node_classes: usize, edge_classes: usize) -> Vec<DenseGraph> {
    (0..BATCH)
        .map(|_| {
            let mut g = DenseGraph {
                nodes: (0..NODES).map(|_| rng.below(node_classes)).collect(),
                edges: vec![0; NODES * NODES],
            };
            for i in 0..NODES {
                for j in i + 1..NODES {
                    g.set_edge(i, j, rng.below(edge_classes));
                }
            }
            g
        })
        .collect()
}

/// `graph-train`: `iters` AdamW steps per repeat on a fixed batch of 256 graphs.
pub fn train(device: &Device, iters: usize) -> Prepared {
    let device = device.clone().autodiff();
    // Without the connectivity features, as the PyTorch twin (`bench/reference_graph.py`).
    let cfg = GraphNetConfig {
        connectivity: false,
        ..GraphNetConfig::qm9(9, 5, 8, 4)
    };
    let model: GraphNet = cfg.init(&device);
    let mut rng = SeededRng::new(0);
    let noisy = random_graphs(&mut rng, 9, 5);
    let clean = random_graphs(&mut rng, 8, 4);
    let (x, e, mask) = one_hot(&noisy, NODES, 9, 5, &device);
    let (tx, te, _) = one_hot(&clean, NODES, 8, 4, &device);
    let taus: Vec<f64> = (0..BATCH).map(|_| rng.uniform()).collect();
    let t = times(&taus, &device);
    train_repeat(model, BATCH, iters, move |m: &GraphNet| {
        let (nl, el) = m.forward(x.clone(), e.clone(), t.clone(), mask.clone());
        cross_entropy(nl, tx.clone()) + cross_entropy(el, te.clone()).mul_scalar(5.0)
    })
}
