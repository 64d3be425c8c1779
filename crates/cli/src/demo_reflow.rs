//! The demo's students: one round of reflow and the rounds of progressive distillation
//! (128 → 1 Euler steps) from each data set's flow run, compared with the other runs at 1 and
//! 2 NFE, and the sentences their numbers support.

use anyhow::Result;
use flowdiff::data::toy::Toy;
use flowdiff::distill::progressive::{self, Rounds, Students};
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

/// The first teacher's Euler steps for progressive distillation (halved down to 1).
const TEACHER_STEPS: usize = 128;

/// Progressive students of `TOY-flow`: `TOY-progressive` (1 step) with its earlier rounds in
/// `TOY-progressive/rounds/`, each round trained for at most 2,000 steps.
pub fn progressive_students(
    a: &super::demo::Args,
    toy: Toy,
    device: &flowdiff::Device,
) -> Result<Students> {
    let teacher = a.out.join(format!("{}-flow", toy.name()));
    let out = a.out.join(format!("{}-progressive", toy.name()));
    let spec = Rounds {
        teacher_steps: TEACHER_STEPS,
        student_steps: 1,
        train_steps: a.steps.min(2000),
        minutes: None,
        guidance: 0.0,
        seed: a.seed,
    };
    println!(
        "progressive distillation of {} ({TEACHER_STEPS} Euler steps -> 1, {} steps per round) -> {}",
        teacher.display(),
        spec.train_steps,
        out.display()
    );
    let opts = TrainOptions {
        device: device.clone(),
        progress: !a.quiet,
        ..Default::default()
    };
    let students = progressive::distill(&teacher, &spec, &out, opts, &mut |_, _, _, _| {})?;
    for run in &students.runs {
        flowdiff::report::write_run_page(run, a.seed)?;
    }
    let seconds: f64 = students.records.iter().map(|r| r.train_seconds).sum();
    println!(
        "  {} rounds, {:.0} s in all; {}",
        students.runs.len(),
        seconds,
        students.records.last().map_or(String::new(), |r| r.cost())
    );
    Ok(students)
}

/// The run of the progressive round made for `steps` steps.
pub fn progressive_round(out: &std::path::Path, toy: Toy, steps: usize) -> std::path::PathBuf {
    let last = out.join(format!("{}-progressive", toy.name()));
    if steps == 1 {
        return last;
    }
    last.join("rounds")
        .join(progressive::round_name(&last, steps))
}

/// "On moons: progressive distillation of moons-flow (128 Euler steps) gave R1 in 1 NFE …".
pub fn progressive_sentence(entries: &[Entry], toy: Toy, students: &Students) -> Option<String> {
    let euler = |run: &str, nfe: usize| {
        entries
            .iter()
            .find(|e| e.run == run && e.nfe == nfe && e.sampler.starts_with("ode-euler"))
    };
    let last = progressive_round(std::path::Path::new(""), toy, 1);
    let two = progressive_round(std::path::Path::new(""), toy, 2);
    let name = |p: &std::path::Path| p.file_name().map(|s| s.to_string_lossy().to_string());
    let one = euler(&name(&last)?, 1)?;
    let two = euler(&name(&two)?, 2)?;
    let teacher = format!("{}-flow", toy.name());
    let best20 = entries
        .iter()
        .filter(|e| e.run == teacher && e.nfe == 20)
        .min_by(|a, b| a.ratio.total_cmp(&b.ratio))?;
    let evaluations: u64 = students.records.iter().map(|r| r.teacher_evaluations).sum();
    let seconds: f64 = students.records.iter().map(|r| r.train_seconds).sum();
    Some(format!(
        "On {}: progressive distillation of {teacher} ({TEACHER_STEPS} Euler steps, halved in {} rounds) came to {:.2}x the noise floor in 1 NFE and {:.2}x in 2 (the 2-step round); its teacher, {:.2}x at 20 NFE ({}). It took {evaluations} teacher evaluations within {seconds:.0} s of training.",
        toy.name(),
        students.records.len(),
        one.ratio,
        two.ratio,
        best20.ratio,
        best20.sampler,
    ))
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
