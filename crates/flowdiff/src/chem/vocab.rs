//! The fixed node and edge vocabularies of the QM9 models, and the dense encoding of a
//! [`MolGraph`] as node classes plus an `n × n` edge-class matrix.

use super::graph::{Atom, BondOrder, Element, MolGraph};
use crate::error::{Result, bail};

/// Number of node classes, `ATOM_CLASSES.len()`.
pub const NUM_ATOM_CLASSES: usize = 8;

/// Number of edge classes: 0 no bond, 1 single, 2 double, 3 triple.
pub const NUM_EDGE_CLASSES: usize = 4;

/// Every (element, charge) among the heavy atoms of the 130,831 QM9 molecules, neutral
/// C, N, O, F first, then the charged ones by frequency. Counts over all 1,150,724 heavy
/// atoms as [`crate::chem::qm9::load`] returns them (checked by the test
/// `vocabulary_covers_qm9_with_these_counts`); the 139 nitro groups written `N(=O)=O` in
/// the SMILES are charge-separated on loading ([`crate::chem::normalize`]), which moves 139
/// atoms from N to N+ and 139 from O to O−:
///
/// | class | atom | count | in the raw SMILES |
/// | --- | --- | --- | --- |
/// | 0 | C | 831,828 | 831,828 |
/// | 1 | N | 131,842 | 131,981 |
/// | 2 | O | 182,854 | 182,993 |
/// | 3 | F | 3,036 | 3,036 |
/// | 4 | N+ | 582 | 443 |
/// | 5 | O− | 411 | 272 |
/// | 6 | C− | 97 | 97 |
/// | 7 | N− | 74 | 74 |
pub const ATOM_CLASSES: [Atom; NUM_ATOM_CLASSES] = [
    Atom::new(Element::C, 0),
    Atom::new(Element::N, 0),
    Atom::new(Element::O, 0),
    Atom::new(Element::F, 0),
    Atom::new(Element::N, 1),
    Atom::new(Element::O, -1),
    Atom::new(Element::C, -1),
    Atom::new(Element::N, -1),
];

/// The node class of an atom; `None` when (element, charge) is outside [`ATOM_CLASSES`].
pub fn atom_class(atom: &Atom) -> Option<usize> {
    ATOM_CLASSES.iter().position(|a| a == atom)
}

/// The edge class of a pair: 0 when unbonded, else the bond order.
pub fn edge_class(bond: Option<BondOrder>) -> usize {
    bond.map_or(0, |b| b.order() as usize)
}

/// The bond of an edge class (`None` for class 0). Panics for a class ≥ 4.
pub fn bond_of_edge_class(class: usize) -> Option<BondOrder> {
    match class {
        0 => None,
        c if c < NUM_EDGE_CLASSES => BondOrder::from_order(c as u8),
        c => panic!("edge class {c} is not below {NUM_EDGE_CLASSES}"),
    }
}

impl MolGraph {
    /// The dense encoding: node classes (`n`) and the row-major `n × n` edge-class matrix,
    /// symmetric with a zero diagonal.
    ///
    /// # Panics
    /// When an atom is outside [`ATOM_CLASSES`] or the graph is malformed; see
    /// [`MolGraph::try_to_dense`].
    pub fn to_dense(&self) -> (Vec<usize>, Vec<usize>) {
        self.try_to_dense()
            .unwrap_or_else(|e| panic!("MolGraph::to_dense: {e}"))
    }

    /// [`MolGraph::to_dense`], failing instead of panicking.
    pub fn try_to_dense(&self) -> Result<(Vec<usize>, Vec<usize>)> {
        self.check()?;
        let n = self.atoms.len();
        let mut nodes = Vec::with_capacity(n);
        for (i, a) in self.atoms.iter().enumerate() {
            match atom_class(a) {
                Some(c) => nodes.push(c),
                None => bail!("atom {i} ({}) is not in the node vocabulary", a.label()),
            }
        }
        let mut edges = vec![0; n * n];
        for &(i, j, b) in &self.bonds {
            edges[i * n + j] = edge_class(Some(b));
            edges[j * n + i] = edge_class(Some(b));
        }
        Ok((nodes, edges))
    }

    /// The graph of a dense encoding: `nodes` (`n` classes below [`NUM_ATOM_CLASSES`]) and
    /// `edges` (`n × n`, row-major, classes below [`NUM_EDGE_CLASSES`]). Only the upper
    /// triangle `i < j` is read, so a model's matrix need not be symmetric; the diagonal is
    /// ignored.
    pub fn from_dense(nodes: &[usize], edges: &[usize], n: usize) -> Result<MolGraph> {
        if nodes.len() != n || edges.len() != n * n {
            bail!(
                "from_dense: {n} atoms need {n} node classes and {} edge classes, got {} and {}",
                n * n,
                nodes.len(),
                edges.len()
            );
        }
        let mut atoms = Vec::with_capacity(n);
        for (i, &c) in nodes.iter().enumerate() {
            if c >= NUM_ATOM_CLASSES {
                bail!("from_dense: node {i} has class {c}, not below {NUM_ATOM_CLASSES}");
            }
            atoms.push(ATOM_CLASSES[c]);
        }
        let mut bonds = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let c = edges[i * n + j];
                if c >= NUM_EDGE_CLASSES {
                    bail!(
                        "from_dense: edge ({i}, {j}) has class {c}, not below {NUM_EDGE_CLASSES}"
                    );
                }
                if let Some(b) = bond_of_edge_class(c) {
                    bonds.push((i, j, b));
                }
            }
        }
        Ok(MolGraph { atoms, bonds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::smiles::parse_smiles;

    #[test]
    fn dense_round_trip_is_exact() {
        let g = parse_smiles("[NH3+]CC([O-])=O").unwrap();
        let (nodes, edges) = g.to_dense();
        assert_eq!(nodes, vec![4, 0, 0, 5, 2]);
        assert_eq!(edges[2 * 5 + 4], 2);
        assert_eq!(edges[4 * 5 + 2], 2);
        assert!((0..5).all(|i| edges[i * 5 + i] == 0));
        let back = MolGraph::from_dense(&nodes, &edges, 5).unwrap();
        assert_eq!(back.atoms, g.atoms);
        assert_eq!(back.sorted_bonds(), g.sorted_bonds());
    }

    #[test]
    fn dense_input_is_checked() {
        let err = MolGraph::from_dense(&[0, 9], &[0; 4], 2).unwrap_err();
        assert!(err.to_string().contains("node 1 has class 9"), "{err}");
        let err = MolGraph::from_dense(&[0, 0], &[0, 4, 0, 0], 2).unwrap_err();
        assert!(err.to_string().contains("edge (0, 1) has class 4"), "{err}");
        assert!(MolGraph::from_dense(&[0], &[0; 4], 2).is_err());
        let cl = MolGraph::new(vec![Atom::new(Element::C, 2)], vec![]);
        assert!(cl.try_to_dense().is_err());
    }

    #[test]
    fn vocabulary_lists_neutral_heavy_atoms_first() {
        for (k, e) in Element::HEAVY.iter().enumerate() {
            assert_eq!(atom_class(&Atom::neutral(*e)), Some(k));
        }
        assert_eq!(atom_class(&Atom::neutral(Element::H)), None);
    }
}
