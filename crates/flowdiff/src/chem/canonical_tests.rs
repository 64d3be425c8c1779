use super::*;
use crate::chem::graph::{BondOrder, Element};
use crate::chem::smiles::parse_smiles;
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn carbons(n: usize, edges: &[(usize, usize)]) -> MolGraph {
    MolGraph::new(
        vec![Atom::neutral(Element::C); n],
        edges
            .iter()
            .map(|&(i, j)| (i, j, BondOrder::Single))
            .collect(),
    )
}

fn all_permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in all_permutations(n - 1) {
        for k in 0..n {
            let mut q = p.clone();
            q.insert(k, n - 1);
            out.push(q);
        }
    }
    out
}

fn random_permutations(n: usize, count: usize) -> Vec<Vec<usize>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    (0..count)
        .map(|_| {
            let mut p: Vec<usize> = (0..n).collect();
            p.shuffle(&mut rng);
            p
        })
        .collect()
}

fn assert_invariant(g: &MolGraph, perms: &[Vec<usize>]) {
    let s = canonical_smiles(g);
    let c = canonical_graph(g);
    for p in perms {
        let h = g.permuted(p);
        assert_eq!(canonical_smiles(&h), s, "permutation {p:?}");
        assert_eq!(canonical_graph(&h), c, "permutation {p:?}");
    }
    assert_eq!(
        canonical_smiles(&parse_smiles(&s).unwrap()),
        s,
        "the canonical SMILES reads back to itself"
    );
}

#[test]
fn every_permutation_of_small_molecules_gives_the_same_form() {
    for s in [
        "CC(C)(C)C",
        "C12C3C1C23",
        "C1=CC=CC=C1",
        "[NH3+]CC([O-])=O",
        "C1CC2CC1C2",
        "OC1=CC(O)=CC=C1",
        "C1CC1.C1CC1",
    ] {
        let g = parse_smiles(s).unwrap();
        assert_invariant(&g, &all_permutations(g.n_atoms()));
    }
}

#[test]
fn random_permutations_of_symmetric_graphs_give_the_same_form() {
    let cube = carbons(
        8,
        &[
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 0),
            (4, 5),
            (5, 6),
            (6, 7),
            (7, 4),
            (0, 4),
            (1, 5),
            (2, 6),
            (3, 7),
        ],
    );
    let petersen = carbons(
        10,
        &[
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (4, 0),
            (0, 5),
            (1, 6),
            (2, 7),
            (3, 8),
            (4, 9),
            (5, 7),
            (7, 9),
            (9, 6),
            (6, 8),
            (8, 5),
        ],
    );
    let k9: Vec<(usize, usize)> = (0..9)
        .flat_map(|i| (i + 1..9).map(move |j| (i, j)))
        .collect();
    let ring12 = parse_smiles("C1CCCCCCCCCCC1").unwrap();
    let cubane = parse_smiles("C12C3C4C1C5C2C3C45").unwrap();
    for g in [cube, petersen, carbons(9, &k9), ring12, cubane] {
        let t = std::time::Instant::now();
        assert_invariant(&g, &random_permutations(g.n_atoms(), 40));
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "too slow: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn non_isomorphic_graphs_get_different_forms() {
    let pairs = [
        ("CCCC", "CC(C)C"),
        ("C1CCCCC1", "C1CC1.C1CC1"),
        ("C1CCCCC1", "CC1CCCC1"),
        ("C=CC=C", "C=C=CC"),
        ("[NH3+]C", "NC"),
        ("[O-]C", "OC"),
        ("CCO", "COC"),
        ("C1CC2CCC1C2", "C12CC(C1)CCC2"),
    ];
    for (a, b) in pairs {
        let (ga, gb) = (parse_smiles(a).unwrap(), parse_smiles(b).unwrap());
        assert_ne!(canonical_smiles(&ga), canonical_smiles(&gb), "{a} vs {b}");
    }
    // Both 3-regular on six atoms, so colour refinement alone cannot tell them apart.
    let prism = carbons(
        6,
        &[
            (0, 1),
            (1, 2),
            (2, 0),
            (3, 4),
            (4, 5),
            (5, 3),
            (0, 3),
            (1, 4),
            (2, 5),
        ],
    );
    let k33 = carbons(
        6,
        &[
            (0, 3),
            (0, 4),
            (0, 5),
            (1, 3),
            (1, 4),
            (1, 5),
            (2, 3),
            (2, 4),
            (2, 5),
        ],
    );
    assert_ne!(canonical_smiles(&prism), canonical_smiles(&k33));
    assert_ne!(canonical_graph(&prism), canonical_graph(&k33));
}

#[test]
fn ranks_are_a_permutation() {
    let g = parse_smiles("CC(=O)NC1=CC=CC=C1").unwrap();
    let mut r = canonical_ranks(&g);
    r.sort_unstable();
    assert_eq!(r, (0..g.n_atoms()).collect::<Vec<_>>());
    assert!(canonical_ranks(&MolGraph::default()).is_empty());
}
