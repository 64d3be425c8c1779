//! Kekulization: aromatic (lower-case) input becomes alternating single and double bonds.
//!
//! An aromatic atom needs a double bond when its valence has room left after its other
//! bonds, each aromatic bond counted once, and its bracket hydrogens: ring carbons do,
//! pyrrole-type `[nH]`, `o` and `s` do not, pyridine-type `n` does. The double bonds are a
//! perfect matching of those atoms along aromatic bonds, found by backtracking (most
//! constrained atom first) in each connected aromatic system on its own; the other aromatic
//! bonds become single. Backtracking is exponential in the worst case, so it stops with an
//! error after [`MAX_STEPS`] steps: a few hundred characters of SMILES could otherwise keep
//! the reader busy for years.

use super::error::SmilesError;
use super::parse::ParsedSmiles;
use crate::chem::graph::BondOrder;

/// The most backtracking steps one molecule may take. A matching that needs no backtracking
/// takes one step per double bond (at most about 2000 within the reader's length limit);
/// real aromatic systems backtrack little.
pub const MAX_STEPS: usize = 20_000;

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
    let mut steps = 0;
    // Systems that share no aromatic bond are matched one by one: a failure in one is not
    // retried against every choice made in the others.
    for system in systems(&needs, &arom_adj) {
        match matching(&system, &needs, &arom_adj, &mut mate, &mut steps) {
            Some(true) => {}
            Some(false) => {
                let first = p.atoms.iter().find(|a| a.aromatic).map_or(0, |a| a.pos);
                return Err(SmilesError::new(
                    smiles,
                    first,
                    "cannot kekulize: no alternating single/double bond pattern fits the aromatic atoms",
                ));
            }
            None => {
                return Err(SmilesError::new(
                    smiles,
                    p.atoms[system[0]].pos,
                    format!(
                        "cannot kekulize: the aromatic system starting here is too complex (no alternating single/double bond pattern found in {MAX_STEPS} steps); write it in Kekulé form"
                    ),
                ));
            }
        }
    }
    for (i, m) in mate.iter().enumerate() {
        if let Some(&(_, k)) = m.and_then(|j| arom_adj[i].iter().find(|&&(v, _)| v == j)) {
            p.bonds[k].2 = BondOrder::Double;
        }
    }
    p.aromatic_bonds.clear();
    Ok(())
}

/// The atoms in `needs`, grouped into the connected parts of the aromatic bonds between
/// them, each in ascending order.
fn systems(needs: &[bool], adj: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    let mut seen = vec![false; needs.len()];
    let mut out = Vec::new();
    for start in (0..needs.len()).filter(|&i| needs[i]) {
        if std::mem::replace(&mut seen[start], true) {
            continue;
        }
        let mut system = vec![start];
        let mut k = 0;
        while k < system.len() {
            for &(v, _) in &adj[system[k]] {
                if needs[v] && !std::mem::replace(&mut seen[v], true) {
                    system.push(v);
                }
            }
            k += 1;
        }
        system.sort_unstable();
        out.push(system);
    }
    out
}

/// Matches every atom of `system` (atoms in `needs`) to a neighbour in `needs` (a perfect
/// matching on them); `None` when `steps` passes [`MAX_STEPS`].
fn matching(
    system: &[usize],
    needs: &[bool],
    adj: &[Vec<(usize, usize)>],
    mate: &mut [Option<usize>],
    steps: &mut usize,
) -> Option<bool> {
    *steps += 1;
    if *steps > MAX_STEPS {
        return None;
    }
    let free = |v: usize, mate: &[Option<usize>]| needs[v] && mate[v].is_none();
    let options =
        |u: usize, mate: &[Option<usize>]| adj[u].iter().filter(|&&(v, _)| free(v, mate)).count();
    let Some(u) = system
        .iter()
        .copied()
        .filter(|&u| free(u, mate))
        .min_by_key(|&u| options(u, mate))
    else {
        return Some(true);
    };
    let partners: Vec<usize> = adj[u]
        .iter()
        .map(|&(v, _)| v)
        .filter(|&v| free(v, mate))
        .collect();
    for v in partners {
        mate[u] = Some(v);
        mate[v] = Some(u);
        if matching(system, needs, adj, mate, steps)? {
            return Some(true);
        }
        mate[u] = None;
        mate[v] = None;
    }
    Some(false)
}
