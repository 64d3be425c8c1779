//! `flowdiff bench --workload W --profile`: where one iteration's time goes, by kind of fused
//! op and pass ([`crate::nn::profile`]), each with the GFLOP/s it achieved, the rest of the
//! step (burn's own ops, autodiff bookkeeping, the optimizer, allocation) as one row, and the
//! step's achieved GFLOP/s beside the machine's measured peak: a large GEMM through the same
//! kernels on the same threads.

use crate::nn::profile::{Pass, Row};
use serde::Serialize;
use std::time::Instant;

/// One iteration's time, split.
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    /// The CPU's model name, beside every speed figure.
    pub cpu: String,
    /// Wall time of one iteration (a train step or a forward pass).
    pub step_seconds: f64,
    pub rows: Vec<Share>,
    /// What the fused ops do not account for.
    pub rest_seconds: f64,
    /// Counted floating-point operations of the step over its wall time.
    pub step_gflops: f64,
    /// GFLOP/s of a 1024³ GEMM on the same threads (best of 3).
    pub peak_gflops: f64,
}

/// One kind of op in one pass, per iteration.
#[derive(Clone, Debug, Serialize)]
pub struct Share {
    pub kind: String,
    pub pass: Pass,
    pub calls: f64,
    pub seconds: f64,
    /// The op's own rate while it ran; `None` where it does not count its operations.
    pub gflops: Option<f64>,
}

impl Profile {
    /// The profile of `iters` iterations taking `step_seconds` each, from the gathered
    /// `rows`; measures the peak (call on the thread pool the workload ran on).
    pub fn new(rows: Vec<Row>, step_seconds: f64, iters: usize) -> Self {
        let per = 1.0 / iters.max(1) as f64;
        let rows: Vec<Share> = rows
            .into_iter()
            .map(|r| Share {
                kind: r.kind.to_string(),
                pass: r.pass,
                calls: r.totals.calls as f64 * per,
                seconds: r.totals.seconds * per,
                gflops: (r.totals.flops > 0.0 && r.totals.seconds > 0.0)
                    .then(|| r.totals.flops / r.totals.seconds / 1e9),
            })
            .collect();
        let fused: f64 = rows.iter().map(|r| r.seconds).sum();
        let flops: f64 = rows
            .iter()
            .filter_map(|r| r.gflops.map(|g| g * 1e9 * r.seconds))
            .sum();
        Self {
            cpu: flowdiff_kernels::tune::cpu_name(),
            step_seconds,
            rest_seconds: (step_seconds - fused).max(0.0),
            step_gflops: flops / step_seconds / 1e9,
            peak_gflops: gemm_peak_gflops(),
            rows,
        }
    }

    /// The step's achieved fraction of the measured peak.
    pub fn fraction_of_peak(&self) -> f64 {
        self.step_gflops / self.peak_gflops
    }

    /// A Markdown table: each row's time per iteration, share of the step and GFLOP/s, the
    /// rest, and the step against the peak.
    pub fn table(&self) -> String {
        let share = |s: f64| 100.0 * s / self.step_seconds;
        let mut out = String::from(
            "| op | pass | calls | ms | share | GFLOP/s |\n|---|---|---|---|---|---|\n",
        );
        let mut rows = self.rows.clone();
        rows.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        for r in &rows {
            out.push_str(&format!(
                "| {} | {} | {:.0} | {:.2} | {:.1}% | {} |\n",
                r.kind,
                match r.pass {
                    Pass::Forward => "forward",
                    Pass::Backward => "backward",
                },
                r.calls,
                1e3 * r.seconds,
                share(r.seconds),
                r.gflops.map_or("—".into(), |g| format!("{g:.1}")),
            ));
        }
        out.push_str(&format!(
            "| rest (burn ops, autodiff, optimizer, allocation) | | | {:.2} | {:.1}% | — |\n",
            1e3 * self.rest_seconds,
            share(self.rest_seconds)
        ));
        out.push_str(&format!(
            "| **step** | | | {:.2} | 100% | {:.1} of a {:.1} GFLOP/s GEMM peak: **{:.1}%** |\n",
            1e3 * self.step_seconds,
            self.step_gflops,
            self.peak_gflops,
            100.0 * self.fraction_of_peak()
        ));
        out
    }
}

/// GFLOP/s of a `1024 × 1024 × 1024` product through flowdiff's GEMM on the current thread
/// pool, the best of three after a warm-up: the rate the machine reaches on the work that
/// dominates a network's step.
pub fn gemm_peak_gflops() -> f64 {
    use flowdiff_kernels::matmul::{Mat, product};
    const N: usize = 1024;
    let a: Vec<f32> = (0..N * N).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..N * N).map(|i| (i % 5) as f32 * 0.1).collect();
    let once = || {
        let start = Instant::now();
        let c = product([N, N, N], Mat::rows(&a, N), Mat::rows(&b, N), true);
        std::hint::black_box(c);
        start.elapsed().as_secs_f64()
    };
    once();
    let best = (0..3).map(|_| once()).fold(f64::INFINITY, f64::min);
    2.0 * (N * N * N) as f64 / best / 1e9
}
