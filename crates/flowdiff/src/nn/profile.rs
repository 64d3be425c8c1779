//! Where a step's time goes: opt-in totals of wall time, calls and floating-point operations
//! per kind of fused op ([`super::flex_op::FlexOp::kind`]) and pass (forward or backward),
//! gathered by [`super::flex_op`] while [`enable`]d. `flowdiff bench --workload W --profile`
//! reads them; whatever the step spends outside the fused ops (burn's own element-wise ops,
//! autodiff bookkeeping, the optimizer, allocation) is the step's time minus their sum.
//!
//! Per thread (the thread that runs the step, where burn calls the ops and runs the backward
//! pass), so that what other threads run is not mixed in; off by default, at the cost of one
//! thread-local read per op call.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static TOTALS: RefCell<BTreeMap<(&'static str, Pass), Totals>> =
        const { RefCell::new(BTreeMap::new()) };
}

/// Which half of a training step an op call belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pass {
    Forward,
    Backward,
}

/// What the op calls of one kind and pass added up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Totals {
    pub calls: u64,
    pub seconds: f64,
    /// Floating-point operations (multiply and add counted apart); 0 where the op does not
    /// count them.
    pub flops: f64,
}

/// One row of a profile.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub pass: Pass,
    #[serde(flatten)]
    pub totals: Totals,
}

/// Starts (clearing earlier totals) or stops gathering on this thread.
pub fn enable(on: bool) {
    if on {
        TOTALS.with_borrow_mut(BTreeMap::clear);
    }
    ON.set(on);
}

/// The totals this thread gathered since [`enable`], by kind then pass.
pub fn rows() -> Vec<Row> {
    TOTALS.with_borrow(|totals| {
        totals
            .iter()
            .map(|(&(kind, pass), &totals)| Row { kind, pass, totals })
            .collect()
    })
}

/// Runs `f`, adding its wall time and `flops` to `(kind, pass)` while gathering is on.
pub(crate) fn time<R>(kind: &'static str, pass: Pass, flops: f64, f: impl FnOnce() -> R) -> R {
    if !ON.get() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let took = start.elapsed().as_secs_f64();
    TOTALS.with_borrow_mut(|totals| {
        let t = totals.entry((kind, pass)).or_default();
        t.calls += 1;
        t.seconds += took;
        t.flops += flops;
    });
    out
}
