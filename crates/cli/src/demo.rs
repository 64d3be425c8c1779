//! `flowdiff demo`: trains diffusion, flow matching (and on moons the hybrid) on moons and
//! eight-gaussians, a reflow student and progressive students of each flow run, samples each with its standard samplers, evaluates against fresh data,
//! compares the methods at matched NFE, and writes the pictures, `summary.json` and an
//! `index.html` report; ends with the sentences the numbers support.

use anyhow::Result;
use flowdiff::data::DataSpec;
use flowdiff::data::toy::Toy;
use flowdiff::io::{Array2, write_array, write_json};
use flowdiff::method::Method;
use flowdiff::metrics::{REFERENCE_DRAWS, Report, evaluate, reference_draws};
use flowdiff::plot::{self, Panel};
use flowdiff::report::{compare, html};
use flowdiff::rng::SeededRng;
use flowdiff::sampling::{Sampler, SamplerKind, SamplerSpec};
use flowdiff::solver::SolverKind;
use flowdiff::train::{RunDir, TrainConfig, TrainOptions, train};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    dev: crate::device_arg::DeviceArg,
    /// Output directory.
    #[arg(long, default_value = "demo")]
    pub(crate) out: PathBuf,
    /// Training steps per model.
    #[arg(long, default_value_t = 5000)]
    pub(crate) steps: usize,
    /// Samples per evaluation.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// No progress bars.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Serialize)]
struct Row {
    data: String,
    method: String,
    sampler: String,
    nfe: usize,
    seconds: f64,
    metrics: Report,
}

#[derive(Serialize)]
struct Summary {
    seed: u64,
    n: usize,
    training: Vec<(String, String, usize, f64, f64)>,
    results: Vec<Row>,
    comparison: Vec<compare::Entry>,
    students: Vec<flowdiff::distill::Record>,
    sentences: Vec<String>,
}

/// The standard samplers of each method (issue figures: DDPM ancestral and DDIM-50 for
/// diffusion, plus DPM-Solver++ at 20 NFE; Dormand–Prince and midpoint at 20 NFE for flow).
fn samplers(method: &Method) -> Result<Vec<Sampler>> {
    let specs = match method {
        Method::Diffusion { .. } => vec![
            SamplerSpec::new(SamplerKind::Ddpm),
            SamplerSpec::new(SamplerKind::Ddim).with_nfe(50),
            SamplerSpec::new(SamplerKind::DpmSolverPp).with_nfe(20),
        ],
        Method::Flow { .. } => vec![
            SamplerSpec::ode(SolverKind::Dopri5),
            SamplerSpec::ode(SolverKind::Midpoint).with_nfe(20),
        ],
        Method::Hybrid { .. } => vec![SamplerSpec::ode(SolverKind::Midpoint).with_nfe(20)],
    };
    Ok(specs
        .iter()
        .map(|s| s.build(method))
        .collect::<Result<_, _>>()?)
}

pub fn run(a: Args) -> Result<()> {
    let timer = std::time::Instant::now();
    flowdiff::io::create_dir(&a.out)?;
    println!(
        "flowdiff demo: seed {}, {} steps per model, {} samples per evaluation, output in {}",
        a.seed,
        a.steps,
        a.n,
        a.out.display()
    );
    let device = a.dev.get()?;
    let mut summary = Summary {
        seed: a.seed,
        n: a.n,
        training: Vec::new(),
        results: Vec::new(),
        comparison: Vec::new(),
        students: Vec::new(),
        sentences: Vec::new(),
    };
    let mut losses = Vec::new();
    let mut body = String::new();
    // The page opens with the conclusions of each data set.
    let mut conclusions = String::new();
    for toy in [Toy::Moons, Toy::EightGaussians] {
        let mut rng = SeededRng::new(a.seed).fork(toy.name());
        let refs = reference_draws(|n| toy.sample(n, &mut rng), a.n, REFERENCE_DRAWS);
        let mut panels: Vec<(String, Vec<f32>)> =
            vec![(format!("{} (data)", toy.name()), refs[0].clone())];
        let methods = if toy == Toy::Moons {
            vec![Method::diffusion(), Method::flow(), Method::hybrid()]
        } else {
            vec![Method::diffusion(), Method::flow()]
        };
        let mut runs = Vec::new();
        for method in methods {
            let dir = a.out.join(format!("{}-{}", toy.name(), method.name()));
            let mut cfg = TrainConfig::points(DataSpec::Toy { name: toy }, method.clone(), 2);
            cfg.optim.seed = a.seed;
            cfg.optim.steps = a.steps;
            println!(
                "training {} on {} ({} steps) -> {}",
                method.name(),
                toy.name(),
                cfg.optim.steps,
                dir.display()
            );
            let out = train(
                &cfg,
                &cfg.data.open()?,
                &dir,
                TrainOptions {
                    device: device.clone(),
                    progress: !a.quiet,
                    ..Default::default()
                },
            )?
            .outcome;
            println!(
                "  {:.1}s, {:.0} steps/s, final loss {:.4}",
                out.seconds,
                out.steps_run as f64 / out.seconds,
                out.final_loss
            );
            summary.training.push((
                toy.name().into(),
                method.name().into(),
                out.steps,
                out.seconds,
                out.final_loss,
            ));
            let pts: Vec<(f64, f64)> = out.losses.iter().map(|r| (r.0 as f64 + 1.0, r.1)).collect();
            losses.push((
                format!("{} {}", toy.name(), method.name()),
                plot::smooth(&pts, 50),
            ));
            let (_, model) = RunDir(dir.clone()).load_model(&device)?;
            for (k, sampler) in samplers(&method)?.into_iter().enumerate() {
                let t = std::time::Instant::now();
                let sol = sampler.run(
                    &method,
                    &model,
                    a.n,
                    &mut SeededRng::new(a.seed).fork("sample"),
                    k == 0,
                )?;
                let seconds = t.elapsed().as_secs_f64();
                let x = flowdiff::device::to_vec(sol.x);
                let metrics = evaluate(&x, &refs, 2, 2000);
                println!(
                    "  {:<22} NFE {:>4}  {:>6.2}s  sliced W2 {:.4} ({:.2}x floor)",
                    sampler.label(),
                    sol.nfe,
                    seconds,
                    metrics.sliced_w2.value,
                    metrics.sliced_w2.ratio
                );
                write_array(
                    &dir.join(format!("samples-{}.npy", sampler.label())),
                    &Array2::new(x.clone(), a.n, 2),
                )?;
                if k == 0 {
                    let traj: Vec<(f64, Vec<f32>)> = sol
                        .trajectory
                        .into_iter()
                        .map(|(t, x)| (t, flowdiff::device::to_vec(x)))
                        .collect();
                    let name = format!("{}-{}-trajectories.png", toy.name(), method.name());
                    plot::trajectories(
                        &a.out.join(name),
                        &format!("{} on {}: noise to data", method.name(), toy.name()),
                        &thin(traj, 40),
                        80,
                        plot::bounds(&refs[0]),
                    )?;
                }
                panels.push((
                    format!("{} {} (NFE {})", method.name(), sampler.label(), sol.nfe),
                    x,
                ));
                summary.results.push(Row {
                    data: toy.name().into(),
                    method: method.name().into(),
                    sampler: sampler.label(),
                    nfe: sol.nfe,
                    seconds,
                    metrics,
                });
            }
            flowdiff::report::write_run_page(&dir, a.seed)?;
            runs.push(dir);
        }
        let student = super::demo_reflow::reflow_student(&a, toy, &device)?;
        summary.students.push(student.record.clone());
        runs.push(a.out.join(format!("{}-reflow", toy.name())));
        let progressive = super::demo_reflow::progressive_students(&a, toy, &device)?;
        summary.students.extend(progressive.records.iter().cloned());
        for steps in [2, 1] {
            runs.push(super::demo_reflow::progressive_round(&a.out, toy, steps));
        }
        let refs_panels: Vec<Panel> = panels
            .iter()
            .map(|(t, p)| Panel {
                title: t.clone(),
                points: p,
            })
            .collect();
        let name = format!("{}-comparison.png", toy.name());
        plot::scatter_panels(
            &a.out.join(&name),
            &format!("{}: diffusion beside flow matching", toy.name()),
            &refs_panels,
            4,
            plot::bounds(&refs[0]),
        )?;
        println!("comparing on {} at matched NFE", toy.name());
        let sub = a.out.join(format!("{}-compare", toy.name()));
        let (cmp_n, budgets) = (a.n.min(2000), [1, 2, 5, 10, 20, 50]);
        let (entries, cmp_body) = compare::compare(&runs, &sub, &budgets, cmp_n, a.seed)?;
        conclusions.push_str(&compare::conclusions(
            &entries,
            cmp_n,
            &budgets,
            &format!("On {}", toy.name()),
        ));
        // The section keeps the figures and the full table; its conclusions are at the top.
        let own = compare::conclusions(&entries, cmp_n, &budgets, "Conclusions");
        let cmp_body = cmp_body.strip_prefix(&own).unwrap_or(&cmp_body);
        let mut sentences: Vec<String> = compare::summarize(&entries, a.n.min(2000))
            .into_iter()
            .map(|s| format!("On {}: {s}", toy.name()))
            .collect();
        sentences.extend(super::demo_reflow::student_sentence(
            &entries,
            toy,
            &student.record,
        ));
        sentences.extend(super::demo_reflow::progressive_sentence(
            &entries,
            toy,
            &progressive,
        ));
        body.push_str(&format!("<h2>{}</h2>", toy.name()));
        body.push_str(&html::figure(
            &name,
            "samples of every method and sampler beside fresh data",
        ));
        body.push_str(&cmp_body.replace("src=\"", &format!("src=\"{}-compare/", toy.name())));
        let links: Vec<String> = runs
            .iter()
            .map(|r| {
                let n = r.file_name().unwrap().to_string_lossy().to_string();
                let at = r.strip_prefix(&a.out).unwrap_or(r).display().to_string();
                format!("<a href=\"{at}/index.html\">{n}</a>")
            })
            .collect();
        body.push_str(&format!("<p>Run pages: {}</p>", links.join(" · ")));
        summary.comparison.extend(entries);
        summary.sentences.extend(sentences);
    }
    forward_strip(&a.out, a.seed)?;
    plot::curves(
        &a.out.join("loss.png"),
        "training loss (moving average of 50 steps)",
        "step",
        "loss",
        &losses,
        false,
    )?;
    body.push_str("<h2>Training and the forward process</h2>");
    body.push_str(&html::figure("loss.png", "training loss"));
    body.push_str(&html::figure(
        "forward-noising.png",
        "the forward process on moons",
    ));
    // The conclusions per data set open the page; pictures and every sampler follow.
    let lead = format!("<h2>Conclusions</h2>{conclusions}");
    flowdiff::io::write_atomic(
        &a.out.join("index.html"),
        html::page(
            "flowdiff demo: diffusion and flow matching side by side",
            &(lead + &body),
        )
        .as_bytes(),
    )?;
    write_json(&a.out.join("summary.json"), &summary)?;
    print_table(&summary);
    println!("\nWhat the numbers say:");
    for s in &summary.sentences {
        println!("- {s}");
    }
    println!(
        "\ndone in {:.0}s. Open {} (pictures and summary.json beside it)",
        timer.elapsed().as_secs_f64(),
        a.out.join("index.html").display()
    );
    Ok(())
}

/// Keeps about `k` evenly spaced snapshots of a trajectory (always the first and last).
fn thin(traj: Vec<(f64, Vec<f32>)>, k: usize) -> Vec<(f64, Vec<f32>)> {
    let n = traj.len();
    if n <= k {
        return traj;
    }
    traj.into_iter()
        .enumerate()
        .filter(|(i, _)| i % n.div_ceil(k) == 0 || *i == n - 1)
        .map(|(_, s)| s)
        .collect()
}

/// The forward-noising strip on moons (Ho et al. eq. 4, one noise draw, several steps).
fn forward_strip(out: &Path, seed: u64) -> Result<()> {
    let schedule =
        flowdiff::schedule::NoiseSchedule::new(flowdiff::schedule::ScheduleKind::Linear, 1000);
    Ok(super::forward::draw(
        &flowdiff::data::PointSource::Toy(Toy::Moons),
        &schedule,
        &[0, 50, 150, 300, 600, 999],
        seed,
        &out.join("forward-noising.png"),
    )?)
}

fn print_table(s: &Summary) {
    println!(
        "\n{:<16} {:<10} {:<22} {:>5} {:>8} {:>10} {:>7}",
        "data", "method", "sampler", "NFE", "seconds", "sliced W2", "ratio"
    );
    for r in &s.results {
        println!(
            "{:<16} {:<10} {:<22} {:>5} {:>8.2} {:>10.4} {:>6.2}x",
            r.data,
            r.method,
            r.sampler,
            r.nfe,
            r.seconds,
            r.metrics.sliced_w2.value,
            r.metrics.sliced_w2.ratio
        );
    }
}
