use super::*;
use crate::testing::rel;
use burn::tensor::Distribution;
use std::time::Instant;

fn rnd<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// A [`Conv2d`] over the given weight and bias tensors.
fn module(w: &Tensor<4>, b: Option<&Tensor<1>>, stride: usize, padding: PaddingConfig2d) -> Conv2d {
    let [_, _, kh, kw] = w.dims();
    Conv2d {
        weight: Param::from_tensor(w.clone()),
        bias: b.map(|b| Param::from_tensor(b.clone())),
        stride: [stride, stride],
        kernel_size: [kh, kw],
        dilation: [1, 1],
        groups: 1,
        padding,
    }
}

/// `(n, c_in, c_out, [h, w], [kh, kw], stride, padding, bias)`: every shape, stride and
/// padding of the U-Nets, plus odd sizes, `Same`/`Valid`, strided 1×1 and non-square kernels.
type Case = (
    usize,
    usize,
    usize,
    [usize; 2],
    [usize; 2],
    usize,
    PaddingConfig2d,
    bool,
);

fn cases() -> Vec<Case> {
    let p1 = PaddingConfig2d::Explicit(1, 1, 1, 1);
    let valid = PaddingConfig2d::Valid;
    vec![
        (3, 1, 8, [28, 28], [3, 3], 1, p1.clone(), true),
        (3, 6, 8, [28, 28], [3, 3], 2, p1.clone(), true),
        (7, 8, 6, [14, 14], [3, 3], 1, p1.clone(), true),
        (7, 8, 16, [14, 14], [3, 3], 2, p1.clone(), true),
        (9, 12, 5, [7, 7], [3, 3], 1, p1.clone(), true),
        (3, 4, 72, [7, 7], [3, 3], 1, p1.clone(), true), // O > 64: ∂W untransposed
        (3, 16, 20, [9, 9], [3, 3], 1, p1.clone(), true), // Winograd (odd size)
        (2, 24, 16, [8, 6], [3, 3], 1, p1.clone(), false), // Winograd, no bias
        (7, 5, 4, [7, 7], [3, 3], 2, p1.clone(), false),
        (7, 6, 5, [9, 11], [1, 1], 1, valid.clone(), true),
        (2, 6, 5, [28, 28], [1, 1], 1, valid.clone(), true),
        (7, 3, 4, [6, 6], [1, 1], 2, valid.clone(), true),
        (7, 3, 4, [10, 9], [3, 3], 2, valid, false),
        (7, 4, 3, [8, 8], [3, 3], 1, PaddingConfig2d::Same, true),
        (
            7,
            3,
            2,
            [8, 9],
            [3, 5],
            1,
            PaddingConfig2d::Explicit(1, 2, 1, 2),
            true,
        ),
    ]
}

#[test]
fn matches_burn_forward_and_gradients() {
    let device = Device::flex().autodiff();
    for (n, c, o, [h, w], k, s, padding, bias) in cases() {
        for x_grad in [true, false] {
            let x = rnd([n, c, h, w], &device);
            let x = if x_grad { x.require_grad() } else { x };
            let wt = rnd([o, c, k[0], k[1]], &device).require_grad();
            let b = bias.then(|| rnd([o], &device).require_grad());
            let conv = module(&wt, b.as_ref(), s, padding.clone());
            let pads = conv.padding_pairs(h, w);
            let opts = ConvOptions::new_with_padding([s, s], pads, [1, 1], 1);
            let reference = conv2d(x.clone(), wt.clone(), b.clone(), opts);
            let geo = Geometry::new([c, h, w], o, k, [s, s], [pads[0].0, pads[1].0]).unwrap();
            let fast = fast_conv(&x, &wt, b.as_ref(), geo).expect("flex autodiff fast path");
            let ours = conv.forward(x.clone());
            assert!(rel(fast.clone(), ours.clone()) == 0.0);
            assert!(
                rel(ours.clone(), reference.clone()) < 1e-5,
                "forward {k:?} s{s}"
            );
            let r = rnd(reference.dims(), &device);
            let g_ref = reference.mul(r.clone()).sum().backward();
            let g = ours.mul(r).sum().backward();
            let case = format!("n{n} c{c} o{o} {h}x{w} k{k:?} s{s} {padding:?}");
            if x_grad {
                let e = rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap());
                assert!(e < 1e-4, "dx {case}: {e}");
            } else {
                assert!(x.grad(&g).is_none());
            }
            let e = rel(
                conv.weight.val().grad(&g).unwrap(),
                wt.grad(&g_ref).unwrap(),
            );
            assert!(e < 1e-4, "dW {case}: {e}");
            if let Some(b) = &b {
                let db = conv.bias.as_ref().unwrap().val().grad(&g).unwrap();
                let e = rel(db, b.grad(&g_ref).unwrap());
                assert!(e < 1e-4, "db {case}: {e}");
            }
        }
    }
}

#[test]
fn plain_flex_forward_matches_burn() {
    let device = Device::flex();
    for (n, c, o, [h, w], k, s, padding, bias) in cases() {
        let x = rnd([n, c, h, w], &device);
        let wt = rnd([o, c, k[0], k[1]], &device);
        let b = bias.then(|| rnd([o], &device));
        let conv = module(&wt, b.as_ref(), s, padding);
        let pads = conv.padding_pairs(h, w);
        let opts = ConvOptions::new_with_padding([s, s], pads, [1, 1], 1);
        let reference = conv2d(x.clone(), wt.clone(), b.clone(), opts);
        let geo = Geometry::new([c, h, w], o, k, [s, s], [pads[0].0, pads[1].0]).unwrap();
        assert!(fast_conv(&x, &wt, b.as_ref(), geo).is_some());
        assert!(rel(conv.forward(x), reference) < 1e-5);
    }
}

#[test]
fn config_init_matches_burn_layout() {
    let device = Device::flex();
    let ours = Conv2dConfig::new([3, 5], [3, 3])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(&device);
    let theirs = burn::nn::conv::Conv2dConfig::new([3, 5], [3, 3]).init(&device);
    assert_eq!(ours.weight.dims(), theirs.weight.dims());
    assert_eq!(ours.num_params(), theirs.num_params());
    assert_eq!(ours.stride, [2, 2]);
    let y = ours.forward(Tensor::zeros([1, 3, 28, 28], &device));
    assert_eq!(y.dims(), [1, 5, 14, 14]);
}

#[test]
fn safetensors_interchangeable_with_burn_conv2d() {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let device = Device::flex();
    let theirs = burn::nn::conv::Conv2dConfig::new([3, 4], [3, 3]).init(&device);
    let mut store = SafetensorsStore::from_bytes(None);
    theirs.save_into(&mut store).unwrap();
    let bytes = store.get_bytes().unwrap();
    let mut ours = Conv2dConfig::new([3, 4], [3, 3]).init(&device);
    let loaded = ours
        .load_from(&mut SafetensorsStore::from_bytes(Some(bytes)))
        .unwrap();
    assert!(loaded.errors.is_empty() && loaded.missing.is_empty());
    assert_eq!(rel(ours.weight.val(), theirs.weight.val()), 0.0);
    let bias = |c: &Option<Param<Tensor<1>>>| c.as_ref().unwrap().val();
    assert_eq!(rel(bias(&ours.bias), bias(&theirs.bias)), 0.0);
}

/// CPU time of every thread of this process so far, in ms (`/proc/self/task/*/schedstat`).
fn cpu_ms() -> f64 {
    let tasks = std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten();
    let ns: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e6
}

/// Median wall and median CPU time (all threads) of 5 runs of `f` after a warm-up, in ms.
pub(in crate::nn) fn time_ms(mut f: impl FnMut()) -> [f64; 2] {
    f();
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..5)
        .map(|_| {
            let (s, c) = (Instant::now(), cpu_ms());
            f();
            (s.elapsed().as_secs_f64() * 1e3, cpu_ms() - c)
        })
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    [wall[2], cpu[2]]
}

/// Forward + backward time of burn's conv vs [`Conv2d`] on the U-Nets' 3×3 shapes, wall and
/// CPU ms (`cargo test --release --lib models::conv -- --ignored --nocapture`).
#[test]
#[ignore]
fn time_unet_convs() {
    let device = Device::flex().autodiff();
    // (batch, c_in, c_out, side, stride): unet-small-train, then unet-train's distinct shapes.
    let shapes = [
        (64, 1, 32, 28, 1),
        (64, 32, 32, 28, 1),
        (64, 32, 64, 28, 2),
        (64, 64, 64, 14, 1),
        (64, 64, 128, 14, 2),
        (64, 128, 128, 7, 1),
        (64, 192, 64, 14, 1),
        (64, 96, 32, 28, 1),
        (64, 32, 1, 28, 1),
        (128, 32, 32, 28, 2),
        (128, 32, 64, 14, 1),
        (128, 64, 64, 14, 2),
        (128, 64, 64, 7, 1),
        (128, 128, 64, 7, 1),
        (128, 128, 64, 14, 1),
        (128, 96, 32, 28, 1),
    ];
    let mut total = [[0.0; 2]; 4];
    for (n, c, o, side, s) in shapes {
        let x = rnd([n, c, side, side], &device).require_grad();
        let wt = rnd([o, c, 3, 3], &device).require_grad();
        let b = rnd([o], &device).require_grad();
        let conv = module(&wt, Some(&b), s, PaddingConfig2d::Explicit(1, 1, 1, 1));
        let opts = ConvOptions::new([s, s], [1, 1], [1, 1], 1);
        let burn_train = time_ms(|| {
            let y = conv2d(x.clone(), wt.clone(), Some(b.clone()), opts.clone());
            let _ = y.sum().backward();
        });
        let ours_train = time_ms(|| {
            let _ = conv.forward(x.clone()).sum().backward();
        });
        let (xi, wi, bi) = (x.clone().inner(), wt.clone().inner(), b.clone().inner());
        let conv_i = conv.valid();
        let burn_fwd = time_ms(|| {
            let _ = conv2d(xi.clone(), wi.clone(), Some(bi.clone()), opts.clone()).into_data();
        });
        let ours_fwd = time_ms(|| {
            let _ = conv_i.forward(xi.clone()).into_data();
        });
        let all = [burn_train, ours_train, burn_fwd, ours_fwd];
        println!(
            "n{n:>3} {c:>3}->{o:>3} {side}² s{s}: train burn {:?} ours {:?} | forward burn {:?} \
             ours {:?}",
            all[0], all[1], all[2], all[3]
        );
        for (t, v) in total.iter_mut().zip(all) {
            t[0] += v[0];
            t[1] += v[1];
        }
    }
    println!(
        "total [wall, cpu] ms: train burn {:?} ours {:?} | forward burn {:?} ours {:?}",
        total[0], total[1], total[2], total[3]
    );
}

/// With profiling on, a convolution's forward and backward are each one call of kind `conv`
/// with the direct convolution's operation count (twice it for the backward); off, nothing is
/// gathered.
#[test]
fn a_profile_counts_the_convolutions_work() {
    use super::super::profile::{self, Pass};
    let device = Device::flex().autodiff();
    let (n, c, o, side) = (2, 3, 4, 6);
    let x = rnd([n, c, side, side], &device).require_grad();
    let wt = rnd([o, c, 3, 3], &device).require_grad();
    let conv = module(&wt, None, 1, PaddingConfig2d::Explicit(1, 1, 1, 1));
    profile::enable(true);
    let _ = conv.forward(x.clone()).sum().backward();
    let rows = profile::rows();
    profile::enable(false);
    let want = 2.0 * (n * o * c * 9 * side * side) as f64;
    for (pass, flops) in [(Pass::Forward, want), (Pass::Backward, 2.0 * want)] {
        let row = rows
            .iter()
            .find(|r| r.kind == "conv" && r.pass == pass)
            .unwrap_or_else(|| panic!("no conv {pass:?} row in {rows:?}"));
        assert_eq!(row.totals.calls, 1, "{row:?}");
        assert_eq!(row.totals.flops, flops, "{row:?}");
        assert!(row.totals.seconds > 0.0, "{row:?}");
    }
    let _ = conv.forward(x).sum().backward();
    assert_eq!(profile::rows(), rows, "gathering stopped");
}
