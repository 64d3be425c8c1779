//! The chemistry of QM9 molecule generation, in pure Rust: heavy-atom molecular graphs,
//! a strict SMILES reader and a canonical writer, valence rules, the QM9 files (CSV and
//! XYZ), a seeded train/valid/test split, data-set statistics, generation metrics
//! (validity, uniqueness, novelty, distribution distances), SDF output and PNG drawings.
//!
//! Graphs are heavy-atom only (C, N, O, F with formal charges); hydrogens are implicit.
//! The models see a graph as node classes ([`vocab::ATOM_CLASSES`]) and edge classes
//! (none, single, double, triple) through [`MolGraph::to_dense`] / [`MolGraph::from_dense`].

pub mod canonical;
pub mod csv;
pub mod draw;
pub mod files;
pub mod graph;
pub mod layout;
pub mod metrics;
pub mod normalize;
pub mod qm9;
pub mod sdf;
pub mod smiles;
pub mod stats;
pub mod valence;
pub mod vocab;
pub mod xyz;

pub use canonical::{canonical_graph, canonical_ranks, canonical_smiles};
pub use graph::{Atom, BondOrder, Element, MolGraph};
pub use metrics::{MolMetrics, Reference, evaluate_graphs, evaluate_smiles};
pub use qm9::Molecule;
pub use smiles::{SmilesError, parse_smiles, parse_smiles_kekulize, to_smiles};
pub use stats::DataStats;
pub use valence::{Invalid, allowed_valence, is_valid};
pub use vocab::{
    ATOM_CLASSES, NUM_ATOM_CLASSES, NUM_EDGE_CLASSES, atom_class, bond_of_edge_class, edge_class,
};
