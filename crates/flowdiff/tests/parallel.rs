//! Data parallelism is the single-device run: N replicas with B/N rows each end, after k
//! steps, at the parameters of one device with batch B and the same seed (same data order and
//! noise), for the MLP (one and two output heads), the conditional U-Net and the graph
//! transformer. Tolerance: f32 rounding differs (the batch mean is summed in a different
//! order), and AdamW's `m̂/(√v̂ + ε)` turns a rounding difference in a near-zero gradient into
//! up to `lr·δ/ε` of parameter; the bound is 1e-5 of the largest value (measured: at most
//! 1.4e-6 on an AMD EPYC), the gap is printed.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use flowdiff::data::{DataSource, DataSpec, toy::Toy};
use flowdiff::discrete::{DenseGraph, DiscreteMethod, Prior, PriorKind};
use flowdiff::method::Method;
use flowdiff::models::unet::UNetConfig;
use flowdiff::rng::SeededRng;
use flowdiff::train::graph::GraphTrainConfig;
use flowdiff::train::{TrainConfig, TrainOptions, fit};

/// The flex device's random stream (initial weights, dropout) is one per process and the
/// trainer seeds it; tests that train hold this lock so that they do not reseed it under each
/// other.
static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every float parameter of a module, flattened in visiting order.
#[derive(Default)]
struct Flatten(Vec<f32>);

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0
            .extend(param.val().into_data().try_to_vec::<f32>().unwrap());
    }
}

fn params<M: Module>(m: &M) -> Vec<f32> {
    let mut v = Flatten::default();
    m.visit(&mut v);
    v.0
}

/// Largest |a − b| relative to the largest |a|; panics above `tol`.
fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: parameter counts differ");
    let scale = a.iter().fold(0f32, |m, x| m.max(x.abs()));
    let gap = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale;
    println!(
        "{what}: {} parameters, largest gap {gap:.2e} of the largest parameter",
        a.len()
    );
    assert!(
        gap <= tol,
        "{what}: replicas drifted from the single-device run by {gap:.2e}"
    );
    // The runs moved: a comparison of two untrained networks would prove nothing.
    assert!(a.iter().all(|x| x.is_finite()));
}

/// `fit` with `devices` replicas: the weights (EMA decay 0, so the trained ones) followed by
/// the losses of every step (AdamW is nearly blind to a gradient's scale, the loss is not).
fn fit_with(mut cfg: TrainConfig, source: &dyn DataSource, devices: usize) -> Vec<f32> {
    cfg.optim.devices = devices;
    cfg.optim.ema_decay = 0.0;
    let out = fit(&cfg, source, TrainOptions::default()).unwrap();
    let mut v = params(&out.net);
    v.extend(out.outcome.losses.iter().map(|r| r.1 as f32));
    v
}

fn points(method: Method) -> TrainConfig {
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, method, 2);
    cfg.optim.steps = 6;
    cfg.optim.warmup_steps = 2;
    cfg.optim.seed = 3;
    cfg.batch_size = 64;
    let mlp = cfg.mlp_mut().unwrap();
    mlp.width = 32;
    mlp.depth = 2;
    cfg
}

#[test]
fn two_replicas_train_the_mlp_as_one_device() {
    let _device = serial();
    for method in [Method::flow(), Method::diffusion(), Method::hybrid()] {
        let cfg = points(method.clone());
        let source = cfg.data.open().unwrap();
        let start = {
            let mut c = cfg.clone();
            c.optim.steps = 1;
            c.optim.lr = 1e-12;
            fit_with(c, &source, 1)
        };
        let one = fit_with(cfg.clone(), &source, 1);
        let two = fit_with(cfg.clone(), &source, 2);
        assert_close(method.name(), &one, &two, 1e-5);
        let moved = one
            .iter()
            .zip(&start)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            moved > 1e-3,
            "{}: training did not move the weights",
            method.name()
        );
        // An uneven split (64 rows on 3 replicas: 22, 21, 21) is the same run too.
        let three = fit_with(cfg, &source, 3);
        assert_close(&format!("{} on 3", method.name()), &one, &three, 1e-5);
    }
}

/// Random labelled 1×8×8 pictures, redrawn each batch.
struct Pictures;

impl DataSource for Pictures {
    fn dim(&self) -> usize {
        64
    }
    fn sample_labeled(&self, n: usize, rng: &mut SeededRng) -> (Vec<f32>, Option<Vec<i64>>) {
        let labels: Vec<i64> = (0..n).map(|_| rng.below(3) as i64).collect();
        let noise = rng.normal_vec(n * 64);
        // Class `l`: stripes of period `l + 2`, plus noise.
        let x = (0..n * 64)
            .map(|i| {
                let (l, k) = (labels[i / 64], (i % 64) as i64);
                (k % (l + 2)) as f32 / 2.0 - 0.5 + 0.1 * noise[i]
            })
            .collect();
        (x, Some(labels))
    }
    fn image_shape(&self) -> Option<[usize; 3]> {
        Some([1, 8, 8])
    }
}

#[test]
fn two_replicas_train_the_conditional_unet_as_one_device() {
    let _device = serial();
    let unet = UNetConfig {
        channels: 1,
        height: 8,
        width: 8,
        base: 8,
        mults: vec![1, 2],
        attention: vec![1],
        res_blocks: 1,
        dropout: 0.0,
        groups: 4,
        num_classes: Some(3),
        heads: 1,
    };
    let mut cfg =
        TrainConfig::images_with(DataSpec::Toy { name: Toy::Moons }, Method::flow(), unet);
    cfg.optim.steps = 4;
    cfg.optim.warmup_steps = 1;
    cfg.optim.seed = 9;
    cfg.batch_size = 8;
    cfg.sample_every = 0;
    let one = fit_with(cfg.clone(), &Pictures, 1);
    let two = fit_with(cfg, &Pictures, 2);
    assert_close("conditional U-Net", &one, &two, 1e-5);
}

#[test]
fn two_replicas_train_the_graph_transformer_as_one_device() {
    let _device = serial();
    let node_prior = Prior::new(PriorKind::Marginal, &[0.4, 0.3, 0.2, 0.1]);
    let edge_prior = Prior::new(PriorKind::Marginal, &[0.6, 0.2, 0.15, 0.05]);
    let mut rng = SeededRng::new(4);
    // Graphs of different sizes, so the replicas' shares of the cross-entropy counts differ.
    let data: Vec<DenseGraph> = (0..40)
        .map(|k| DenseGraph::from_prior(3 + k % 5, &node_prior, &edge_prior, &mut rng))
        .collect();
    let counts = vec![0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0];
    let base = GraphTrainConfig {
        data: "random".into(),
        node_names: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        ..GraphTrainConfig::tiny(DiscreteMethod::Flow, node_prior, edge_prior, counts, 5)
    };
    let run = |devices: usize| {
        let mut cfg = base.clone();
        cfg.optim.devices = devices;
        cfg.optim.ema_decay = 0.0;
        cfg.batch_size = 12;
        let dir = tempfile::tempdir().unwrap();
        let out = flowdiff::train::graph::train(
            &cfg,
            &data,
            dir.path(),
            TrainOptions::default(),
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let mut v = params(&out.net);
        v.extend(out.outcome.losses.iter().map(|r| r.1 as f32));
        v
    };
    assert_close("graph transformer", &run(1), &run(2), 1e-5);
}

#[test]
fn more_replicas_than_rows_is_refused() {
    let mut cfg = points(Method::flow());
    cfg.batch_size = 2;
    cfg.optim.devices = 3;
    let source = cfg.data.open().unwrap();
    let err = fit(&cfg, &source, TrainOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("devices"), "{err}");
}
