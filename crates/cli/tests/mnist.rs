//! MNIST end to end on the real shared digits: training reduces the loss, resume reproduces
//! the next losses exactly, sampling writes images, and the download path works against a
//! local HTTP server.

use flowdiff::data::DataSpec;
use flowdiff::method::Method;
use flowdiff::models::{NetworkConfig, UNetConfig};
use flowdiff::train::{TrainConfig, TrainOptions, train};
use flowdiff_testdata::shared_data_dir;
mod common;

use common::{flowdiff, p, serve, train_tiny_conditional_flow};
use std::path::PathBuf;

fn tiny(method: Method, dir: PathBuf, conditional: bool) -> TrainConfig {
    let mut cfg = TrainConfig::images(DataSpec::Mnist { dir }, method, conditional);
    cfg.model = NetworkConfig::UNet(UNetConfig {
        base: 8,
        groups: 4,
        ..UNetConfig::mnist(conditional.then_some(10))
    });
    cfg.batch_size = 16;
    cfg.optim.steps = 40;
    cfg.optim.warmup_steps = 5;
    cfg.optim.lr = 2e-3;
    cfg.sample_every = 0;
    cfg.optim.checkpoint_every = 1000;
    cfg
}

fn mean(rows: &[(usize, f64, f64)]) -> f64 {
    rows.iter().map(|r| r.1).sum::<f64>() / rows.len() as f64
}

#[test]
fn a_few_steps_on_real_digits_reduce_the_loss_and_resume_is_exact() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let mnist = data.join("mnist");
    for method in [Method::flow(), Method::diffusion()] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = tiny(method.clone(), mnist.clone(), true);
        let out = train(
            &cfg,
            &cfg.data.open().unwrap(),
            dir.path(),
            TrainOptions::default(),
        )
        .unwrap();
        let (first, last) = (
            mean(&out.outcome.losses[..8]),
            mean(&out.outcome.losses[32..]),
        );
        assert!(
            last < 0.85 * first,
            "{}: loss {first:.3} -> {last:.3}",
            method.name()
        );
    }
    let mut cfg = tiny(Method::flow(), mnist, true);
    cfg.optim.steps = 8;
    let src = cfg.data.open().unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let full = train(&cfg, &src, a.path(), TrainOptions::default()).unwrap();
    train(
        &cfg,
        &src,
        b.path(),
        TrainOptions {
            stop_after: Some(5),
            ..Default::default()
        },
    )
    .unwrap();
    let resumed = train(
        &cfg,
        &src,
        b.path(),
        TrainOptions {
            resume: true,
            ..Default::default()
        },
    )
    .unwrap();
    for (x, y) in full
        .outcome
        .losses
        .iter()
        .zip(&resumed.outcome.losses)
        .skip(5)
    {
        assert!(
            (x.1 - y.1).abs() <= 1e-5 * x.1.abs(),
            "step {}: {} vs {}",
            x.0,
            x.1,
            y.1
        );
    }
}

#[test]
fn cli_trains_samples_images_and_draws_strips() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let mnist = data.join("mnist");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let out = train_tiny_conditional_flow(&mnist, &run);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        run.join("samples/step-000002.png").exists(),
        "periodic sample grid"
    );
    let npy = dir.path().join("s.npy");
    let out = flowdiff(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "4",
        "--nfe",
        "2",
        "--label",
        "3",
        "--guidance",
        "1.5",
        "--out",
        p(&npy),
        "--trajectory",
        p(&dir.path().join("traj.png")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let arr = flowdiff::io::read_array(&npy).unwrap();
    assert_eq!((arr.rows, arr.cols), (4, 784));
    assert!(arr.values.iter().all(|v| (0.0..=1.0).contains(v)));
    let out = flowdiff(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "20",
        "--nfe",
        "2",
        "--per-class",
        "--out",
        p(&dir.path().join("grid.png")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = flowdiff(&[
        "sample",
        "--run",
        p(&run),
        "--n",
        "2",
        "--label",
        "12",
        "--out",
        p(&npy),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("classes 0..9"));
    let out = flowdiff(&[
        "nll",
        "--run",
        p(&run),
        "--samples",
        p(&npy),
        "--rtol",
        "1e-3",
        "--atol",
        "1e-3",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("bits/dim on [0, 256)")
            && text.contains("Hutchinson"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A two-headed hybrid U-Net trains and draws its preview grid.
    let hybrid = dir.path().join("hybrid");
    let out = flowdiff(&[
        "train",
        "--data",
        "mnist",
        "--data-dir",
        p(&mnist),
        "--method",
        "hybrid",
        "--steps",
        "1",
        "--batch-size",
        "4",
        "--out",
        p(&hybrid),
        "--quiet",
    ]);
    assert!(
        out.status.success() && hybrid.join("samples/step-000001.png").exists(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = flowdiff(&[
        "forward",
        "--data",
        "mnist",
        "--data-dir",
        p(&mnist),
        "--out",
        p(&dir.path().join("fwd.png")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["traj.png", "grid.png", "fwd.png"] {
        assert!(
            std::fs::read(dir.path().join(f))
                .unwrap()
                .starts_with(b"\x89PNG"),
            "{f}"
        );
    }
}

#[test]
fn download_fetches_and_checks_the_files_from_a_local_server() {
    let Some(data) = shared_data_dir() else {
        return;
    };
    let (url, server) = serve(data.join("mnist"), 4);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("mnist");
    let out = flowdiff(&[
        "data",
        "--name",
        "mnist",
        "--download",
        p(&dest),
        "--url",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.join().unwrap();
    let set = flowdiff::data::images::ImageSet::mnist(&dest, true).unwrap();
    assert_eq!(set.labels.len(), 7000);
    // No server at all: the error says where to put the files.
    let out = flowdiff(&[
        "data",
        "--name",
        "mnist",
        "--download",
        p(&dir.path().join("none")),
        "--url",
        "http://127.0.0.1:9/",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("copy the four MNIST files"),
        "{err}"
    );
}
