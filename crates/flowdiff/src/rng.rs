//! Seeded randomness. Every random draw in flowdiff comes from a [`SeededRng`], a ChaCha8
//! stream whose seed is printed and saved with each run, and whose position can be saved
//! and restored so that a resumed training run continues the exact same stream.
//!
//! Noise is drawn on the host and uploaded, so the same seed gives the same samples on every
//! backend (CPU or GPU).

use burn::tensor::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A reproducible random stream.
#[derive(Clone, Debug)]
pub struct SeededRng {
    seed: u64,
    inner: ChaCha8Rng,
}

/// The saved position of a [`SeededRng`]: its seed and the index of the next word.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RngState {
    pub seed: u64,
    pub word_pos: u128,
}

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An independent stream derived from this one's seed and a label (e.g. "sample").
    pub fn fork(&self, label: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for b in label.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Self::new(h)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn state(&self) -> RngState {
        RngState {
            seed: self.seed,
            word_pos: self.inner.get_word_pos(),
        }
    }

    pub fn from_state(state: RngState) -> Self {
        let mut rng = Self::new(state.seed);
        rng.inner.set_word_pos(state.word_pos);
        rng
    }

    /// One standard normal draw.
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.inner)
    }

    /// One uniform draw in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.inner.random::<f64>()
    }

    /// A uniform integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.inner.random_range(0..n)
    }

    /// `len` standard normal draws as `f32`.
    pub fn normal_vec(&mut self, len: usize) -> Vec<f32> {
        (0..len)
            .map(|_| StandardNormal.sample(&mut self.inner))
            .collect::<Vec<f32>>()
    }

    /// `len` uniform draws in `[0, 1)` as `f32`.
    pub fn uniform_vec(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.inner.random::<f32>()).collect()
    }

    /// A `[n, d]` tensor of standard normal noise on `device`.
    pub fn normal_tensor(&mut self, n: usize, d: usize, device: &Device) -> Tensor<2> {
        crate::device::tensor2(self.normal_vec(n * d), n, d, device)
    }

    /// A mutable handle for APIs that take an `rand::Rng`.
    pub fn raw(&mut self) -> &mut ChaCha8Rng {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trip_continues_the_same_stream() {
        let mut a = SeededRng::new(7);
        a.normal_vec(13);
        let saved = a.state();
        let next: Vec<f32> = a.normal_vec(5);
        let mut b = SeededRng::from_state(saved);
        assert_eq!(b.normal_vec(5), next);
    }

    #[test]
    fn forks_differ_from_parent_and_each_other() {
        let r = SeededRng::new(1);
        let mut a = r.fork("a");
        let mut b = r.fork("b");
        assert_ne!(a.normal_vec(4), b.normal_vec(4));
    }
}
