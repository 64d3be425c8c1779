//! Quality: tiny models trained for a few seconds must learn the distribution. These are the
//! tests that fail if training, a loss target, or a sampler is subtly wrong. The bound (2.5×
//! the noise floor at n = 4000) leaves room for run-to-run noise: burn's multithreaded
//! reductions are not bit-reproducible between processes, and one sample's sliced W2 varies by
//! ±30% between draws; an untrained or wrongly trained model scores far above it.

use flowdiff::data::DataSpec;
use flowdiff::data::toy::Toy;
use flowdiff::method::Method;
use flowdiff::metrics::{evaluate, reference_draws};
use flowdiff::rng::SeededRng;
use flowdiff::sampling::SamplerSpec;
use flowdiff::train::{RunDir, TrainConfig, TrainOptions, train};

const N: usize = 4000;

fn trained_ratio(toy: Toy, method: Method, sampler: (&str, Option<&str>, usize)) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: toy }, method.clone(), 2);
    cfg.optim.steps = 4000;
    cfg.batch_size = 256;
    cfg.mlp_mut().unwrap().width = 128;
    cfg.optim.seed = 3;
    cfg.optim.checkpoint_every = 10_000;
    train(
        &cfg,
        &cfg.data.open().unwrap(),
        dir.path(),
        TrainOptions::default(),
    )
    .unwrap();
    let (cfg, model) = RunDir(dir.path().into())
        .load_model(&flowdiff::device::default())
        .unwrap();
    let s = SamplerSpec {
        kind: Some(sampler.0.parse().unwrap()),
        solver: sampler.1.map(|s| s.parse().unwrap()),
        nfe: Some(sampler.2),
        ..SamplerSpec::default()
    }
    .build(&cfg.method)
    .unwrap();
    let x = s
        .run(&cfg.method, &model, N, &mut SeededRng::new(5), false)
        .unwrap()
        .x;
    let mut rng = SeededRng::new(6);
    let refs = reference_draws(|n| toy.sample(n, &mut rng), N, 4);
    let report = evaluate(&flowdiff::device::to_vec(x), &refs, 2, 1000);
    println!(
        "{} {} {}: sliced W2 {:.2}x floor",
        toy.name(),
        method.name(),
        s.label(),
        report.sliced_w2.ratio
    );
    report.sliced_w2.ratio
}

#[test]
fn flow_matching_learns_eight_gaussians() {
    let r = trained_ratio(
        Toy::EightGaussians,
        Method::flow(),
        ("ode", Some("midpoint"), 20),
    );
    assert!(
        r < 2.5,
        "flow on eight-gaussians: sliced W2 {r:.2}x the noise floor"
    );
}

#[test]
fn diffusion_learns_eight_gaussians() {
    let r = trained_ratio(Toy::EightGaussians, Method::diffusion(), ("ddim", None, 50));
    assert!(
        r < 2.5,
        "diffusion on eight-gaussians: sliced W2 {r:.2}x the noise floor"
    );
}

/// Flow matching with logit-normal time sampling (Esser et al. 2024) learns as well: the
/// reweighting of the loss over tau must not bias the learned velocity field.
#[test]
fn flow_matching_with_logit_normal_times_learns_eight_gaussians() {
    let method = Method::Flow {
        path: flowdiff::path::PathKind::cond_ot(),
        coupling: flowdiff::flow::Coupling::Independent,
        time_sampling: flowdiff::flow::TimeSampling::logit_normal(),
    };
    let r = trained_ratio(Toy::EightGaussians, method, ("ode", Some("midpoint"), 20));
    assert!(
        r < 2.5,
        "logit-normal flow on eight-gaussians: sliced W2 {r:.2}x the noise floor"
    );
}

/// Diffusion with min-SNR-γ loss weighting (Hang et al. 2023), v-prediction on the cosine
/// schedule, learns as well: the weights change how the steps share the gradient, not what
/// the network converges to.
#[test]
fn diffusion_with_min_snr_weighting_learns_eight_gaussians() {
    let method = Method::Diffusion {
        schedule: flowdiff::schedule::ScheduleKind::Cosine,
        timesteps: 1000,
        prediction: flowdiff::convert::Prediction::V,
        min_snr_gamma: Some(5.0),
    };
    let r = trained_ratio(Toy::EightGaussians, method, ("dpm-solver++", None, 20));
    assert!(
        r < 2.5,
        "min-SNR diffusion on eight-gaussians: sliced W2 {r:.2}x the noise floor"
    );
}
