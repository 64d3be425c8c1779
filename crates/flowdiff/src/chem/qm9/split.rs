//! The fixed train/valid/test split of QM9.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of the standard split: `0x514D39`, the bytes of "QM9". Every run, model and
/// metric (novelty is measured against the training part) uses this split.
pub const SPLIT_SEED: u64 = 0x514D39;

/// Positions (into the loaded molecule list) of the three parts, each ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// Splits `0..n` 80/10/10 by a seeded permutation (ChaCha8, Fisher–Yates): the first
/// `n/10` of the permutation are the test part, the next `n/10` the validation part, the
/// rest training. Deterministic across platforms for a given `(n, seed)`.
pub fn split(n: usize, seed: u64) -> Split {
    let mut perm: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i as u64) as usize;
        perm.swap(i, j);
    }
    let tenth = n / 10;
    let mut test = perm[..tenth].to_vec();
    let mut valid = perm[tenth..2 * tenth].to_vec();
    let mut train = perm[2 * tenth..].to_vec();
    test.sort_unstable();
    valid.sort_unstable();
    train.sort_unstable();
    Split { train, valid, test }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_a_seeded_partition() {
        let s = split(1003, SPLIT_SEED);
        assert_eq!(
            (s.train.len(), s.valid.len(), s.test.len()),
            (803, 100, 100)
        );
        let mut all: Vec<usize> = [&s.train, &s.valid, &s.test]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..1003).collect::<Vec<_>>());
        assert_eq!(split(1003, SPLIT_SEED), s);
        assert_ne!(split(1003, 1).test, s.test);
        assert_eq!(split(0, 1).train.len(), 0);
    }
}
