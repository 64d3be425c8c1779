use super::batch::{DenseGraph, one_hot};
use super::distortion::TimeDistortion;
use super::path::{DiscreteMethod, MixturePath};
use super::prior::{Prior, PriorKind};
use super::sampler_tests::total_variation;
use crate::models::graph::GraphNetConfig;
use crate::rng::SeededRng;
use burn::tensor::{Device, Tensor, TensorData};

#[test]
fn time_distortions_map_the_grid_onto_itself_and_move_its_steps() {
    let flow = MixturePath::new(DiscreteMethod::Flow);
    for name in TimeDistortion::NAMES {
        let d = TimeDistortion::parse(name).unwrap();
        assert_eq!(d.name(), name);
        let g = flow.distorted_grid(50, d);
        assert_eq!((g[0], g[50]), (0.0, 1.0), "{name}");
        assert!(g.windows(2).all(|w| w[1] > w[0]), "{name}: increasing");
    }
    let step = |d: TimeDistortion, k: usize| {
        let g = flow.distorted_grid(10, d);
        g[k + 1] - g[k]
    };
    // polydec: the last step (towards the data) is the shortest; polyinc the first.
    assert!(step(TimeDistortion::PolyDec, 9) < 0.05 && step(TimeDistortion::PolyDec, 0) > 0.15);
    assert!(step(TimeDistortion::PolyInc, 0) < 0.05 && step(TimeDistortion::PolyInc, 9) > 0.15);
    let diff = MixturePath::new(DiscreteMethod::Diffusion { timesteps: 500 });
    assert_eq!(
        diff.distorted_grid(10, TimeDistortion::PolyDec),
        diff.grid(10)
    );
    let e = TimeDistortion::parse("square").unwrap_err().to_string();
    assert!(
        e.contains("time_distortion") && e.contains("polydec"),
        "{e}"
    );
}

#[test]
fn path_endpoints_and_grid() {
    let diff = MixturePath::new(DiscreteMethod::Diffusion { timesteps: 500 });
    let flow = MixturePath::new(DiscreteMethod::Flow);
    for p in [diff, flow] {
        assert!(p.kappa(0.0) < 1e-6, "kappa(0) = {}", p.kappa(0.0));
        assert!((p.kappa(1.0) - 1.0).abs() < 1e-12);
        let g = p.grid(7);
        assert_eq!(g.len(), 8);
        assert_eq!((g[0], g[7]), (0.0, 1.0));
        assert!(g.windows(2).all(|w| w[0] < w[1]));
    }
    // Diffusion times land on training steps t = T(1 − tau).
    for tau in diff.grid(7) {
        let t = (1.0 - tau) * 500.0;
        assert!((t - t.round()).abs() < 1e-9);
    }
    // Cosine kappa is increasing in tau.
    let ks: Vec<f64> = (0..=50).map(|k| diff.kappa(k as f64 / 50.0)).collect();
    assert!(ks.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn corruption_matches_the_mixture_law() {
    let prior = Prior::new(PriorKind::Marginal, &[0.5, 0.3, 0.2]);
    let path = MixturePath::new(DiscreteMethod::Flow);
    let mut rng = SeededRng::new(3);
    let kappa = 0.4;
    let n = 50_000;
    let mut hist = [0.0; 3];
    for _ in 0..n {
        hist[path.corrupt(2, kappa, &prior, &mut rng)] += 1.0 / n as f64;
    }
    let expect = [0.6 * 0.5, 0.6 * 0.3, 0.4 + 0.6 * 0.2];
    assert!(
        total_variation(&hist, &expect) < 0.01,
        "{hist:?} vs {expect:?}"
    );
}

fn ring(n: usize, classes: &[usize]) -> DenseGraph {
    let mut g = DenseGraph {
        nodes: classes[..n].to_vec(),
        edges: vec![0; n * n],
    };
    for i in 0..n {
        g.set_edge(i, (i + 1) % n, 1 + i % 2);
    }
    g
}

#[test]
fn graph_net_is_permutation_equivariant_and_edge_symmetric() {
    let device = Device::flex();
    let cfg = GraphNetConfig {
        layers: 2,
        node_width: 16,
        edge_width: 8,
        heads: 2,
        ..GraphNetConfig::qm9(5, 4, 4, 4)
    };
    let net = cfg.init(&device);
    let g = ring(6, &[0, 1, 2, 3, 0, 1]);
    let perm = [3, 0, 5, 1, 4, 2];
    let mut h = DenseGraph {
        nodes: perm.iter().map(|&p| g.nodes[p]).collect(),
        edges: vec![0; 36],
    };
    for i in 0..6 {
        for j in 0..6 {
            h.edges[i * 6 + j] = g.edge(perm[i], perm[j]);
        }
    }
    let (x, e, m) = one_hot(&[g, h], 9, 5, 4, &device);
    let t = Tensor::<2>::from_data(TensorData::new(vec![0.3f32, 0.3], [2, 1]), &device);
    let (nl, el) = net.forward(x, e, t, m);
    let nodes = crate::device::to_vec(nl);
    let edges = crate::device::to_vec(el);
    let node = |b: usize, i: usize, k: usize| nodes[(b * 9 + i) * 4 + k];
    let edge = |b: usize, i: usize, j: usize, k: usize| edges[((b * 9 + i) * 9 + j) * 4 + k];
    for i in 0..6 {
        for k in 0..4 {
            assert!((node(1, i, k) - node(0, perm[i], k)).abs() < 1e-4);
            for j in 0..6 {
                assert!((edge(1, i, j, k) - edge(0, perm[i], perm[j], k)).abs() < 1e-4);
                assert!((edge(0, i, j, k) - edge(0, j, i, k)).abs() < 1e-5);
            }
        }
    }
}

fn tiny_config(
    method: DiscreteMethod,
    kind: PriorKind,
    steps: usize,
) -> crate::train::graph::GraphTrainConfig {
    let node_prior = Prior::new(kind, &[0.4, 0.3, 0.2, 0.1]);
    let edge_prior = Prior::new(kind, &[0.6, 0.2, 0.15, 0.05]);
    let counts = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0];
    let mut cfg = crate::train::graph::GraphTrainConfig {
        data: "rings".into(),
        node_names: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        ..crate::train::graph::GraphTrainConfig::tiny(method, node_prior, edge_prior, counts, steps)
    };
    cfg.optim.seed = 11;
    cfg
}

fn ring_data() -> Vec<DenseGraph> {
    (0..64)
        .map(|k| ring(5 + k % 2, &[0, 1, 0, 2, 0, 3]))
        .collect()
}

#[test]
fn training_reduces_the_loss_and_resumes_exactly() {
    let data = ring_data();
    for (method, kind) in [
        (
            DiscreteMethod::Diffusion { timesteps: 100 },
            PriorKind::Marginal,
        ),
        (DiscreteMethod::Flow, PriorKind::Mask),
    ] {
        let cfg = tiny_config(method, kind, 60);
        let dir = tempfile::tempdir().unwrap();
        let opts = crate::train::TrainOptions::default();
        let out = crate::train::graph::train(
            &cfg,
            &data,
            dir.path(),
            opts.clone(),
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let mean = |r: &[(usize, f64, f64)]| r.iter().map(|x| x.1).sum::<f64>() / r.len() as f64;
        let (first, last) = (
            mean(&out.outcome.losses[..10]),
            mean(&out.outcome.losses[50..]),
        );
        assert!(
            last < 0.75 * first,
            "{method:?}: loss {first:.3} -> {last:.3}"
        );
        // Resume: both runs start from one step-1 checkpoint (parameter init draws from the
        // process-wide backend RNG, which tests running in parallel share); one continues to
        // the end, the other stops at step 30 and resumes: the same loss at step 30.
        let cfg = tiny_config(method, kind, 40);
        let a = tempfile::tempdir().unwrap();
        let once = crate::train::TrainOptions {
            stop_after: Some(1),
            ..opts.clone()
        };
        crate::train::graph::train(&cfg, &data, a.path(), once, 0, &mut |_, _| Ok(())).unwrap();
        let b = tempfile::tempdir().unwrap();
        copy_dir(a.path(), b.path());
        let resume = crate::train::TrainOptions {
            resume: true,
            ..opts.clone()
        };
        let full = crate::train::graph::train(
            &cfg,
            &data,
            a.path(),
            resume.clone(),
            0,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        let stop = crate::train::TrainOptions {
            resume: true,
            stop_after: Some(29),
            ..opts.clone()
        };
        crate::train::graph::train(&cfg, &data, b.path(), stop, 0, &mut |_, _| Ok(())).unwrap();
        let rest = crate::train::graph::train(&cfg, &data, b.path(), resume, 0, &mut |_, _| Ok(()))
            .unwrap();
        // Equal up to the order of floating-point reductions across threads, which compounds
        // over 30 steps (a wrong batch, time or optimizer state changes the loss by ~10%).
        let (r, f) = (rest.outcome.losses[30].1, full.outcome.losses[30].1);
        assert!(
            (r - f).abs() <= 1e-3 * f.abs(),
            "{method:?}: resumed loss {r} vs {f}"
        );
    }
}

#[test]
fn a_trained_model_samples_the_ring_data() {
    // Rings of 5 or 6 nodes with fixed classes: after training, about half the samples are
    // such rings (random graphs almost never are).
    let data = ring_data();
    let cfg = tiny_config(DiscreteMethod::Flow, PriorKind::Marginal, 1000);
    let dir = tempfile::tempdir().unwrap();
    let opts = crate::train::TrainOptions::default();
    crate::train::graph::train(&cfg, &data, dir.path(), opts.clone(), 0, &mut |_, _| Ok(()))
        .unwrap();
    let device = Device::flex();
    let (cfg, net) = crate::train::graph::load_model(dir.path(), &device).unwrap();
    let mut rng = SeededRng::new(5);
    let size = super::sampler::SampleSize {
        count: 200,
        steps: 100,
        batch: 100,
    };
    let samples = cfg
        .sampler()
        .sample(&net, size, &mut rng, &device, None, &|| {});
    let is_ring = |g: &DenseGraph| {
        let n = g.n();
        let mut classes = g.nodes.clone();
        classes.sort();
        let want: &[usize] = if n == 5 {
            &[0, 0, 0, 1, 2]
        } else {
            &[0, 0, 0, 1, 2, 3]
        };
        (5..=6).contains(&n)
            && classes == want
            && (0..n).all(|i| (0..n).filter(|&j| j != i && g.edge(i, j) != 0).count() == 2)
    };
    assert!(data.iter().all(is_ring));
    let hits = samples.iter().filter(|g| is_ring(g)).count();
    assert!(hits > 90, "only {hits}/200 samples are training rings");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
