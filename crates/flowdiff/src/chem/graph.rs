//! Heavy-atom molecular graphs: elements, atoms with formal charges, bond orders, and the
//! [`MolGraph`] that the SMILES reader produces and the generative models emit.

use crate::error::{Result, bail};

/// A chemical element. Molecular graphs hold heavy atoms only (C, N, O, F); `H` appears in
/// XYZ geometries, where hydrogens are explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Element {
    H,
    C,
    N,
    O,
    F,
}

impl Element {
    /// The heavy elements of QM9, in vocabulary order.
    pub const HEAVY: [Element; 4] = [Element::C, Element::N, Element::O, Element::F];

    /// The element symbol, e.g. `"C"`.
    pub fn symbol(self) -> &'static str {
        match self {
            Element::H => "H",
            Element::C => "C",
            Element::N => "N",
            Element::O => "O",
            Element::F => "F",
        }
    }

    /// The element of a symbol (`"C"`, `"N"`, …); `None` for any element outside H C N O F.
    pub fn from_symbol(symbol: &str) -> Option<Element> {
        Some(match symbol {
            "H" => Element::H,
            "C" => Element::C,
            "N" => Element::N,
            "O" => Element::O,
            "F" => Element::F,
            _ => return None,
        })
    }

    /// The atomic number.
    pub fn atomic_number(self) -> u8 {
        match self {
            Element::H => 1,
            Element::C => 6,
            Element::N => 7,
            Element::O => 8,
            Element::F => 9,
        }
    }
}

/// A heavy atom: element and formal charge. Hydrogens are implicit (see
/// [`crate::chem::valence`]); two atoms are the same node class when element and charge agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Atom {
    pub element: Element,
    pub charge: i8,
}

impl Atom {
    pub const fn new(element: Element, charge: i8) -> Self {
        Self { element, charge }
    }

    /// The uncharged atom of an element.
    pub const fn neutral(element: Element) -> Self {
        Self { element, charge: 0 }
    }

    /// `C`, `N+`, `O-`, `C-2`: the element with its charge, for labels and tables.
    pub fn label(&self) -> String {
        let s = self.element.symbol();
        match self.charge {
            0 => s.to_string(),
            1 => format!("{s}+"),
            -1 => format!("{s}-"),
            c if c > 0 => format!("{s}+{c}"),
            c => format!("{s}{c}"),
        }
    }
}

/// A covalent bond's order (single 1, double 2, triple 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum BondOrder {
    Single = 1,
    Double = 2,
    Triple = 3,
}

impl BondOrder {
    /// The numeric order, 1 to 3.
    pub fn order(self) -> u8 {
        self as u8
    }

    /// The bond of order 1, 2 or 3.
    pub fn from_order(order: u8) -> Option<BondOrder> {
        Some(match order {
            1 => BondOrder::Single,
            2 => BondOrder::Double,
            3 => BondOrder::Triple,
            _ => return None,
        })
    }

    /// The SMILES bond symbol: `""` (single, implicit), `"="`, `"#"`.
    pub fn smiles_symbol(self) -> &'static str {
        match self {
            BondOrder::Single => "",
            BondOrder::Double => "=",
            BondOrder::Triple => "#",
        }
    }
}

/// A heavy-atom molecular graph: atoms and undirected bonds `(i, j, order)`.
///
/// A well-formed graph (see [`MolGraph::check`]) has every bond between two distinct atoms
/// in range and at most one bond per pair; the SMILES reader and [`MolGraph::from_dense`]
/// only build well-formed graphs. It may be disconnected or chemically invalid (see
/// [`crate::chem::valence::is_valid`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MolGraph {
    pub atoms: Vec<Atom>,
    pub bonds: Vec<(usize, usize, BondOrder)>,
}

impl MolGraph {
    pub fn new(atoms: Vec<Atom>, bonds: Vec<(usize, usize, BondOrder)>) -> Self {
        Self { atoms, bonds }
    }

    pub fn n_atoms(&self) -> usize {
        self.atoms.len()
    }

    /// Fails (naming the bond) when a bond leaves the atom range, joins an atom to itself,
    /// or repeats a pair.
    pub fn check(&self) -> Result<()> {
        let n = self.atoms.len();
        let mut seen = std::collections::HashSet::new();
        for (k, &(i, j, _)) in self.bonds.iter().enumerate() {
            if i >= n || j >= n {
                bail!("bond {k} ({i}-{j}) refers to an atom beyond the {n} atoms");
            }
            if i == j {
                bail!("bond {k} joins atom {i} to itself");
            }
            if !seen.insert((i.min(j), i.max(j))) {
                bail!("bond {k} repeats the bond between atoms {i} and {j}");
            }
        }
        Ok(())
    }

    /// For each atom, its neighbours and the bonds to them, in bond-list order.
    pub fn adjacency(&self) -> Vec<Vec<(usize, BondOrder)>> {
        let mut adj = vec![Vec::new(); self.atoms.len()];
        for &(i, j, b) in &self.bonds {
            adj[i].push((j, b));
            adj[j].push((i, b));
        }
        adj
    }

    /// The bond between atoms `i` and `j`, if any.
    pub fn bond_between(&self, i: usize, j: usize) -> Option<BondOrder> {
        self.bonds
            .iter()
            .find(|&&(a, b, _)| (a, b) == (i, j) || (a, b) == (j, i))
            .map(|&(_, _, o)| o)
    }

    /// Each atom's sum of bond orders (its explicit valence in the heavy-atom graph).
    pub fn bond_order_sums(&self) -> Vec<u32> {
        let mut sums = vec![0u32; self.atoms.len()];
        for &(i, j, b) in &self.bonds {
            sums[i] += b.order() as u32;
            sums[j] += b.order() as u32;
        }
        sums
    }

    /// The connected components, each as ascending atom indices, ordered by first atom.
    pub fn components(&self) -> Vec<Vec<usize>> {
        let adj = self.adjacency();
        let mut seen = vec![false; self.atoms.len()];
        let mut out = Vec::new();
        for start in 0..self.atoms.len() {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let (mut comp, mut stack) = (vec![start], vec![start]);
            while let Some(u) = stack.pop() {
                for &(v, _) in &adj[u] {
                    if !seen[v] {
                        seen[v] = true;
                        comp.push(v);
                        stack.push(v);
                    }
                }
            }
            comp.sort_unstable();
            out.push(comp);
        }
        out
    }

    /// True when the graph has at most one connected component (the empty graph counts).
    pub fn is_connected(&self) -> bool {
        self.components().len() <= 1
    }

    /// The same molecule with atom `i` moved to position `perm[i]` (`perm` a permutation).
    pub fn permuted(&self, perm: &[usize]) -> MolGraph {
        assert_eq!(perm.len(), self.atoms.len(), "permutation length");
        let mut atoms = self.atoms.clone();
        for (i, &p) in perm.iter().enumerate() {
            atoms[p] = self.atoms[i];
        }
        let bonds = self
            .bonds
            .iter()
            .map(|&(i, j, b)| (perm[i], perm[j], b))
            .collect();
        MolGraph { atoms, bonds }
    }

    /// Bonds as `(low, high, order)`, sorted: a representation independent of how the bond
    /// list was written (but not of atom order; see [`crate::chem::canonical`] for that).
    pub fn sorted_bonds(&self) -> Vec<(usize, usize, BondOrder)> {
        let mut b: Vec<_> = self
            .bonds
            .iter()
            .map(|&(i, j, o)| (i.min(j), i.max(j), o))
            .collect();
        b.sort_unstable();
        b
    }
}
