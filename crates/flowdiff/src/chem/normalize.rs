//! The one normalisation applied to QM9: pentavalent nitro nitrogens, written `N(=O)=O` in
//! the QM9 SMILES (139 molecules), become the charge-separated form `[N+](=O)[O-]` (as RDKit
//! writes them), so every QM9 molecule obeys the valence table of
//! [`crate::chem::valence`] and the node vocabulary stays (element, charge).

use super::graph::{Atom, BondOrder, Element, MolGraph};

/// Rewrites each neutral N with bond-order sum 5 that is double-bonded to a terminal
/// neutral O: the N becomes N+, the lowest-numbered such O becomes O−, and their bond
/// single. Returns how many nitrogens were rewritten. Other graphs are left unchanged.
pub fn charge_separate_nitro(g: &mut MolGraph) -> usize {
    let sums = g.bond_order_sums();
    let adj = g.adjacency();
    let mut changed = 0;
    for n in 0..g.atoms.len() {
        if g.atoms[n] != Atom::neutral(Element::N) || sums[n] != 5 {
            continue;
        }
        let oxygen = adj[n]
            .iter()
            .filter(|&&(o, b)| {
                b == BondOrder::Double
                    && g.atoms[o] == Atom::neutral(Element::O)
                    && adj[o].len() == 1
            })
            .map(|&(o, _)| o)
            .min();
        let Some(o) = oxygen else { continue };
        g.atoms[n].charge = 1;
        g.atoms[o].charge = -1;
        for bond in &mut g.bonds {
            if (bond.0, bond.1) == (n, o) || (bond.0, bond.1) == (o, n) {
                bond.2 = BondOrder::Single;
            }
        }
        changed += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::canonical::canonical_smiles;
    use crate::chem::smiles::parse_smiles;
    use crate::chem::valence::is_valid;

    #[test]
    fn nitro_groups_become_charge_separated() {
        let mut g = parse_smiles("O=N(=O)C1=CC=CN1").unwrap();
        assert!(is_valid(&g).is_err());
        assert_eq!(charge_separate_nitro(&mut g), 1);
        assert_eq!(is_valid(&g), Ok(()));
        let want = parse_smiles("[O-][N+](=O)C1=CC=CN1").unwrap();
        assert_eq!(canonical_smiles(&g), canonical_smiles(&want));
        for (s, expected) in [
            ("CCO", 0),
            ("C[N+](=O)[O-]", 0),
            ("N(=C)(=C)C", 0),
            ("CN(=O)=O", 1),
        ] {
            let mut g = parse_smiles(s).unwrap();
            let before = g.clone();
            assert_eq!(charge_separate_nitro(&mut g), expected, "{s}");
            assert_eq!(g == before, expected == 0, "{s}");
        }
    }
}
