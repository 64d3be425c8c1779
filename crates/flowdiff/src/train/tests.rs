//! Training: the loss falls, NaN stops the run, and resume continues exactly.

use super::*;
use crate::data::DataSpec;
use crate::data::toy::Toy;
use crate::method::Method;

fn tiny(method: Method, steps: usize) -> TrainConfig {
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, method, 2);
    cfg.optim.steps = steps;
    cfg.batch_size = 128;
    let mlp = cfg.mlp_mut().unwrap();
    mlp.width = 64;
    mlp.depth = 2;
    cfg.optim.warmup_steps = 10;
    cfg.optim.checkpoint_every = 1000;
    cfg.optim.seed = 11;
    cfg
}

fn mean(rows: &[(usize, f64, f64)]) -> f64 {
    rows.iter().map(|r| r.1).sum::<f64>() / rows.len() as f64
}

#[test]
fn a_few_hundred_steps_reduce_the_loss_for_both_methods() {
    for method in [Method::diffusion(), Method::flow()] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = tiny(method.clone(), 300);
        let out = train(
            &cfg,
            &cfg.data.open().unwrap(),
            dir.path(),
            TrainOptions::default(),
        )
        .unwrap();
        let (first, last) = (
            mean(&out.outcome.losses[..30]),
            mean(&out.outcome.losses[270..]),
        );
        assert!(
            last < 0.8 * first,
            "{}: loss {first:.3} -> {last:.3}",
            method.name()
        );
        for f in [
            "config.json",
            "loss.csv",
            "model.safetensors",
            "checkpoint/state.json",
            "checkpoint/optimizer.bpk",
        ] {
            assert!(dir.path().join(f).exists(), "{f} missing");
        }
    }
}

#[test]
fn resume_continues_exactly_where_training_stopped() {
    let cfg = tiny(Method::flow(), 40);
    let src = cfg.data.open().unwrap();
    let straight = tempfile::tempdir().unwrap();
    let full = train(&cfg, &src, straight.path(), TrainOptions::default()).unwrap();
    let split = tempfile::tempdir().unwrap();
    train(
        &cfg,
        &src,
        split.path(),
        TrainOptions {
            stop_after: Some(25),
            ..Default::default()
        },
    )
    .unwrap();
    let resumed = train(
        &cfg,
        &src,
        split.path(),
        TrainOptions {
            resume: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(resumed.outcome.losses.len(), 40);
    for (a, b) in full
        .outcome
        .losses
        .iter()
        .zip(&resumed.outcome.losses)
        .skip(25)
    {
        assert!(
            (a.1 - b.1).abs() <= 1e-5 * a.1.abs(),
            "step {}: {} vs {}",
            a.0,
            a.1,
            b.1
        );
    }
}

#[test]
fn nan_in_training_stops_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = tiny(Method::diffusion(), 50);
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "1e30,1e30\n-1e30,2e30\n").unwrap();
    cfg.data = DataSpec::File { path };
    let err = train(
        &cfg,
        &cfg.data.open().unwrap(),
        &dir.path().join("run"),
        TrainOptions::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("diverged") && msg.contains("step 0"), "{msg}");
}

/// The schedule is flattened into `config.json`: its settings stay top-level keys, so run
/// directories written before it was one struct still load.
#[test]
fn schedule_settings_stay_top_level_in_config_json() {
    let cfg = tiny(Method::flow(), 7);
    let v = serde_json::to_value(&cfg).unwrap();
    for key in [
        "steps",
        "lr",
        "warmup_steps",
        "min_lr_ratio",
        "weight_decay",
        "grad_clip",
        "ema_decay",
        "seed",
        "checkpoint_every",
        "batch_size",
    ] {
        assert!(v.get(key).is_some(), "{key} missing from {v}");
    }
    assert!(v.get("schedule").is_none());
    assert_eq!(v["steps"], 7);
    let back: TrainConfig = serde_json::from_value(v).unwrap();
    assert_eq!(back, cfg);
}

/// The learning rates a run used after its warm-up, in order.
fn decay_rates(out: &Outcome, warmup: usize) -> Vec<f64> {
    out.losses.iter().skip(warmup).map(|r| r.2).collect()
}

#[test]
fn a_time_budget_completes_the_schedule_whatever_the_step_count() {
    // A 1.2-second budget and a step cap far beyond reach: the run ends on the clock with the
    // cosine decay at its floor (a step-counted decay would still be at the peak here).
    let mut cfg = tiny(Method::flow(), 1_000_000);
    cfg.optim.minutes = Some(0.02);
    let (peak, floor) = (cfg.optim.lr, cfg.optim.lr * cfg.optim.min_lr_ratio);
    let src = cfg.data.open().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = train(&cfg, &src, dir.path(), TrainOptions::default())
        .unwrap()
        .outcome;
    assert!(
        out.steps > 10 && out.steps < cfg.optim.steps,
        "{} steps",
        out.steps
    );
    let rates = decay_rates(&out, 10);
    assert!(
        rates.windows(2).all(|w| w[1] <= w[0]),
        "the decay never rises"
    );
    let last = *rates.last().unwrap();
    assert!(
        last <= floor + 0.05 * (peak - floor),
        "last rate {last} (floor {floor})"
    );
    let state = checkpoint::load_state(&RunDir(dir.path().into()).ckpt("state.json")).unwrap();
    assert!(state.elapsed >= 1.2, "elapsed {}", state.elapsed);
    // A spent budget cannot be resumed.
    let again = TrainOptions {
        resume: true,
        ..Default::default()
    };
    let e = train(&cfg, &src, dir.path(), again)
        .unwrap_err()
        .to_string();
    assert!(e.contains("minutes") && e.contains("budget"), "{e}");
}

#[test]
fn a_stopped_time_budgeted_run_resumes_where_its_clock_stopped() {
    let mut cfg = tiny(Method::flow(), 1_000_000);
    cfg.optim.minutes = Some(0.02);
    let src = cfg.data.open().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = TrainOptions {
        stop_after: Some(30),
        ..Default::default()
    };
    train(&cfg, &src, dir.path(), first).unwrap();
    let state = checkpoint::load_state(&RunDir(dir.path().into()).ckpt("state.json")).unwrap();
    assert_eq!(state.step, 30);
    assert!(state.elapsed > 0.0 && state.elapsed < 1.2);
    let resume = TrainOptions {
        resume: true,
        ..Default::default()
    };
    let out = train(&cfg, &src, dir.path(), resume).unwrap().outcome;
    let rates = decay_rates(&out, 10);
    assert!(
        rates.windows(2).all(|w| w[1] <= w[0]),
        "the decay never rises"
    );
    let floor = cfg.optim.lr * cfg.optim.min_lr_ratio;
    assert!(*rates.last().unwrap() <= floor + 0.05 * (cfg.optim.lr - floor));
    let state = checkpoint::load_state(&RunDir(dir.path().into()).ckpt("state.json")).unwrap();
    assert!(
        state.elapsed >= 1.2 && state.elapsed < 1.2 + 5.0,
        "{}",
        state.elapsed
    );
}
