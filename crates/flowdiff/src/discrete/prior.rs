//! The prior `p0` of a mixture path, per component type (nodes, edges).

use serde::{Deserialize, Serialize};

/// Which prior the path starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PriorKind {
    /// The data's class frequencies (DiGress's marginal transitions, Vignac et al. 2023 §4.1).
    Marginal,
    /// Uniform over the classes (Austin et al. 2021; Campbell et al. 2024 "uniform").
    Uniform,
    /// An extra absorbing mask state (Austin et al. 2021 "absorbing"; Gat et al. 2024).
    Mask,
}

crate::names::from_str_by_name!(PriorKind, "prior");

/// A prior over the states of one component type. `probs` has one entry per *state*: the
/// `classes` data classes, plus the mask state (last) for [`PriorKind::Mask`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub kind: PriorKind,
    pub classes: usize,
    pub probs: Vec<f64>,
}

impl Prior {
    /// The prior of `kind` for data with class frequencies `marginals` (summing to 1).
    pub fn new(kind: PriorKind, marginals: &[f64]) -> Self {
        let classes = marginals.len();
        let probs = match kind {
            PriorKind::Marginal => {
                let total: f64 = marginals.iter().sum();
                marginals.iter().map(|p| p / total).collect()
            }
            PriorKind::Uniform => vec![1.0 / classes as f64; classes],
            PriorKind::Mask => {
                let mut p = vec![0.0; classes + 1];
                p[classes] = 1.0;
                p
            }
        };
        Self {
            kind,
            classes,
            probs,
        }
    }

    /// Number of states (classes, plus one for the mask).
    pub fn states(&self) -> usize {
        self.probs.len()
    }

    /// A draw from the prior, given a uniform number `u ∈ [0, 1)`.
    pub fn draw(&self, u: f64) -> usize {
        sample_index(&self.probs, u)
    }
}

/// Index `i` with `P(i) ∝ weights[i]`, by inverting the CDF at `u ∈ [0, 1)`.
pub fn sample_index(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let target = u * total;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if target < acc {
            return i;
        }
    }
    // Rounding: the last state with positive weight.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}
