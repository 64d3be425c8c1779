//! Times U-Net training steps for a few shapes (a quick probe; `cargo run --release --example unet_timing`).
use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use flowdiff::models::UNetConfig;

fn main() {
    let device = Device::flex().autodiff();
    for (name, cfg, batch) in [
        ("default b64", UNetConfig::mnist(None), 64),
        (
            "mults 1,2 attn@1 b64",
            UNetConfig {
                mults: vec![1, 2],
                attention: vec![1],
                ..UNetConfig::mnist(None)
            },
            64,
        ),
        (
            "base 16 b64",
            UNetConfig {
                base: 16,
                groups: 8,
                ..UNetConfig::mnist(None)
            },
            64,
        ),
        (
            "no attention b64",
            UNetConfig {
                attention: vec![],
                ..UNetConfig::mnist(None)
            },
            64,
        ),
    ] {
        let net = cfg.init(&device);
        let x = Tensor::<2>::random([batch, 784], Distribution::Normal(0.0, 1.0), &device);
        let t = Tensor::<2>::random([batch, 1], Distribution::Default, &device);
        let mut times = vec![];
        for _ in 0..4 {
            let s = std::time::Instant::now();
            let loss = net.forward(x.clone(), t.clone(), None).square().mean();
            let _g = loss.backward();
            times.push(s.elapsed().as_secs_f64());
        }
        let fwd = {
            let v = net.valid();
            let xv = x.clone().inner();
            let tv = t.clone().inner();
            let s = std::time::Instant::now();
            let _ = flowdiff::device::to_vec(v.forward(xv, tv, None));
            s.elapsed().as_secs_f64()
        };
        println!(
            "{name}: {} params, train step {:.3}s (min of 3 after warm-up), forward {:.3}s",
            net.num_params(),
            times[1..].iter().cloned().fold(f64::INFINITY, f64::min),
            fwd
        );
    }
}
