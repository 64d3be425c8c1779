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
//! **Progressive distillation** (Salimans & Ho 2022, Algorithm 2) halves the sampling steps
//! per round: a student learns one Euler step for two of its teacher's, starting from the
//! teacher's weights when the teacher is a velocity field ([`crate::flow::progressive`]);
//! rounds repeat until the steps wanted. It applies to the same teachers as reflow (any ODE
//! sampler), needs no pairs, and keeps the teacher's path; reflow straightens the paths
//! instead, which one Euler step then follows.
//!
//! A student is an ordinary run (points, or images for progressive distillation: `config.json`, weights, checkpoints): `sample`,
//! `bench`, `compare`, the report and `train --resume` accept it. `distill.json` beside its
//! config records the teacher, the round, the pairs and their cost ([`Record`]).

pub mod progressive;
pub mod reflow;

use crate::error::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a student run records about how it was made (`distill.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `reflow` or `progressive`.
    pub method: String,
    /// The teacher's run directory.
    pub teacher: PathBuf,
    /// 1 for a teacher trained on data, the teacher's round + 1 for a student of a student.
    pub round: usize,
    /// Reflow: the noise–data pairs the student trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<PairsUsed>,
    /// Progressive: the teacher's Euler steps, two of which make one of the student's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_steps: Option<usize>,
    /// Progressive, class-conditional teacher: the guidance weight of the distilled field
    /// (the student samples with guidance 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<f64>,
    /// Teacher network evaluations in all (pairs × NFE per pair for reflow; two per training
    /// row for progressive distillation).
    pub teacher_evaluations: u64,
    /// Wall-clock seconds of the student's training (0 until it has trained; for progressive
    /// distillation it includes the teacher's evaluations).
    #[serde(default)]
    pub train_seconds: f64,
    /// The number of sampling steps the student is made for.
    pub intended_steps: usize,
}

/// The pairs of a reflow student.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairsUsed {
    /// The pairs file (cached in the teacher's run, reused by later students).
    pub file: PathBuf,
    pub rows: usize,
    /// How the teacher's ODE was solved for the pairs.
    pub solver: String,
    /// Teacher network evaluations per pair.
    pub nfe_per_pair: usize,
    /// Wall-clock seconds the pairs took when they were made.
    pub seconds: f64,
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
        let made = match (&self.pairs, self.teacher_steps) {
            (Some(p), _) => format!(
                "{} pairs × {} teacher evaluations = {} evaluations ({:.0} s), then {:.0} s of training",
                p.rows, p.nfe_per_pair, self.teacher_evaluations, p.seconds, self.train_seconds
            ),
            (None, Some(n)) => format!(
                "two of the teacher's {n} Euler steps per step{}, {} teacher evaluations in {:.0} s of training",
                self.guidance
                    .map_or(String::new(), |w| format!(" (guidance {w})")),
                self.teacher_evaluations,
                self.train_seconds
            ),
            (None, None) => format!(
                "{} teacher evaluations, {:.0} s of training",
                self.teacher_evaluations, self.train_seconds
            ),
        };
        format!(
            "{} student (round {}) of {}: {made}; made for {} step(s)",
            self.method,
            self.round,
            self.teacher.display(),
            self.intended_steps
        )
    }

    /// The run this chain of students started from — the teacher of its first round (each
    /// round's record names the previous round's student) — and the guidance that first
    /// round distilled (`None`: none).
    pub fn origin(&self) -> Result<(PathBuf, Option<f64>)> {
        let mut first = self.clone();
        // Rounds are few; the bound only stops a record that names itself.
        for _ in 0..64 {
            match Self::load(&first.teacher)? {
                Some(r) => first = r,
                None => return Ok((first.teacher, first.guidance)),
            }
        }
        Err(crate::error::Error::invalid(
            "teacher",
            format!(
                "{}: its chain of teachers does not end in a trained run",
                self.teacher.display()
            ),
        ))
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
mod progressive_tests;
#[cfg(test)]
mod tests;
