//! Valence rules and the validity test used by the metrics.
//!
//! Allowed valence (the most bonds an atom may carry, implicit hydrogens filling the rest):
//!
//! | atom | valence |
//! | --- | --- |
//! | C | 4 (C+ and C−: 3) |
//! | N | 3 (N+: 4, N−: 2) |
//! | O | 2 (O+: 3, O−: 1) |
//! | F | 1 |
//! | H | 1 |
//!
//! Any other (element, charge) has no valence here and is invalid.

use crate::chem::graph::{Atom, Element, MolGraph};
use crate::chem::vocab::atom_class;

/// The allowed valence of an atom (see the table above), `None` when not defined.
pub fn allowed_valence(atom: &Atom) -> Option<u8> {
    use Element::*;
    Some(match (atom.element, atom.charge) {
        (C, 0) => 4,
        (C, 1 | -1) => 3,
        (N, 0) => 3,
        (N, 1) => 4,
        (N, -1) => 2,
        (O, 0) => 2,
        (O, 1) => 3,
        (O, -1) => 1,
        (F, 0) | (H, 0) => 1,
        _ => return None,
    })
}

/// The hydrogens implied on an atom with bond-order sum `bond_sum`: the allowed valence
/// minus the bonds, never negative (0 when the valence is undefined).
pub fn implicit_hydrogens(atom: &Atom, bond_sum: u32) -> u32 {
    allowed_valence(atom).map_or(0, |v| (v as u32).saturating_sub(bond_sum))
}

/// Why a graph is not a valid molecule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("no atoms")]
    Empty,
    #[error("malformed graph: {0}")]
    Malformed(String),
    #[error("atom {atom} ({label}) is not in the atom vocabulary")]
    UnknownAtom { atom: usize, label: String },
    #[error("disconnected: {components} fragments")]
    Disconnected { components: usize },
    #[error("atom {atom} ({label}) has bond-order sum {bonds}, above its valence {allowed}")]
    OverValent {
        atom: usize,
        label: String,
        bonds: u32,
        allowed: u8,
    },
}

/// A graph is a valid molecule when it is non-empty, well-formed, every atom is in the
/// vocabulary ([`crate::chem::vocab::ATOM_CLASSES`]), it is connected, and no atom's
/// bond-order sum exceeds its allowed valence. Reports the first problem found, in that
/// order.
pub fn is_valid(g: &MolGraph) -> Result<(), Invalid> {
    if g.atoms.is_empty() {
        return Err(Invalid::Empty);
    }
    g.check().map_err(|e| Invalid::Malformed(e.to_string()))?;
    if let Some(i) = g.atoms.iter().position(|a| atom_class(a).is_none()) {
        return Err(Invalid::UnknownAtom {
            atom: i,
            label: g.atoms[i].label(),
        });
    }
    let components = g.components().len();
    if components > 1 {
        return Err(Invalid::Disconnected { components });
    }
    for (i, (a, &bonds)) in g.atoms.iter().zip(&g.bond_order_sums()).enumerate() {
        let allowed = allowed_valence(a).unwrap_or(0);
        if bonds > allowed as u32 {
            return Err(Invalid::OverValent {
                atom: i,
                label: a.label(),
                bonds,
                allowed,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::graph::BondOrder;
    use crate::chem::smiles::parse_smiles;

    fn check(s: &str) -> Result<(), Invalid> {
        is_valid(&parse_smiles(s).unwrap())
    }

    #[test]
    fn hand_worked_valid_molecules() {
        for s in [
            "CCO",
            "C",
            "[NH3+]CC([O-])=O",
            "C#N",
            "O=C=O",
            "C1CC1",
            "FC(F)(F)F",
            "[NH4+]",
            "C[N+](C)(C)C",
            "[CH-]1C=CC=C1",
            "N#[N+][N-]",
        ] {
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn hand_worked_invalid_molecules() {
        assert!(matches!(
            check("C(C)(C)(C)(C)C"),
            Err(Invalid::OverValent {
                atom: 0,
                bonds: 5,
                allowed: 4,
                ..
            })
        ));
        assert!(matches!(
            check("O=O=O"),
            Err(Invalid::OverValent {
                atom: 1,
                bonds: 4,
                allowed: 2,
                ..
            })
        ));
        assert!(matches!(
            check("CC.O"),
            Err(Invalid::Disconnected { components: 2 })
        ));
        assert!(matches!(
            check("FF=C"),
            Err(Invalid::OverValent { atom: 1, .. })
        ));
        assert!(matches!(
            check("C#[O-]"),
            Err(Invalid::OverValent { atom: 1, .. })
        ));
        assert!(matches!(
            check("[N-]#C"),
            Err(Invalid::OverValent { atom: 0, .. })
        ));
        assert!(matches!(
            check("[N+2]"),
            Err(Invalid::UnknownAtom { atom: 0, .. })
        ));
        assert_eq!(is_valid(&MolGraph::default()), Err(Invalid::Empty));
        let c = Atom::neutral(Element::C);
        let looped = MolGraph::new(vec![c, c], vec![(0, 0, BondOrder::Single)]);
        assert!(matches!(is_valid(&looped), Err(Invalid::Malformed(_))));
        let msg = check("C(C)(C)(C)(C)C").unwrap_err().to_string();
        assert!(
            msg.contains("atom 0 (C)") && msg.contains("valence 4"),
            "{msg}"
        );
    }

    #[test]
    fn implicit_hydrogens_fill_the_valence() {
        let n_plus = Atom::new(Element::N, 1);
        assert_eq!(implicit_hydrogens(&n_plus, 1), 3);
        assert_eq!(implicit_hydrogens(&Atom::neutral(Element::O), 2), 0);
        assert_eq!(implicit_hydrogens(&Atom::neutral(Element::C), 7), 0);
        assert_eq!(allowed_valence(&Atom::new(Element::F, 1)), None);
    }
}
