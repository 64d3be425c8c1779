//! The demo's reflow students: one round of reflow from each data set's flow run, compared
//! with the other runs at 1 and 2 NFE, and the sentence its numbers support.

use anyhow::Result;
use flowdiff::data::toy::Toy;
use flowdiff::distill::reflow::{PairSpec, Student, distill};
use flowdiff::report::compare::Entry;
use flowdiff::solver::{SolveOptions, SolverKind};
use flowdiff::train::TrainOptions;

/// Pairs drawn from each teacher.
const PAIRS: usize = 10_000;

/// A reflow student of `TOY-flow` in `TOY-reflow`, trained for at most 4,000 steps.
pub fn reflow_student(
    a: &super::demo::Args,
    toy: Toy,
    device: &flowdiff::Device,
) -> Result<Student> {
    let teacher = a.out.join(format!("{}-flow", toy.name()));
    let out = a.out.join(format!("{}-reflow", toy.name()));
    let spec = PairSpec {
        n: PAIRS,
        seed: a.seed,
        solve: SolveOptions::adaptive(SolverKind::Dopri5, 1e-5, 1e-5),
    };
    let steps = a.steps.min(4000);
    println!(
        "reflow of {} ({PAIRS} pairs by {}, {steps} steps) -> {}",
        teacher.display(),
        spec.solver_label(),
        out.display()
    );
    let opts = TrainOptions {
        device: device.clone(),
        progress: !a.quiet,
        ..Default::default()
    };
    let student = distill(&teacher, &spec, steps, &out, opts, &mut |_, _| {})?;
    println!("  {}", student.record.cost());
    flowdiff::report::write_run_page(&out, a.seed)?;
    Ok(student)
}

/// "On moons: the reflow student … reached R1 in 1 NFE and R2 in 2 (its teacher: R20 at 20
/// NFE); making it took …", from the comparison's entries.
pub fn student_sentence(
    entries: &[Entry],
    toy: Toy,
    record: &flowdiff::distill::Record,
) -> Option<String> {
    let best = |run: &str, nfe: usize| {
        entries
            .iter()
            .filter(|e| e.run == run && e.nfe == nfe)
            .min_by(|a, b| a.ratio.total_cmp(&b.ratio))
    };
    let (student, teacher) = (
        format!("{}-reflow", toy.name()),
        format!("{}-flow", toy.name()),
    );
    let pairs = record.pairs.as_ref()?;
    let one = best(&student, 1)?;
    let two = best(&student, 2)?;
    let t20 = best(&teacher, 20)?;
    Some(format!(
        "On {}: the reflow student of {teacher} came to {:.2}x the noise floor in 1 NFE ({}) and {:.2}x in 2 ({}); its teacher, {:.2}x at 20 NFE ({}). Making it took {} pairs x {} teacher evaluations ({:.0} s) and {:.0} s of training.",
        toy.name(),
        one.ratio,
        one.sampler,
        two.ratio,
        two.sampler,
        t20.ratio,
        t20.sampler,
        pairs.rows,
        pairs.nfe_per_pair,
        pairs.seconds,
        record.train_seconds
    ))
}
