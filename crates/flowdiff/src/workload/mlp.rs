//! The 2-D flow-matching MLP of the performance comparison: input `(x, y, t)` (raw time, no
//! embedding) → 256 → 256 → 256 → 2 with SiLU, 133,122 parameters. (flowdiff's own
//! [`crate::models::Mlp`] feeds a 64-wide time embedding, so it is not this network.)
//!
//! Workloads: `mlp-train` (batch 512, conditional flow-matching loss on the straight path,
//! AdamW lr 1e-3) and `mlp-sample` (10,000 points × 100 Euler steps on the inference device).

use super::{Prepared, train_repeat};
use crate::nn::mlp_chain::{Activation, mlp_chain};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor};

/// Hidden width.
const WIDTH: usize = 256;
/// Parameter count of [`BenchMlp`].
pub const PARAMS: usize = 3 * WIDTH + WIDTH + 2 * (WIDTH * WIDTH + WIDTH) + WIDTH * 2 + 2;
/// Points per sampling run and Euler steps per run.
const POINTS: usize = 10_000;
const EULER_STEPS: usize = 100;

/// `[x, y, t] → 256 → 256 → 256 → 2`, SiLU after each hidden layer.
#[derive(Module, Debug)]
pub struct BenchMlp {
    layers: Vec<Linear>,
}

impl BenchMlp {
    pub fn new(device: &Device) -> Self {
        let sizes = [3, WIDTH, WIDTH, WIDTH, 2];
        Self {
            layers: sizes
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect(),
        }
    }

    /// `x: [n, 2]`, `t: [n, 1]` → velocity `[n, 2]`.
    pub fn forward(&self, x: Tensor<2>, t: Tensor<2>) -> Tensor<2> {
        let layers: Vec<&Linear> = self.layers.iter().collect();
        mlp_chain(&layers, Activation::Silu, Tensor::cat(vec![x, t], 1))
    }
}

fn normal(n: usize, device: &Device) -> Tensor<2> {
    Tensor::random([n, 2], Distribution::Normal(0.0, 1.0), device)
}

/// `mlp-train`: `iters` AdamW steps per repeat, each on a fresh batch of 512: data and noise
/// drawn on the device, `x_t = (1 − t)·x0 + t·x1`, loss `mean((v(x_t, t) − (x1 − x0))²)`.
pub fn train(device: &Device, iters: usize) -> Prepared {
    const BATCH: usize = 512;
    let device = device.clone().autodiff();
    let model = BenchMlp::new(&device);
    train_repeat(model, BATCH, iters, move |m: &BenchMlp| {
        let (x0, x1) = (normal(BATCH, &device), normal(BATCH, &device));
        let t = Tensor::<2>::random([BATCH, 1], Distribution::Uniform(0.0, 1.0), &device);
        let xt = x0.clone().mul(t.clone().neg().add_scalar(1.0)) + x1.clone().mul(t.clone());
        m.forward(xt, t).sub(x1.sub(x0)).square().mean()
    })
}

/// `mlp-sample`: `iters` sampling runs per repeat, each 10,000 points × 100 Euler steps from
/// `t = 0` to 1; rate in point-steps per second.
pub fn sample(device: &Device, iters: usize) -> Prepared {
    let model = BenchMlp::new(device);
    let params = model.num_params();
    let device = device.clone();
    Prepared {
        params,
        unit: "point-steps/s",
        units_per_repeat: (iters * POINTS * EULER_STEPS) as f64,
        batch: POINTS,
        iters,
        run: Box::new(move || {
            for _ in 0..iters {
                let dt = 1.0 / EULER_STEPS as f64;
                let mut x = normal(POINTS, &device);
                for k in 0..EULER_STEPS {
                    let t = Tensor::full([POINTS, 1], (k as f64 * dt) as f32, &device);
                    x = x.clone() + model.forward(x, t).mul_scalar(dt);
                }
                // Reading the result back waits for the device.
                x.into_data();
            }
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_count_is_the_issue_s() {
        let net = BenchMlp::new(&Device::flex());
        assert_eq!(net.num_params(), PARAMS);
        assert_eq!(PARAMS, 133_122);
    }
}
