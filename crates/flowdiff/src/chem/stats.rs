//! Counts over a set of molecules: sizes, node classes and edge classes. The sampler draws
//! molecule sizes from [`DataStats::atom_count_distribution`]; the metrics compare these
//! distributions between generated molecules and the training data.

use super::graph::MolGraph;
use super::vocab::{ATOM_CLASSES, NUM_ATOM_CLASSES, NUM_EDGE_CLASSES, atom_class, edge_class};

/// Counts over a set of well-formed graphs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DataStats {
    pub molecules: u64,
    /// `atom_counts[n]`: molecules with `n` heavy atoms.
    pub atom_counts: Vec<u64>,
    /// Atoms per node class ([`ATOM_CLASSES`] order), then one last entry for atoms outside
    /// the vocabulary (`NUM_ATOM_CLASSES + 1` entries).
    pub atom_classes: Vec<u64>,
    /// Unordered atom pairs within a molecule per edge class (none, single, double, triple).
    pub edge_classes: Vec<u64>,
}

impl Default for DataStats {
    fn default() -> Self {
        Self::new()
    }
}

impl DataStats {
    /// Empty counts.
    pub fn new() -> Self {
        Self {
            molecules: 0,
            atom_counts: Vec::new(),
            atom_classes: vec![0; NUM_ATOM_CLASSES + 1],
            edge_classes: vec![0; NUM_EDGE_CLASSES],
        }
    }

    /// The counts of `graphs`.
    pub fn from_graphs<'a>(graphs: impl IntoIterator<Item = &'a MolGraph>) -> Self {
        let mut s = Self::new();
        for g in graphs {
            s.add(g);
        }
        s
    }

    /// Adds one well-formed graph (malformed bonds are counted as they stand).
    pub fn add(&mut self, g: &MolGraph) {
        let n = g.n_atoms();
        self.molecules += 1;
        if self.atom_counts.len() <= n {
            self.atom_counts.resize(n + 1, 0);
        }
        self.atom_counts[n] += 1;
        for a in &g.atoms {
            self.atom_classes[atom_class(a).unwrap_or(NUM_ATOM_CLASSES)] += 1;
        }
        let pairs = (n * n.saturating_sub(1) / 2) as u64;
        let mut bonded = 0;
        for &(i, j, b) in &g.bonds {
            if i != j && i < n && j < n {
                self.edge_classes[edge_class(Some(b))] += 1;
                bonded += 1;
            }
        }
        self.edge_classes[0] += pairs.saturating_sub(bonded);
    }

    /// The largest molecule size seen.
    pub fn max_atoms(&self) -> usize {
        self.atom_counts.iter().rposition(|&c| c > 0).unwrap_or(0)
    }

    /// `p[n]`: the fraction of molecules with `n` heavy atoms.
    pub fn atom_count_distribution(&self) -> Vec<f64> {
        normalise(&self.atom_counts)
    }

    /// The fraction of atoms in each node class, plus a last entry outside the vocabulary.
    pub fn atom_class_distribution(&self) -> Vec<f64> {
        normalise(&self.atom_classes)
    }

    /// The fraction of atom pairs in each edge class (none, single, double, triple).
    pub fn edge_class_distribution(&self) -> Vec<f64> {
        normalise(&self.edge_classes)
    }

    /// Names of the node-class entries: [`ATOM_CLASSES`] labels, then `"other"`.
    pub fn atom_class_labels() -> Vec<String> {
        ATOM_CLASSES
            .iter()
            .map(|a| a.label())
            .chain(["other".to_string()])
            .collect()
    }
}

/// Counts as fractions of their total (all zeros when the total is zero).
pub fn normalise(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

/// Total-variation distance `½ Σ |p − q|`; the shorter vector is padded with zeros.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    let n = p.len().max(q.len());
    let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0);
    0.5 * (0..n).map(|i| (at(p, i) - at(q, i)).abs()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    #[test]
    fn counts_sizes_classes_and_pairs() {
        let gs: Vec<MolGraph> = ["CCO", "C#N", "[NH3+]CC([O-])=O"]
            .iter()
            .map(|s| parse_smiles(s).unwrap())
            .collect();
        let s = DataStats::from_graphs(&gs);
        assert_eq!(s.molecules, 3);
        assert_eq!(s.atom_counts, vec![0, 0, 1, 1, 0, 1]);
        assert_eq!(s.max_atoms(), 5);
        assert_eq!(&s.atom_classes[..6], &[5, 1, 2, 0, 1, 1]);
        // pairs: 3 + 1 + 10 = 14; bonds: 2 single + 1 triple + 3 single + 1 double.
        assert_eq!(s.edge_classes, vec![7, 5, 1, 1]);
        let p = s.edge_class_distribution();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(DataStats::atom_class_labels()[4], "N+");
    }

    #[test]
    fn total_variation_pads_and_halves() {
        assert_eq!(total_variation(&[1.0, 0.0], &[0.0, 1.0]), 1.0);
        assert!((total_variation(&[0.5, 0.5], &[0.5, 0.25, 0.25]) - 0.25).abs() < 1e-12);
        assert_eq!(total_variation(&[], &[]), 0.0);
    }
}
