//! Kekulization: aromatic (lower-case) input becomes alternating single and double bonds.
//!
//! An aromatic atom needs a double bond when its valence has room left after its other
//! bonds, each aromatic bond counted once, and its bracket hydrogens: ring carbons do,
//! pyrrole-type `[nH]`, `o` and `s` do not, pyridine-type `n` does. The double bonds are a
//! perfect matching of those atoms along aromatic bonds, found by backtracking (most
//! constrained atom first); the other aromatic bonds become single.

use super::error::SmilesError;
use super::parse::ParsedSmiles;
use crate::chem::graph::BondOrder;

/// The valence an aromatic atom fills, by element and charge.
fn valence(symbol: &str, charge: i8) -> Option<u32> {
    Some(match (symbol, charge) {
        ("C", 0) | ("N", 1) | ("P", 1) | ("As", 1) | ("B", -1) => 4,
        ("C", 1 | -1) | ("N", 0) | ("O", 1) | ("S", 1) | ("Se", 1) | ("P", 0) | ("As", 0) => 3,
        ("B", 0) => 3,
        ("N", -1) | ("O", 0) | ("S", 0) | ("Se", 0) => 2,
        _ => return None,
    })
}

/// Assigns orders to the aromatic bonds of `p` (read from `smiles`), or fails naming the
/// first aromatic atom when no alternating assignment exists.
pub(super) fn kekulize(p: &mut ParsedSmiles, smiles: &str) -> Result<(), SmilesError> {
    let n = p.atoms.len();
    let mut is_aromatic_bond = vec![false; p.bonds.len()];
    for &k in &p.aromatic_bonds {
        is_aromatic_bond[k] = true;
    }
    let mut used = vec![0u32; n];
    let mut arom_adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (k, &(i, j, o)) in p.bonds.iter().enumerate() {
        let w = if is_aromatic_bond[k] {
            1
        } else {
            o.order() as u32
        };
        used[i] += w;
        used[j] += w;
        if is_aromatic_bond[k] {
            arom_adj[i].push((j, k));
            arom_adj[j].push((i, k));
        }
    }
    let mut needs = vec![false; n];
    for (i, a) in p.atoms.iter().enumerate().filter(|(_, a)| a.aromatic) {
        let Some(v) = valence(a.symbol, a.charge) else {
            return Err(SmilesError::new(
                smiles,
                a.pos,
                format!(
                    "aromatic atom {} with charge {} cannot be kekulized",
                    a.symbol, a.charge
                ),
            ));
        };
        needs[i] = v > used[i] + a.hydrogens.unwrap_or(0) as u32;
    }
    let mut mate: Vec<Option<usize>> = vec![None; n];
    if !matching(&needs, &arom_adj, &mut mate) {
        let first = p.atoms.iter().find(|a| a.aromatic).map_or(0, |a| a.pos);
        return Err(SmilesError::new(
            smiles,
            first,
            "cannot kekulize: no alternating single/double bond pattern fits the aromatic atoms",
        ));
    }
    for (i, m) in mate.iter().enumerate() {
        if let Some(&(_, k)) = m.and_then(|j| arom_adj[i].iter().find(|&&(v, _)| v == j)) {
            p.bonds[k].2 = BondOrder::Double;
        }
    }
    p.aromatic_bonds.clear();
    Ok(())
}

/// Matches every atom in `needs` to a neighbour in `needs` (a perfect matching on them).
fn matching(needs: &[bool], adj: &[Vec<(usize, usize)>], mate: &mut [Option<usize>]) -> bool {
    let free = |v: usize, mate: &[Option<usize>]| needs[v] && mate[v].is_none();
    let options =
        |u: usize, mate: &[Option<usize>]| adj[u].iter().filter(|&&(v, _)| free(v, mate)).count();
    let Some(u) = (0..needs.len())
        .filter(|&u| free(u, mate))
        .min_by_key(|&u| options(u, mate))
    else {
        return true;
    };
    let partners: Vec<usize> = adj[u]
        .iter()
        .map(|&(v, _)| v)
        .filter(|&v| free(v, mate))
        .collect();
    for v in partners {
        mate[u] = Some(v);
        mate[v] = Some(u);
        if matching(needs, adj, mate) {
            return true;
        }
        mate[u] = None;
        mate[v] = None;
    }
    false
}
