//! The report in a real browser: headless Chromium loads the comparison page from disk; every
//! image must load and the screenshot must show something. Skipped (with a message) where
//! Chromium is absent, except under CI=true, where .ci/run installs it.

use flowdiff::data::DataSpec;
use flowdiff::data::toy::Toy;
use flowdiff::method::Method;
use flowdiff::train::{TrainConfig, TrainOptions, train};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output() {
            if out.status.success() {
                return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
            }
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("Chromium is required under CI=true (.ci/run installs the Debian package chromium)");
    }
    eprintln!("skipping the browser test: no chromium on PATH (apt-get install chromium)");
    None
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--virtual-time-budget=10000")
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn tiny_run(dir: &Path, method: Method) -> PathBuf {
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, method.clone(), 2);
    cfg.optim.steps = 150;
    cfg.batch_size = 128;
    let mlp = cfg.mlp_mut().unwrap();
    mlp.width = 32;
    mlp.depth = 2;
    let run = dir.join(method.name());
    train(
        &cfg,
        &cfg.data.open().unwrap(),
        &run,
        TrainOptions::default(),
    )
    .unwrap();
    run
}

#[test]
fn the_comparison_page_renders_with_every_image_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let runs = vec![
        tiny_run(dir.path(), Method::diffusion()),
        tiny_run(dir.path(), Method::flow()),
        tiny_run(dir.path(), Method::hybrid()),
    ];
    let out = dir.path().join("report");
    let (entries, body) = flowdiff::report::compare::compare(&runs, &out, &[4, 8], 400, 0).unwrap();
    assert!(entries.iter().any(|e| e.method == "hybrid") && entries.len() >= 12);
    let page = out.join("index.html");
    flowdiff::io::write_atomic(
        &page,
        flowdiff::report::html::page("test report", &body).as_bytes(),
    )
    .unwrap();
    // Every image the page references exists beside it.
    let html = std::fs::read_to_string(&page).unwrap();
    let images = html.matches("<img ").count();
    assert!(images >= 2, "the page shows only {images} images");
    for src in html
        .split("src=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
    {
        assert!(out.join(src).exists(), "{src} missing");
    }
    let Some(browser) = chromium() else { return };
    let dom = headless(
        &browser,
        &dir.path().join("profile"),
        &["--dump-dom"],
        &page,
    );
    assert!(
        dom.contains(&format!("<title>images-ok {images}</title>")),
        "page title after load: {:?}",
        dom.split("<title>")
            .nth(1)
            .map(|s| &s[..s.find('<').unwrap_or(0)])
    );
    let shot = dir.path().join("shot.png");
    headless(
        &browser,
        &dir.path().join("profile2"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1400",
        ],
        &page,
    );
    let img = image::open(&shot).expect("a screenshot").to_rgb8();
    let dark = img
        .pixels()
        .filter(|p| p[0] < 128 && p[1] < 128 && p[2] < 128)
        .count();
    let colourful = img.pixels().filter(|p| p[0].abs_diff(p[2]) > 60).count();
    assert!(
        dark > 500 && colourful > 500,
        "blank-looking screenshot: {dark} dark, {colourful} coloured pixels"
    );
}
