//! Checkpoints: weights as safetensors (readable by PyTorch's `safetensors.torch.load_file`),
//! optimizer state as a burnpack file, and the step and random-stream position as JSON.
//! A checkpoint is written whole into `checkpoint.partial/` and then swapped in for
//! `checkpoint/` ([`commit`]); [`recover`] finishes or undoes a swap that a crash (SIGKILL,
//! power loss) interrupted, so `checkpoint/` always holds the files of one step.

use crate::error::{Context, Result, bail, err};
use crate::io::{write_atomic, write_json};
use crate::rng::RngState;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Where training stopped.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrainState {
    /// Steps completed.
    pub step: usize,
    pub rng: RngState,
    /// The device the steps ran on (burn's description of it); a run trained on one device
    /// samples on any other, this only records where it trained.
    #[serde(default)]
    pub device: String,
    /// Seconds of training so far over every call, against a run's time budget
    /// ([`super::Optimization::minutes`]).
    #[serde(default)]
    pub elapsed: f64,
}

/// Writes a module's weights as safetensors, atomically.
pub fn save_weights<M: Module + ModuleSnapshot>(module: &M, path: &Path) -> Result<()> {
    let mut store = SafetensorsStore::from_bytes(None).metadata("producer", "flowdiff");
    module
        .save_into(&mut store)
        .map_err(|e| err!("serialising weights for {}: {e}", path.display()))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| err!("serialising weights for {}: {e}", path.display()))?;
    write_atomic(path, &bytes)
}

/// Loads safetensors weights into `module`, refusing files that miss or mismatch tensors.
pub fn load_weights<M: Module + ModuleSnapshot>(mut module: M, path: &Path) -> Result<M> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let result = module
        .load_from(&mut store)
        .map_err(|e| err!("{}: not a valid weights file: {e}", path.display()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        bail!(
            "{}: weights do not fit the model (missing: {:?}; errors: {:?})",
            path.display(),
            result.missing.iter().map(|m| &m.0).collect::<Vec<_>>(),
            result.errors
        );
    }
    Ok(module)
}

/// The directory a checkpoint is written into before [`commit`] swaps it in.
pub fn staging_dir(run: &Path) -> std::path::PathBuf {
    run.join("checkpoint.partial")
}

fn current_dir(run: &Path) -> std::path::PathBuf {
    run.join("checkpoint")
}

fn old_dir(run: &Path) -> std::path::PathBuf {
    run.join("checkpoint.old")
}

/// A checkpoint directory is complete once its `state.json`, written last, is there.
fn complete(dir: &Path) -> bool {
    dir.join("state.json").is_file()
}

/// Empties the staging directory for a new checkpoint and returns it.
pub fn begin(run: &Path) -> Result<std::path::PathBuf> {
    let staging = staging_dir(run);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("removing {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    Ok(staging)
}

/// Swaps the complete staging directory in for `checkpoint/`: the current one is renamed to
/// `checkpoint.old`, the staging one to `checkpoint`, and the old one removed. Each rename is
/// atomic; a crash between them is repaired by [`recover`].
pub fn commit(run: &Path) -> Result<()> {
    let (staging, current, old) = (staging_dir(run), current_dir(run), old_dir(run));
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .with_context(|| format!("renaming {} to {}", from.display(), to.display()))
    };
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    if current.exists() {
        rename(&current, &old)?;
    }
    rename(&staging, &current)?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(())
}

/// Repairs the checkpoint directories of a run that stopped mid-checkpoint: a complete
/// `checkpoint/` wins; otherwise a complete staging directory (written whole, killed before
/// its swap) or else the previous checkpoint (`checkpoint.old`) becomes `checkpoint/`.
/// Leftover partial directories are removed. Returns whether `checkpoint/` is complete.
pub fn recover(run: &Path) -> Result<bool> {
    let (staging, current, old) = (staging_dir(run), current_dir(run), old_dir(run));
    if !complete(&current) {
        for candidate in [&staging, &old] {
            if complete(candidate) {
                if current.exists() {
                    std::fs::remove_dir_all(&current)
                        .with_context(|| format!("removing {}", current.display()))?;
                }
                std::fs::rename(candidate, &current).with_context(|| {
                    format!(
                        "restoring {} from {}",
                        current.display(),
                        candidate.display()
                    )
                })?;
                break;
            }
        }
    }
    for leftover in [&staging, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover)
                .with_context(|| format!("removing {}", leftover.display()))?;
        }
    }
    Ok(complete(&current))
}

/// Saves the optimizer state atomically.
pub fn save_optimizer(optim: &ModuleOptimizer, path: &Path) -> Result<()> {
    let bytes = optim
        .into_bytes()
        .map_err(|e| err!("serialising optimizer state for {}: {e}", path.display()))?;
    write_atomic(path, &bytes)
}

pub fn load_optimizer(optim: ModuleOptimizer, path: &Path) -> Result<ModuleOptimizer> {
    optim
        .load(path)
        .map_err(|e| err!("loading optimizer state from {}: {e}", path.display()))
}

pub fn save_state(state: &TrainState, path: &Path) -> Result<()> {
    write_json(path, state)
}

pub fn load_state(path: &Path) -> Result<TrainState> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not a valid training state", path.display()))
}

/// Writes the loss log (`step,loss,lr`) atomically.
pub fn save_loss_log(rows: &[(usize, f64, f64)], path: &Path) -> Result<()> {
    let mut text = String::from("step,loss,lr\n");
    for (s, l, lr) in rows {
        text.push_str(&format!("{s},{l},{lr}\n"));
    }
    write_atomic(path, text.as_bytes())
}

/// Reads a loss log written by [`save_loss_log`].
pub fn load_loss_log(path: &Path) -> Result<Vec<(usize, f64, f64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            let parse = || -> Option<(usize, f64, f64)> {
                Some((
                    f.first()?.parse().ok()?,
                    f.get(1)?.parse().ok()?,
                    f.get(2)?.parse().ok()?,
                ))
            };
            parse().ok_or_else(|| err!("{}: line {}: expected step,loss,lr", path.display(), i + 1))
        })
        .collect()
}

/// Renumbers a module's parameters `1, 2, …` in traversal order. burn draws parameter ids at
/// random, and the optimizer state is keyed by id, so a resumed run must give its freshly
/// built model the same ids as the run that saved the state.
pub fn stable_ids<M: Module>(module: M) -> M {
    struct Renumber(u64);
    impl burn::module::ModuleMapper for Renumber {
        fn map_float<const D: usize>(
            &mut self,
            mut param: burn::module::Param<burn::tensor::Tensor<D>>,
        ) -> burn::module::Param<burn::tensor::Tensor<D>> {
            self.0 += 1;
            param.id = burn::module::ParamId::from(self.0);
            param
        }
    }
    module.map(&mut Renumber(0))
}
