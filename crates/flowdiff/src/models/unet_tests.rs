use super::*;

#[test]
fn shapes_conditioning_and_parameter_count() {
    let device = Device::flex();
    for classes in [None, Some(10)] {
        let net = UNetConfig::mnist(classes).init(&device);
        let x = Tensor::zeros([3, 784], &device);
        let t = Tensor::full([3, 1], 0.5, &device);
        let labels = classes.map(|_| Tensor::<1, Int>::from_ints([1, 4, 10], &device));
        assert_eq!(net.forward(x, t, labels).dims(), [3, 784]);
        let p = net.num_params();
        assert!(p > 300_000 && p < 2_000_000, "{p} parameters");
    }
}

#[test]
fn colour_presets_follow_the_resolution() {
    let device = Device::flex();
    let cpu = UNetConfig::for_images([3, 32, 32], Some(10));
    assert_eq!(
        (cpu.mults.as_slice(), cpu.attention.as_slice()),
        (&[1, 2, 2][..], &[2][..])
    );
    let net = cpu.init(&device);
    let x = Tensor::zeros([2, 3 * 32 * 32], &device);
    let t = Tensor::full([2, 1], 0.5, &device);
    assert_eq!(net.forward(x, t, None).dims(), [2, 3072]);
    let p = net.num_params();
    eprintln!("cpu U-Net at 32x32: {p} parameters");
    assert!((1_000_000..8_000_000).contains(&p), "{p} parameters");
    let big = UNetConfig::for_images([3, 64, 64], None);
    assert_eq!((big.mults.len(), big.attention.as_slice()), (4, &[3][..]));
    assert_eq!(
        UNetConfig::for_images([1, 28, 28], None),
        UNetConfig::mnist(None)
    );
    let ddpm = UNetConfig::ddpm([3, 32, 32], Some(10));
    assert_eq!(ddpm.attention, [1], "attention at 16x16");
    let p = ddpm.init(&device).num_params();
    eprintln!("ddpm U-Net at 32x32: {p} parameters");
    assert!((20_000_000..60_000_000).contains(&p), "{p} parameters");
}

#[test]
fn output_depends_on_time_and_class() {
    let device = Device::flex();
    let net = UNetConfig::mnist(Some(10)).init(&device);
    let x = Tensor::<2>::random(
        [2, 784],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let f = |t: f32, l: i64| {
        crate::device::to_vec(net.forward(
            x.clone(),
            Tensor::full([2, 1], t, &device),
            Some(Tensor::<1, Int>::from_ints([l, l], &device)),
        ))
    };
    let diff = |a: Vec<f32>, b: Vec<f32>| {
        a.iter()
            .zip(&b)
            .map(|(u, v)| (u - v).abs())
            .fold(0.0f32, f32::max)
    };
    assert!(diff(f(0.1, 3), f(0.9, 3)) > 1e-4);
    assert!(diff(f(0.5, 3), f(0.5, 7)) > 1e-4);
}
