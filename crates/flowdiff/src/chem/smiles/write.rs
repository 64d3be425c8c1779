//! The SMILES writer: a depth-first walk in rank order, with branches, ring-closure digits,
//! explicit `=`/`#`, bracket atoms for charges and unusual valences, and `.` between parts.

use crate::chem::canonical::canonical_ranks;
use crate::chem::graph::{Atom, BondOrder, Element, MolGraph};
use crate::chem::valence::allowed_valence;
use std::collections::BTreeSet;

/// The canonical SMILES of a well-formed graph: equal (isomorphic) graphs give equal
/// strings, and reading the string back gives an isomorphic graph.
///
/// # Panics
/// When the graph is malformed (see [`MolGraph::check`]).
pub fn to_smiles(g: &MolGraph) -> String {
    write_with_ranks(g, &canonical_ranks(g))
}

enum Ring {
    /// This atom opens ring bond `id` (to a later atom) with this bond order.
    Open { id: usize, bond: BondOrder },
    /// This atom closes ring bond `id`.
    Close { id: usize },
}

struct Writer<'a> {
    g: &'a MolGraph,
    adj: Vec<Vec<(usize, BondOrder)>>,
    sums: Vec<u32>,
    state: Vec<u8>, // 0 new, 1 on the DFS stack, 2 done
    children: Vec<Vec<(usize, BondOrder)>>,
    rings: Vec<Vec<Ring>>,
    n_rings: usize,
    digit_of: Vec<usize>,
    in_use: BTreeSet<usize>,
}

/// Writes a well-formed graph as SMILES, starting each component at its lowest-ranked
/// atom and visiting neighbours in rank order (`ranks[i]` is atom `i`'s rank; any
/// ordering works, the canonical one gives canonical strings). Recursion depth is the
/// longest walk, at most the number of atoms.
pub fn write_with_ranks(g: &MolGraph, ranks: &[usize]) -> String {
    if let Err(e) = g.check() {
        panic!("cannot write SMILES of a malformed graph: {e}");
    }
    let n = g.n_atoms();
    assert_eq!(ranks.len(), n, "one rank per atom");
    let mut adj = g.adjacency();
    for a in &mut adj {
        a.sort_by_key(|&(v, _)| (ranks[v], v));
    }
    let mut w = Writer {
        g,
        adj,
        sums: g.bond_order_sums(),
        state: vec![0; n],
        children: vec![Vec::new(); n],
        rings: (0..n).map(|_| Vec::new()).collect(),
        n_rings: 0,
        digit_of: Vec::new(),
        in_use: BTreeSet::new(),
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (ranks[i], i));
    let mut out = String::new();
    for &start in &order {
        if w.state[start] != 0 {
            continue;
        }
        w.explore(start, None);
        w.digit_of.resize(w.n_rings, 0);
        if !out.is_empty() {
            out.push('.');
        }
        w.emit(start, &mut out);
    }
    out
}

impl Writer<'_> {
    fn explore(&mut self, u: usize, parent: Option<usize>) {
        self.state[u] = 1;
        for k in 0..self.adj[u].len() {
            let (v, b) = self.adj[u][k];
            if Some(v) == parent {
                continue;
            }
            match self.state[v] {
                0 => {
                    self.children[u].push((v, b));
                    self.explore(v, Some(u));
                }
                1 => {
                    let id = self.n_rings;
                    self.n_rings += 1;
                    self.rings[v].push(Ring::Open { id, bond: b });
                    self.rings[u].push(Ring::Close { id });
                }
                _ => {} // a finished descendant: recorded from its side
            }
        }
        self.state[u] = 2;
    }

    fn emit(&mut self, u: usize, out: &mut String) {
        out.push_str(&atom_token(self.g.atoms[u], self.sums[u]));
        let mut freed = Vec::new();
        for r in &self.rings[u] {
            if let Ring::Close { id } = r {
                push_digit(out, self.digit_of[*id]);
                freed.push(self.digit_of[*id]);
            }
        }
        for r in &self.rings[u] {
            if let Ring::Open { id, bond } = r {
                let d = (1..).find(|d| !self.in_use.contains(d)).unwrap();
                self.in_use.insert(d);
                self.digit_of[*id] = d;
                out.push_str(bond.smiles_symbol());
                push_digit(out, d);
            }
        }
        for d in freed {
            self.in_use.remove(&d);
        }
        let children = std::mem::take(&mut self.children[u]);
        for (k, &(c, b)) in children.iter().enumerate() {
            let branch = k + 1 < children.len();
            if branch {
                out.push('(');
            }
            out.push_str(b.smiles_symbol());
            self.emit(c, out);
            if branch {
                out.push(')');
            }
        }
    }
}

fn push_digit(out: &mut String, d: usize) {
    match d {
        0..=9 => out.push_str(&d.to_string()),
        10..=99 => out.push_str(&format!("%{d}")),
        _ => out.push_str(&format!("%({d})")),
    }
}

/// An atom as SMILES: bare when neutral within its usual valence, else in brackets with
/// the hydrogens its valence implies (none when over-valent or of unknown valence).
fn atom_token(atom: Atom, bond_sum: u32) -> String {
    let sym = atom.element.symbol();
    let valence = allowed_valence(&atom).map(u32::from);
    if atom.charge == 0 && atom.element != Element::H && valence.is_some_and(|v| bond_sum <= v) {
        return sym.to_string();
    }
    let h = match atom.element {
        Element::H => 0,
        _ => valence.map_or(0, |v| v.saturating_sub(bond_sum)),
    };
    let hs = match h {
        0 => String::new(),
        1 => "H".to_string(),
        h => format!("H{h}"),
    };
    let charge = match atom.charge {
        0 => String::new(),
        1 => "+".to_string(),
        -1 => "-".to_string(),
        c if c > 0 => format!("+{c}"),
        c => format!("{c}"),
    };
    format!("[{sym}{hs}{charge}]")
}
