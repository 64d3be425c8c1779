//! Glue between the chemistry ([`crate::chem`]) and the discrete generative models
//! ([`crate::discrete`]): QM9 molecules as dense graphs, the data's marginals, and generated
//! graphs back as molecules; the QM9 training recipe ([`recipe`]) and sampling and writing
//! molecules ([`generate`]).

pub mod generate;
pub mod recipe;

pub use generate::{DEFAULT_NOISE, SamplerOptions, sample_graphs, write_molecules};
pub use recipe::{Qm9Recipe, qm9_config};

use crate::chem::{MolGraph, NUM_ATOM_CLASSES, NUM_EDGE_CLASSES};
use crate::discrete::DenseGraph;
use crate::error::Result;
use std::path::Path;

/// Largest QM9 molecule (heavy atoms).
pub const MAX_ATOMS: usize = 9;

/// The QM9 training split as dense graphs, and the canonical SMILES of the whole training
/// split (for novelty).
pub struct Qm9Train {
    pub graphs: Vec<DenseGraph>,
    pub molecules: Vec<MolGraph>,
}

/// Reads QM9 from `dir` and returns its training split (fixed, seeded; see
/// [`crate::chem::qm9::split`]).
pub fn load_train(dir: &Path) -> Result<Qm9Train> {
    let mols = crate::chem::qm9::load(dir)?;
    let split = crate::chem::qm9::split(mols.len(), crate::chem::qm9::SPLIT_SEED);
    let molecules: Vec<MolGraph> = split.train.iter().map(|&i| mols[i].graph.clone()).collect();
    let graphs = molecules.iter().map(to_dense).collect::<Result<_>>()?;
    Ok(Qm9Train { graphs, molecules })
}

/// A molecule as a dense graph (node classes of [`crate::chem::ATOM_CLASSES`], edge classes
/// none/single/double/triple).
pub fn to_dense(mol: &MolGraph) -> Result<DenseGraph> {
    let (nodes, edges) = mol.try_to_dense()?;
    Ok(DenseGraph { nodes, edges })
}

/// A generated dense graph as a molecule.
pub fn to_molecule(g: &DenseGraph) -> Result<MolGraph> {
    MolGraph::from_dense(&g.nodes, &g.edges, g.n())
}

/// Generated dense graphs as molecules.
pub fn to_molecules(graphs: &[DenseGraph]) -> Result<Vec<MolGraph>> {
    graphs.iter().map(to_molecule).collect()
}

/// Class frequencies of the data: `(nodes, edges, node_counts)` — node classes over all
/// atoms, edge classes over all unordered pairs of atoms in a molecule, and the frequency of
/// each molecule size `0..=max_nodes`.
pub fn marginals(graphs: &[DenseGraph], max_nodes: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; NUM_ATOM_CLASSES];
    let mut edges = vec![0.0; NUM_EDGE_CLASSES];
    let mut counts = vec![0.0; max_nodes + 1];
    for g in graphs {
        counts[g.n()] += 1.0;
        for &c in &g.nodes {
            nodes[c] += 1.0;
        }
        for i in 0..g.n() {
            for j in i + 1..g.n() {
                edges[g.edge(i, j)] += 1.0;
            }
        }
    }
    let normalise = |v: &mut Vec<f64>| {
        let total: f64 = v.iter().sum();
        if total > 0.0 {
            v.iter_mut().for_each(|x| *x /= total);
        }
    };
    normalise(&mut nodes);
    normalise(&mut edges);
    normalise(&mut counts);
    (nodes, edges, counts)
}
