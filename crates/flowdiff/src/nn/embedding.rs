//! Sinusoidal time embedding (Vaswani et al. 2017, §3.5; used for diffusion time by
//! Ho et al. 2020, App. B).

use burn::tensor::{Device, Tensor, TensorData};

/// Scale applied to flow time `tau ∈ [0, 1]` before the sinusoids, so that the embedding
/// resolves the same range as DDPM's integer timesteps 0..1000.
pub const TIME_SCALE: f64 = 1000.0;

/// `t: [n, 1]` flow times → `[n, dim]` = `[sin(s·t·f_k), cos(s·t·f_k)]`,
/// `f_k = 10000^{-k/(dim/2)}`, `s` = [`TIME_SCALE`].
pub fn sinusoidal(t: Tensor<2>, dim: usize, device: &Device) -> Tensor<2> {
    assert!(
        dim >= 2 && dim % 2 == 0,
        "time embedding dimension must be even, got {dim}"
    );
    let half = dim / 2;
    let freqs: Vec<f32> = (0..half)
        .map(|k| (TIME_SCALE * (-(10000f64.ln()) * k as f64 / half as f64).exp()) as f32)
        .collect();
    let freqs = Tensor::<2>::from_data(TensorData::new(freqs, [1, half]), device);
    let args = t.mul(freqs);
    Tensor::cat(vec![args.clone().sin(), args.cos()], 1)
}
