//! `flowdiff report` and `flowdiff compare`.

use anyhow::{Result, bail};
use flowdiff::report::{compare::compare, html, run_section};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Run directories.
    runs: Vec<PathBuf>,
    /// Output directory for index.html and its pictures.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Run directories trained on the same 2-D data.
    runs: Vec<PathBuf>,
    #[arg(long)]
    out: PathBuf,
    /// NFE budgets, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "5,10,20,50")]
    nfe: Vec<usize>,
    /// Points per sample.
    #[arg(long, default_value_t = 5000)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn name(run: &std::path::Path) -> String {
    run.file_name().map_or_else(
        || run.display().to_string(),
        |s| s.to_string_lossy().to_string(),
    )
}

/// Appends a section per run (pictures drawn into `out`) and writes `out/index.html`.
fn write_page(
    runs: &[PathBuf],
    out: &std::path::Path,
    seed: u64,
    title: &str,
    mut body: String,
) -> Result<()> {
    for run in runs {
        body.push_str(&format!("<h2>{}</h2>", html::esc(&name(run))));
        body.push_str(&run_section(run, out, &format!("{}-", name(run)), seed)?);
    }
    let path = out.join("index.html");
    flowdiff::io::write_atomic(&path, html::page(title, &body).as_bytes())?;
    println!("wrote {}", path.display());
    Ok(())
}

pub fn report(a: ReportArgs) -> Result<()> {
    if a.runs.is_empty() {
        bail!("give at least one run directory");
    }
    write_page(&a.runs, &a.out, a.seed, "flowdiff report", String::new())
}

pub fn compare_cmd(a: CompareArgs) -> Result<()> {
    if a.runs.len() < 2 {
        bail!("compare needs at least two run directories");
    }
    let (entries, body) = compare(&a.runs, &a.out, &a.nfe, a.n, a.seed)?;
    write_page(&a.runs, &a.out, a.seed, "flowdiff: side by side", body)?;
    flowdiff::io::write_json(&a.out.join("compare.json"), &entries)?;
    for s in flowdiff::report::compare::summarize(&entries, a.n) {
        println!("{s}");
    }
    Ok(())
}
