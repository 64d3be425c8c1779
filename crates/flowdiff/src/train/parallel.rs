//! Synchronous data parallelism (the scheme of PyTorch's DDP and of burn's `DistributedOps`):
//! every replica holds the same weights, takes its share of each batch, and the replicas'
//! gradients are combined into the one gradient of the whole batch before a single optimizer
//! update, so the replicas stay identical and EMA and checkpoints are written once.
//!
//! **Same run, any number of replicas.** Each replica draws the *whole* batch (data, labels,
//! times, noise) from a copy of the run's one random stream and keeps only its [`Shard`] of
//! the rows; its loss is its share of the whole batch's loss (the shares sum to it). The data
//! order and the noise of an N-replica run are therefore those of the single-device run with
//! the same seed, and the summed gradient is the single-device gradient up to float rounding
//! (`tests/parallel.rs` checks the parameters). Backend randomness (dropout masks) is seeded
//! per (seed, step, replica), so a resumed run redraws the same masks.
//!
//! **The combining step** is burn's [`GradientsAccumulator`] over gradients moved to the first
//! replica's device ([`GradientsParams::to_device`]). burn 0.22.1's collective
//! (`burn::tensor::distributed::all_reduce` and the per-parameter gradient sync of
//! `DistributedOps`) is implemented only by the CubeCL CUDA runtime and the remote backend:
//! `burn-flex` and `burn-tch` declare `DistributedOps` with its unimplemented defaults and the
//! wgpu runtime panics inside cubecl. `docs/scaling.md` says how flowdiff moves to the
//! collective where it exists.

use super::engine::LossFn;
use crate::error::{Error, Result};
use crate::rng::SeededRng;
use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{Device, Int, Tensor};
use std::ops::Range;

/// The rows of a batch one replica takes: replica `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole batch (one device).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Rows `[start, end)` of a batch of `n`: contiguous blocks, the first `n % count` blocks
    /// one row longer.
    pub fn rows(&self, n: usize) -> Range<usize> {
        let (base, extra) = (n / self.count, n % self.count);
        let start = self.index * base + self.index.min(extra);
        let len = base + usize::from(self.index < extra);
        start..start + len
    }

    /// This shard's fraction of a batch of `n` rows, the weight of its mean loss.
    pub fn fraction(&self, n: usize) -> f64 {
        self.rows(n).len() as f64 / n as f64
    }

    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// The class labels of this shard's rows; all of them for the whole batch.
    pub fn take_int(&self, t: Tensor<1, Int>) -> Tensor<1, Int> {
        match self.is_whole() {
            true => t,
            false => {
                let r = self.rows(t.dims()[0]);
                t.narrow(0, r.start, r.len())
            }
        }
    }
}

/// Checks a replica count against the batch it splits: each replica needs at least one row.
pub fn check_devices(devices: usize, batch_size: usize) -> Result<()> {
    if devices == 0 {
        return Err(Error::invalid("devices", "must be at least 1"));
    }
    if devices > batch_size {
        return Err(Error::invalid(
            "devices",
            format!("{devices} devices cannot share a batch of {batch_size}: each needs a row"),
        ));
    }
    Ok(())
}

/// The replicas of one data-parallel run, each on its (autodiff) device.
#[derive(Clone, Debug)]
pub struct Replicas {
    devices: Vec<Device>,
}

/// One step's result: the whole batch's loss and gradient, on the first replica's device.
pub struct StepGrads {
    pub loss: Tensor<1>,
    pub grads: GradientsParams,
}

impl Replicas {
    /// `count` replicas on `device` (flex has one CPU device, so CPU replicas share it); at
    /// least one.
    pub fn on(device: &Device, count: usize) -> Self {
        Self {
            devices: vec![device.clone(); count.max(1)],
        }
    }

    /// One replica per device (e.g. several GPUs).
    pub fn new(devices: Vec<Device>) -> Result<Self> {
        if devices.is_empty() {
            return Err(Error::invalid("devices", "a run needs at least one device"));
        }
        Ok(Self { devices })
    }

    pub fn count(&self) -> usize {
        self.devices.len()
    }

    /// The seed of backend randomness for `replica` at `step`: replica 0 keeps the
    /// single-device run's seed.
    pub fn step_seed(seed: u64, step: usize, replica: usize) -> u64 {
        seed ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ (replica as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)
    }

    /// Every replica's share of the loss of one batch and its backward pass; returns the
    /// summed loss and gradient. `rng` ends where each replica's copy ended (all draw the
    /// same whole batch).
    pub fn step<M: Module>(
        &self,
        model: &M,
        seed: u64,
        step: usize,
        rng: &mut SeededRng,
        loss: &mut LossFn<M>,
    ) -> StepGrads {
        let count = self.count();
        let first = &self.devices[0];
        if count == 1 {
            first.seed(Self::step_seed(seed, step, 0));
            let value = loss(model, rng, Shard::WHOLE);
            let grads = GradientsParams::from_grads(value.clone().backward(), model);
            return StepGrads {
                loss: value.detach(),
                grads,
            };
        }
        let start = rng.clone();
        let mut sum = GradientsAccumulator::<M>::new();
        let mut total: Option<Tensor<1>> = None;
        for (index, device) in self.devices.iter().enumerate() {
            let mut draws = start.clone();
            device.seed(Self::step_seed(seed, step, index));
            let replica = if index == 0 {
                model.clone()
            } else {
                model.clone().fork(device)
            };
            let share = loss(&replica, &mut draws, Shard { index, count });
            let grads = GradientsParams::from_grads(share.clone().backward(), &replica)
                .to_device(first, &replica);
            sum.accumulate(&replica, grads);
            let share = share.detach().to_device(first);
            total = Some(match total {
                Some(t) => t.add(share),
                None => share,
            });
            *rng = draws;
        }
        StepGrads {
            loss: total.expect("at least one replica"),
            grads: sum.grads(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_once_in_order() {
        for n in 1..20 {
            for count in 1..=n.min(5) {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.rows(n);
                    assert_eq!(r.start, next, "n {n}, count {count}, index {index}");
                    assert!(!r.is_empty());
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
        assert_eq!(Shard { index: 1, count: 3 }.rows(10), 4..7);
    }

    #[test]
    fn devices_must_fit_the_batch() {
        assert!(check_devices(0, 8).is_err());
        assert!(
            check_devices(9, 8)
                .unwrap_err()
                .to_string()
                .contains("devices")
        );
        assert!(check_devices(8, 8).is_ok());
    }
}
