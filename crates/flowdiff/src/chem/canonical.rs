//! Canonical atom order and canonical SMILES, for uniqueness and novelty.
//!
//! Colour refinement (1-dimensional Weisfeiler–Leman) starts from (element, charge,
//! degree, bond orders) and splits classes by the multiset of (neighbour class, bond order)
//! until stable. When classes remain tied, individualisation–refinement tries each atom of
//! the first tied class in turn, recursively, and keeps the ordering whose encoding (atom
//! labels, then the upper triangle of the bond matrix) is lexicographically smallest. The
//! search prunes with the automorphisms it discovers (two orderings with equal encodings):
//! an abandoned branch equivalent to an explored one, and candidates in the same orbit
//! as an explored one, as in McKay's nauty. Connected parts are canonicalised one by one and ordered by
//! their codes, so many copies of one fragment cost no search. The result is correct for
//! any graph size; highly symmetric large parts are merely slower.

use crate::chem::graph::{Atom, MolGraph};
use crate::chem::smiles::to_smiles;

/// The canonical rank of each atom: a permutation of `0..n` such that isomorphic graphs
/// (equal up to atom order) get identical graphs when atoms are sorted by rank.
///
/// # Panics
/// When the graph is malformed (see [`MolGraph::check`]).
pub fn canonical_ranks(g: &MolGraph) -> Vec<usize> {
    if let Err(e) = g.check() {
        panic!("cannot canonicalise a malformed graph: {e}");
    }
    let n = g.n_atoms();
    let mut adj = vec![Vec::new(); n];
    for &(i, j, b) in &g.bonds {
        adj[i].push((j, b.order()));
        adj[j].push((i, b.order()));
    }
    let labels: Vec<u16> = g.atoms.iter().map(label).collect();
    // Each connected part is canonicalised on its own and the parts are ordered by their
    // codes: the search never meets the automorphisms that swap identical parts, which
    // grow factorially with their number (many copies of one fragment).
    let mut parts: Vec<(Vec<u16>, Vec<usize>)> = components(&adj)
        .into_iter()
        .map(|atoms| {
            let (code, at) = canonical_part(&atoms, &adj, &labels);
            (code, at.into_iter().map(|k| atoms[k]).collect())
        })
        .collect();
    parts.sort_by(|a, b| (a.1.len(), &a.0).cmp(&(b.1.len(), &b.0)));
    let mut ranks = vec![0; n];
    for (r, &i) in parts.iter().flat_map(|(_, at)| at).enumerate() {
        ranks[i] = r;
    }
    ranks
}

/// The connected parts of a graph, each as its atoms in increasing order.
fn components(adj: &[Vec<(usize, u8)>]) -> Vec<Vec<usize>> {
    let mut part = vec![usize::MAX; adj.len()];
    let mut parts = Vec::new();
    for start in 0..adj.len() {
        if part[start] != usize::MAX {
            continue;
        }
        let id = parts.len();
        part[start] = id;
        let mut atoms = vec![start];
        let mut k = 0;
        while k < atoms.len() {
            for &(v, _) in &adj[atoms[k]] {
                if part[v] == usize::MAX {
                    part[v] = id;
                    atoms.push(v);
                }
            }
            k += 1;
        }
        atoms.sort_unstable();
        parts.push(atoms);
    }
    parts
}

/// The canonical code and order of one connected part (`atoms`, indices into the whole
/// graph's `adj` and `labels`): the order lists positions in `atoms`.
fn canonical_part(
    atoms: &[usize],
    adj: &[Vec<(usize, u8)>],
    labels: &[u16],
) -> (Vec<u16>, Vec<usize>) {
    let n = atoms.len();
    let mut local = vec![usize::MAX; adj.len()];
    for (k, &i) in atoms.iter().enumerate() {
        local[i] = k;
    }
    let adj: Vec<Vec<(usize, u8)>> = atoms
        .iter()
        .map(|&i| adj[i].iter().map(|&(v, b)| (local[v], b)).collect())
        .collect();
    let mut bond = vec![0u8; n * n];
    for (i, a) in adj.iter().enumerate() {
        for &(j, b) in a {
            bond[i * n + j] = b;
        }
    }
    let labels: Vec<u16> = atoms.iter().map(|&i| labels[i]).collect();
    let keys: Vec<(u16, usize, Vec<u8>)> = (0..n)
        .map(|i| {
            let mut orders: Vec<u8> = adj[i].iter().map(|&(_, b)| b).collect();
            orders.sort_unstable();
            (labels[i], adj[i].len(), orders)
        })
        .collect();
    let mut search = Search {
        n,
        adj,
        bond,
        labels,
        best: None,
        autos: Vec::new(),
    };
    search.run(cells_from_keys(&keys), &mut Vec::new());
    let best = search.best.expect("the search reaches at least one leaf");
    (best.code, best.at)
}

/// The graph with its atoms in canonical order: isomorphic graphs give equal results.
pub fn canonical_graph(g: &MolGraph) -> MolGraph {
    let ranks = canonical_ranks(g);
    let p = g.permuted(&ranks);
    MolGraph::new(p.atoms.clone(), p.sorted_bonds())
}

/// The canonical SMILES (the same as [`to_smiles`]): equal exactly when the graphs are
/// isomorphic with equal elements, charges and bond orders.
pub fn canonical_smiles(g: &MolGraph) -> String {
    to_smiles(g)
}

fn label(a: &Atom) -> u16 {
    ((a.element as u16) << 8) | (a.charge as u8 as u16)
}

/// Cells as start positions in the sorted order: atoms with equal keys share a cell, and
/// cell ids order as the keys do.
fn cells_from_keys<K: Ord>(keys: &[K]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut cells = vec![0; keys.len()];
    for p in 1..idx.len() {
        cells[idx[p]] = if keys[idx[p]] == keys[idx[p - 1]] {
            cells[idx[p - 1]]
        } else {
            p
        };
    }
    cells
}

fn distinct(cells: &[usize]) -> usize {
    let mut seen = vec![false; cells.len()];
    cells
        .iter()
        .filter(|&&c| !std::mem::replace(&mut seen[c], true))
        .count()
}

struct Leaf {
    code: Vec<u16>,
    /// The atom at each canonical position.
    at: Vec<usize>,
    path: Vec<usize>,
}

struct Search {
    n: usize,
    adj: Vec<Vec<(usize, u8)>>,
    bond: Vec<u8>,
    labels: Vec<u16>,
    best: Option<Leaf>,
    /// Automorphisms found so far, as atom permutations.
    autos: Vec<Vec<usize>>,
}

impl Search {
    /// Splits cells by neighbour classes until the number of cells is stable.
    fn refine(&self, cells: &mut Vec<usize>) {
        let mut k = distinct(cells);
        loop {
            let keys: Vec<(usize, Vec<(usize, u8)>)> = (0..self.n)
                .map(|i| {
                    let mut s: Vec<(usize, u8)> =
                        self.adj[i].iter().map(|&(v, b)| (cells[v], b)).collect();
                    s.sort_unstable();
                    (cells[i], s)
                })
                .collect();
            *cells = cells_from_keys(&keys);
            let k2 = distinct(cells);
            if k2 == k {
                return;
            }
            k = k2;
        }
    }

    /// Explores the search tree below `cells`; `Some(d)` asks the caller to return to the
    /// node at depth `d`, whose current branch proved equivalent to an explored one.
    fn run(&mut self, mut cells: Vec<usize>, path: &mut Vec<usize>) -> Option<usize> {
        self.refine(&mut cells);
        let mut size = vec![0usize; self.n];
        for &c in &cells {
            size[c] += 1;
        }
        let Some(target) = (0..self.n).find(|&c| size[c] > 1) else {
            return self.leaf(&cells, path);
        };
        let candidates: Vec<usize> = (0..self.n).filter(|&i| cells[i] == target).collect();
        let mut explored: Vec<usize> = Vec::new();
        for v in candidates {
            if self.in_explored_orbit(path, v, &explored) {
                continue;
            }
            let mut next = cells.clone();
            for (i, c) in next.iter_mut().enumerate() {
                if *c == target && i != v {
                    *c = target + 1;
                }
            }
            path.push(v);
            let back = self.run(next, path);
            path.pop();
            explored.push(v);
            if let Some(d) = back
                && d < path.len()
            {
                return Some(d);
            }
        }
        None
    }

    fn leaf(&mut self, cells: &[usize], path: &[usize]) -> Option<usize> {
        let n = self.n;
        let mut at = vec![0; n];
        for (i, &c) in cells.iter().enumerate() {
            at[c] = i;
        }
        let mut code: Vec<u16> = at.iter().map(|&i| self.labels[i]).collect();
        code.reserve(n * (n - 1) / 2);
        for p in 0..n {
            for q in p + 1..n {
                code.push(self.bond[at[p] * n + at[q]] as u16);
            }
        }
        let leaf = Leaf {
            code,
            at,
            path: path.to_vec(),
        };
        let Some(best) = &self.best else {
            self.best = Some(leaf);
            return None;
        };
        match leaf.code.cmp(&best.code) {
            std::cmp::Ordering::Less => {
                self.best = Some(leaf);
                None
            }
            std::cmp::Ordering::Greater => None,
            std::cmp::Ordering::Equal => {
                let mut gamma = vec![0; n];
                for p in 0..n {
                    gamma[best.at[p]] = leaf.at[p];
                }
                let common = best
                    .path
                    .iter()
                    .zip(&leaf.path)
                    .take_while(|(a, b)| a == b)
                    .count();
                self.autos.push(gamma);
                Some(common)
            }
        }
    }

    /// Whether `v` lies in the orbit of an explored candidate under the automorphisms found
    /// so far that fix every atom of `path`.
    fn in_explored_orbit(&self, path: &[usize], v: usize, explored: &[usize]) -> bool {
        if explored.is_empty() {
            return false;
        }
        let mut parent: Vec<usize> = (0..self.n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut any = false;
        for g in self
            .autos
            .iter()
            .filter(|g| path.iter().all(|&a| g[a] == a))
        {
            any = true;
            for (i, &j) in g.iter().enumerate() {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
        if !any {
            return false;
        }
        let root = find(&mut parent, v);
        explored.iter().any(|&e| find(&mut parent, e) == root)
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
