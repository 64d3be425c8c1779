use super::*;
use crate::testing::rel;
use burn::tensor::Distribution;

fn rnd<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 2.0), device)
}

#[test]
fn silu_matches_burn_forward_and_gradient() {
    for (device, autodiff) in [(Device::flex().autodiff(), true), (Device::flex(), false)] {
        let x = rnd([3, 5, 7, 9], &device);
        let x = if autodiff { x.require_grad() } else { x };
        let ours = silu(x.clone());
        let reference = burn::tensor::activation::silu(x.clone());
        assert!(rel(ours.clone(), reference.clone()) < 1e-6);
        assert!(
            flex_op::apply::<4>(SiluOp(x.dims().to_vec()), &[x.clone().into_dispatch()]).is_some()
        );
        if autodiff {
            let r = rnd(x.dims(), &device);
            let g = ours.mul(r.clone()).sum().backward();
            let g_ref = reference.mul(r).sum().backward();
            assert!(rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap()) < 1e-5);
        }
    }
}

#[test]
fn group_norm_matches_burn_forward_and_gradients() {
    let device = Device::flex().autodiff();
    let cases = [([5, 8, 6, 7], 4), ([3, 6, 28, 28], 3), ([4, 4, 3, 5], 1)];
    for ((dims, groups), with_silu) in cases.into_iter().flat_map(|c| [(c, false), (c, true)]) {
        let x = rnd(dims, &device).add_scalar(1.5).require_grad();
        let mut ours = GroupNormConfig::new(groups, dims[1]).init(&device);
        // Non-trivial γ, β.
        ours.gamma = Some(Param::from_tensor(rnd([dims[1]], &device)));
        ours.beta = Some(Param::from_tensor(rnd([dims[1]], &device)));
        let theirs = burn::nn::GroupNorm {
            gamma: ours.gamma.clone(),
            beta: ours.beta.clone(),
            num_groups: groups,
            num_channels: dims[1],
            epsilon: ours.epsilon,
            affine: true,
        };
        let (y, y_ref) = if with_silu {
            let y_ref = burn::tensor::activation::silu(theirs.forward(x.clone()));
            (ours.forward_silu(x.clone()), y_ref)
        } else {
            (ours.forward(x.clone()), theirs.forward(x.clone()))
        };
        assert!(
            rel(y.clone(), y_ref.clone()) < 1e-5,
            "forward {dims:?} silu {with_silu}"
        );
        let r = rnd(dims, &device);
        let g = y.mul(r.clone()).sum().backward();
        let g_ref = y_ref.mul(r).sum().backward();
        let e = rel(x.grad(&g).unwrap(), x.grad(&g_ref).unwrap());
        assert!(e < 1e-4, "dx {dims:?} silu {with_silu}: {e}");
        for (p, name) in [(&ours.gamma, "dγ"), (&ours.beta, "dβ")] {
            let p = p.as_ref().unwrap().val();
            let e = rel(p.grad(&g).unwrap(), p.grad(&g_ref).unwrap());
            assert!(e < 1e-4, "{name} {dims:?} silu {with_silu}: {e}");
        }
    }
}

#[test]
fn group_norm_plain_forward() {
    let device = Device::flex();
    let norm = GroupNormConfig::new(2, 4).init(&device);
    let x = rnd([2, 4, 5, 5], &device);
    let theirs = burn::nn::GroupNormConfig::new(2, 4).init(&device);
    assert!(rel(norm.forward(x.clone()), theirs.forward(x)) < 1e-5);
}

#[test]
fn group_norm_safetensors_interchangeable_with_burn() {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let device = Device::flex();
    let mut theirs = burn::nn::GroupNormConfig::new(2, 4).init(&device);
    theirs.gamma = Some(Param::from_tensor(rnd([4], &device)));
    let mut store = SafetensorsStore::from_bytes(None);
    theirs.save_into(&mut store).unwrap();
    let bytes = store.get_bytes().unwrap();
    let mut ours = GroupNormConfig::new(2, 4).init(&device);
    let loaded = ours
        .load_from(&mut SafetensorsStore::from_bytes(Some(bytes)))
        .unwrap();
    assert!(loaded.errors.is_empty() && loaded.missing.is_empty());
    let gamma = |g: &Option<Param<Tensor<1>>>| g.as_ref().unwrap().val();
    assert_eq!(rel(gamma(&ours.gamma), gamma(&theirs.gamma)), 0.0);
}

/// Forward + backward time of burn's and these GroupNorm and SiLU, and of ×2 nearest
/// upsampling and channel concat, at the U-Nets' 28² size: wall and CPU ms.
#[test]
#[ignore]
fn time_unet_other_ops() {
    use crate::nn::conv::tests::time_ms;
    use burn::tensor::module::interpolate;
    use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
    let device = Device::flex().autodiff();
    let x = rnd([64, 32, 28, 28], &device).require_grad();
    let small = rnd([64, 64, 14, 14], &device).require_grad();
    let ours = GroupNormConfig::new(8, 32).init(&device);
    let theirs = burn::nn::GroupNormConfig::new(8, 32).init(&device);
    let report =
        |name: &str, t: [f64; 2]| println!("{name:>16}: wall {:6.2} cpu {:6.2}", t[0], t[1]);
    report(
        "groupnorm burn",
        time_ms(|| {
            let _ = theirs.forward(x.clone()).sum().backward();
        }),
    );
    report(
        "groupnorm ours",
        time_ms(|| {
            let _ = ours.forward(x.clone()).sum().backward();
        }),
    );
    report(
        "silu burn",
        time_ms(|| {
            let _ = burn::tensor::activation::silu(x.clone()).sum().backward();
        }),
    );
    report(
        "silu ours",
        time_ms(|| {
            let _ = silu(x.clone()).sum().backward();
        }),
    );
    report(
        "upsample",
        time_ms(|| {
            let opts = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([28, 28]);
            let _ = interpolate(small.clone(), opts).sum().backward();
        }),
    );
    report(
        "cat",
        time_ms(|| {
            let _ = Tensor::cat(vec![x.clone(), x.clone()], 1).sum().backward();
        }),
    );
}
