//! Fewer-step students of trained models.
//!
//! **Reflow** (Liu et al. 2022, "Flow Straight and Fast", Algorithm 1) applies to every
//! teacher with a deterministic ODE sampler — flow matching, the hybrid, and diffusion
//! through its probability-flow ODE: noise `x0` is carried by the teacher's ODE to `x1`, and a
//! flow-matching student is trained on the straight interpolation of these fixed pairs
//! ([`crate::flow::Coupling::Pairs`], the cond-OT path with `sigma_min = 0`). The more the
//! student's paths straighten, the fewer Euler steps reproduce the teacher's law; a straight
//! path needs one. Rounds repeat with the student as the next teacher.
//!
//! A student is an ordinary point run (`config.json`, weights, checkpoints): `sample`,
//! `bench`, `compare`, the report and `train --resume` accept it. `distill.json` beside its
//! config records the teacher, the round, the pairs and their cost ([`Record`]).

pub mod reflow;

use crate::error::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a student run records about how it was made (`distill.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `reflow`.
    pub method: String,
    /// The teacher's run directory.
    pub teacher: PathBuf,
    /// 1 for a teacher trained on data, the teacher's round + 1 for a student of a student.
    pub round: usize,
    /// The pairs file (cached in the teacher's run, reused by later students).
    pub pairs_file: PathBuf,
    pub pairs: usize,
    /// How the teacher's ODE was solved for the pairs.
    pub pair_solver: String,
    /// Teacher network evaluations per pair, and in all (`per pair × pairs`).
    pub teacher_nfe_per_pair: usize,
    pub teacher_evaluations: u64,
    /// Wall-clock seconds the pairs took when they were made.
    pub pair_seconds: f64,
    /// Wall-clock seconds of the student's training (0 until it has trained).
    #[serde(default)]
    pub train_seconds: f64,
    /// The number of sampling steps the student is made for.
    pub intended_steps: usize,
}

impl Record {
    /// `distill.json` of the run in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("distill.json")
    }

    /// Writes the record into the run directory `dir`, atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::io::write_json(&Self::path(dir), self)
    }

    /// One line for pages and logs: the teacher and what the distillation cost.
    pub fn cost(&self) -> String {
        format!(
            "{} student (round {}) of {}: {} pairs × {} teacher evaluations = {} evaluations ({:.0} s), then {:.0} s of training; made for {} step(s)",
            self.method,
            self.round,
            self.teacher.display(),
            self.pairs,
            self.teacher_nfe_per_pair,
            self.teacher_evaluations,
            self.pair_seconds,
            self.train_seconds,
            self.intended_steps
        )
    }

    /// The record of the run in `dir`, or `None` for a run trained on data.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = Self::path(dir);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let record = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a distillation record", path.display()))?;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
