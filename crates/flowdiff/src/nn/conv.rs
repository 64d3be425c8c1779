//! A drop-in replacement for burn's `Conv2d` that is fast to train on the flex CPU backend.
//!
//! `y[b, o] = bias[o] + Σ_{c,i,j} W[o, c, i, j] · x[b, c, oy·sh + i − ph, ox·sw + j − pw]`,
//! exactly burn's convolution. Burn's generic backward computes `∂W` as a convolution of the
//! input with the whole output-gradient map as its kernel, and `∂x` as a transposed
//! convolution; on flex both are several times slower than the forward. Here the forward and
//! both gradients are GEMMs over im2col matrices ([`flowdiff_kernels::conv_kernel`]), recorded as one
//! autodiff node ([`super::flex_op`]), whenever the tensors live on flex (plain or autodiff)
//! in f32 with groups 1, dilation 1 and symmetric padding. Everything else (other backends
//! and dtypes, grouped or dilated convs) goes to burn's `conv2d` unchanged.
//!
//! The module has burn's `Conv2d` fields, record layout and initialisation ([`Conv2dConfig`]
//! wraps burn's config and calls its `init`), so checkpoints stay interchangeable.

use super::flex_op::{self, FlexOp};
use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};
use flowdiff_kernels::conv_kernel::{self, Geometry};

/// Configuration of a [`Conv2d`]: burn's `Conv2dConfig` (same defaults, same initialiser).
#[derive(Clone, Debug)]
pub struct Conv2dConfig(burn::nn::conv::Conv2dConfig);

impl Conv2dConfig {
    /// `channels = [in, out]`, `kernel_size = [kh, kw]`; stride 1, no padding, with bias.
    pub fn new(channels: [usize; 2], kernel_size: [usize; 2]) -> Self {
        Self(burn::nn::conv::Conv2dConfig::new(channels, kernel_size))
    }

    pub fn with_stride(self, stride: [usize; 2]) -> Self {
        Self(self.0.with_stride(stride))
    }

    pub fn with_padding(self, padding: PaddingConfig2d) -> Self {
        Self(self.0.with_padding(padding))
    }

    pub fn with_bias(self, bias: bool) -> Self {
        Self(self.0.with_bias(bias))
    }

    pub fn init(&self, device: &Device) -> Conv2d {
        let c = self.0.init(device);
        Conv2d {
            weight: c.weight,
            bias: c.bias,
            stride: c.stride,
            kernel_size: c.kernel_size,
            dilation: c.dilation,
            groups: c.groups,
            padding: c.padding,
        }
    }
}

/// A 2-D convolution with burn's `Conv2d` parameters: `weight: [out, in / groups, kh, kw]`,
/// `bias: [out]`.
#[derive(Module, Debug)]
pub struct Conv2d {
    pub weight: Param<Tensor<4>>,
    pub bias: Option<Param<Tensor<1>>>,
    pub stride: [usize; 2],
    pub kernel_size: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
    #[module(skip)]
    pub padding: PaddingConfig2d,
}

impl Conv2d {
    /// `[n, in, h, w]` → `[n, out, h', w']`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, c, h, w] = x.dims();
        let [(top, bottom), (left, right)] = self.padding_pairs(h, w);
        let weight = self.weight.val();
        let bias = self.bias.as_ref().map(|b| b.val());
        let plain = self.groups == 1 && self.dilation == [1, 1];
        let symmetric = top == bottom && left == right;
        let o = weight.dims()[0];
        let fast = (plain && symmetric)
            .then(|| Geometry::new([c, h, w], o, self.kernel_size, self.stride, [top, left]))
            .flatten()
            .and_then(|geo| fast_conv(&x, &weight, bias.as_ref(), geo));
        fast.unwrap_or_else(|| {
            let options = ConvOptions::new_with_padding(
                self.stride,
                [(top, bottom), (left, right)],
                self.dilation,
                self.groups,
            );
            conv2d(x, weight, bias, options)
        })
    }

    /// `[(top, bottom), (left, right)]` padding for an `h × w` input, as burn computes it
    /// (`Same`: total `max(0, (⌈n/s⌉ − 1)·s + k − n)`, the smaller half first).
    fn padding_pairs(&self, h: usize, w: usize) -> [(usize, usize); 2] {
        let same = |n: usize, k: usize, s: usize| {
            let out = n.div_ceil(s);
            let total = if out > 0 {
                ((out - 1) * s + k).saturating_sub(n)
            } else {
                0
            };
            (total / 2, total - total / 2)
        };
        let ([kh, kw], [sh, sw]) = (self.kernel_size, self.stride);
        match self.padding {
            PaddingConfig2d::Valid => [(0, 0), (0, 0)],
            PaddingConfig2d::Same => [same(h, kh, sh), same(w, kw, sw)],
            PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
        }
    }
}

/// The convolution as a [`FlexOp`] on `[x, weight, (bias)]`.
#[derive(Clone, Debug)]
struct ConvOp(Geometry);

impl FlexOp for ConvOp {
    fn kind(&self) -> &'static str {
        "conv"
    }

    /// `2·N·O·(C·kh·kw)·Ho·Wo`, the direct convolution's count (Winograd does fewer
    /// multiplications for the same result; the profile reports the work of the layer, not of
    /// the algorithm).
    fn flops(&self, inputs: &[&[f32]]) -> f64 {
        let g = &self.0;
        let n = inputs[0].len() / (g.c * g.h * g.w).max(1);
        2.0 * (n * g.o * g.rows() * g.ho * g.wo) as f64
    }

    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        let g = &self.0;
        let (x, w, b) = (inputs[0], inputs[1], inputs.get(2).copied());
        let sample = g.c * g.h * g.w;
        let fits =
            x.len() % sample == 0 && w.len() == g.o * g.rows() && b.is_none_or(|b| b.len() == g.o);
        fits.then(|| {
            let shape = vec![x.len() / sample, g.o, g.ho, g.wo];
            (conv_kernel::forward(g, x, w, b), shape)
        })
    }

    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>> {
        let (dx, dw, db) = conv_kernel::backward(&self.0, inputs[0], inputs[1], grad, needed[0]);
        let mut out = vec![dx, needed[1].then_some(dw)];
        if inputs.len() == 3 {
            out.push(needed[2].then_some(db));
        }
        out
    }
}

/// The convolution through [`conv_kernel`] when every tensor is an f32 flex tensor; `None`
/// otherwise.
fn fast_conv(
    x: &Tensor<4>,
    w: &Tensor<4>,
    b: Option<&Tensor<1>>,
    geo: Geometry,
) -> Option<Tensor<4>> {
    let mut inputs = vec![x.clone().into_dispatch(), w.clone().into_dispatch()];
    inputs.extend(b.map(|b| b.clone().into_dispatch()));
    flex_op::apply(ConvOp(geo), &inputs)
}

#[cfg(test)]
#[path = "conv_tests.rs"]
pub(in crate::nn) mod tests;
