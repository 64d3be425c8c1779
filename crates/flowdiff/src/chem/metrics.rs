//! Generation metrics for molecules: validity, uniqueness, novelty, and total-variation
//! distances of the atom-type, bond-type and molecule-size distributions to the training
//! data.
//!
//! Definitions (as in DiGress, Vignac et al. 2023): validity = valid / all
//! ([`crate::chem::valence::is_valid`]; an unreadable SMILES line counts as invalid);
//! uniqueness = distinct canonical SMILES among the valid / valid; novelty = distinct valid
//! molecules absent from the training set / distinct valid. The distributions are taken over
//! every readable generated graph, valid or not (bond types over all unordered atom pairs,
//! "none" included).

use super::canonical::canonical_smiles;
use super::graph::MolGraph;
use super::smiles::parse_smiles_kekulize;
use super::stats::{DataStats, total_variation};
use super::valence::is_valid;
use std::collections::HashSet;

/// What generated molecules are compared with: the training data's counts and canonical
/// SMILES.
#[derive(Clone, Debug)]
pub struct Reference {
    pub stats: DataStats,
    pub canonical: HashSet<String>,
}

impl Reference {
    /// The reference of a training set.
    pub fn from_graphs(train: &[MolGraph]) -> Self {
        Self {
            stats: DataStats::from_graphs(train),
            canonical: train.iter().map(canonical_smiles).collect(),
        }
    }
}

/// Metrics of a set of generated molecules (serialisable to JSON).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MolMetrics {
    /// Molecules (lines or graphs) evaluated.
    pub n: usize,
    pub n_valid: usize,
    pub n_unique: usize,
    pub n_novel: usize,
    pub validity: f64,
    pub uniqueness: f64,
    pub novelty: f64,
    pub atom_type_tv: f64,
    pub bond_type_tv: f64,
    pub atom_count_tv: f64,
    /// Names of the atom-type entries (node classes, then "other").
    pub atom_type_labels: Vec<String>,
    pub atom_type_dist: Vec<f64>,
    pub atom_type_ref: Vec<f64>,
    /// Bond types over atom pairs: none, single, double, triple.
    pub bond_type_dist: Vec<f64>,
    pub bond_type_ref: Vec<f64>,
    /// `[k]`: fraction of molecules with `k` heavy atoms.
    pub atom_count_dist: Vec<f64>,
    pub atom_count_ref: Vec<f64>,
}

/// Metrics of generated graphs (malformed graphs count as invalid and are left out of the
/// distributions).
pub fn evaluate_graphs(graphs: &[MolGraph], reference: &Reference) -> MolMetrics {
    let readable: Vec<Option<&MolGraph>> = graphs
        .iter()
        .map(|g| g.check().is_ok().then_some(g))
        .collect();
    evaluate(&readable, reference)
}

/// Metrics of generated SMILES strings, one per molecule (unreadable ones are invalid;
/// aromatic ones are kekulized).
pub fn evaluate_smiles<S: AsRef<str>>(lines: &[S], reference: &Reference) -> MolMetrics {
    let graphs: Vec<Option<MolGraph>> = lines
        .iter()
        .map(|s| parse_smiles_kekulize(s.as_ref().trim()).ok())
        .collect();
    let refs: Vec<Option<&MolGraph>> = graphs.iter().map(Option::as_ref).collect();
    evaluate(&refs, reference)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn evaluate(graphs: &[Option<&MolGraph>], reference: &Reference) -> MolMetrics {
    let n = graphs.len();
    let readable: Vec<&MolGraph> = graphs.iter().flatten().copied().collect();
    let valid: Vec<&MolGraph> = readable
        .iter()
        .copied()
        .filter(|g| is_valid(g).is_ok())
        .collect();
    let unique: HashSet<String> = valid.iter().map(|g| canonical_smiles(g)).collect();
    let n_novel = unique
        .iter()
        .filter(|s| !reference.canonical.contains(*s))
        .count();
    let stats = DataStats::from_graphs(readable.iter().copied());
    let r = &reference.stats;
    let (atoms, atoms_ref) = (stats.atom_class_distribution(), r.atom_class_distribution());
    let (bonds, bonds_ref) = (stats.edge_class_distribution(), r.edge_class_distribution());
    let (sizes, sizes_ref) = (stats.atom_count_distribution(), r.atom_count_distribution());
    MolMetrics {
        n,
        n_valid: valid.len(),
        n_unique: unique.len(),
        n_novel,
        validity: ratio(valid.len(), n),
        uniqueness: ratio(unique.len(), valid.len()),
        novelty: ratio(n_novel, unique.len()),
        atom_type_tv: total_variation(&atoms, &atoms_ref),
        bond_type_tv: total_variation(&bonds, &bonds_ref),
        atom_count_tv: total_variation(&sizes, &sizes_ref),
        atom_type_labels: DataStats::atom_class_labels(),
        atom_type_dist: atoms,
        atom_type_ref: atoms_ref,
        bond_type_dist: bonds,
        bond_type_ref: bonds_ref,
        atom_count_dist: sizes,
        atom_count_ref: sizes_ref,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    fn reference(smiles: &[&str]) -> Reference {
        let g: Vec<MolGraph> = smiles.iter().map(|s| parse_smiles(s).unwrap()).collect();
        Reference::from_graphs(&g)
    }

    #[test]
    fn hand_made_list_gives_hand_computed_metrics() {
        let r = reference(&["CCO", "CC"]);
        // One unreadable, one duplicate (OCC is CCO), one novel (CN).
        let m = evaluate_smiles(&["CCO", "OCC", "C1CC", "CN"], &r);
        assert_eq!((m.n, m.n_valid, m.n_unique, m.n_novel), (4, 3, 2, 1));
        assert!((m.validity - 0.75).abs() < 1e-12);
        assert!((m.uniqueness - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.novelty - 0.5).abs() < 1e-12);
        // Readable: CCO, CCO, CN → sizes {3: 2, 2: 1}; reference {3: 1, 2: 1}.
        assert!((m.atom_count_tv - (2.0 / 3.0 - 0.5)).abs() < 1e-12);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"validity\":0.75"), "{json}");
    }

    #[test]
    fn invalid_graphs_count_against_validity_only() {
        let r = reference(&["CCO"]);
        let gs: Vec<MolGraph> = ["CCO", "CC.O", "C(C)(C)(C)(C)C"]
            .iter()
            .map(|s| parse_smiles(s).unwrap())
            .collect();
        let m = evaluate_graphs(&gs, &r);
        assert_eq!((m.n_valid, m.n_unique, m.n_novel), (1, 1, 0));
        assert_eq!(m.novelty, 0.0);
        assert_eq!(m.atom_type_dist.len(), m.atom_type_labels.len());
        let same = evaluate_graphs(&gs[..1], &r);
        assert_eq!(
            (same.atom_type_tv, same.bond_type_tv, same.atom_count_tv),
            (0.0, 0.0, 0.0)
        );
        let none = evaluate_smiles::<&str>(&[], &r);
        assert_eq!((none.validity, none.uniqueness), (0.0, 0.0));
    }
}
