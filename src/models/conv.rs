//! A drop-in replacement for burn's `Conv2d` that is fast to train on the flex CPU backend.
//!
//! `y[b, o] = bias[o] + Σ_{c,i,j} W[o, c, i, j] · x[b, c, oy·sh + i − ph, ox·sw + j − pw]`,
//! exactly burn's convolution. Burn's generic backward computes `∂W` as a convolution of the
//! input with the whole output-gradient map as its kernel, and `∂x` as a transposed
//! convolution; on flex both are several times slower than the forward. Here the forward and
//! both gradients are one GEMM per sample over that sample's im2col matrix
//! ([`super::conv_kernel`]), with a hand-written autodiff node, whenever the tensors live on
//! flex (plain or autodiff) in f32 with groups 1, dilation 1 and symmetric padding. Everything
//! else (other backends and dtypes, grouped/dilated convs) goes to burn's `conv2d` unchanged.
//!
//! The module has burn's `Conv2d` fields, record layout and initialisation ([`Conv2dConfig`]
//! wraps burn's config and calls its `init`), so checkpoints stay interchangeable.

use super::conv_kernel::{self, Geometry};
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::{
    BalancedCheckpointing, CheckpointStrategy, NoCheckpointing,
};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, DispatchKindConversion, DispatchTensor, Flex};
use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Device, Tensor, TensorData};

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
        let fast = (self.groups == 1 && self.dilation == [1, 1])
            .then_some(())
            .filter(|_| top == bottom && left == right)
            .and_then(|_| {
                let o = weight.dims()[0];
                Geometry::new([c, h, w], o, self.kernel_size, self.stride, [top, left])
            })
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
            let total = ((n.div_ceil(s).max(1) - 1) * s + k).saturating_sub(n);
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

/// The convolution through [`conv_kernel`] when every tensor is an f32 flex tensor (autodiff
/// with either checkpointing strategy, or plain); `None` otherwise.
fn fast_conv(
    x: &Tensor<4>,
    w: &Tensor<4>,
    b: Option<&Tensor<1>>,
    geo: Geometry,
) -> Option<Tensor<4>> {
    tracked::<NoCheckpointing>(x, w, b, geo)
        .or_else(|| tracked::<BalancedCheckpointing>(x, w, b, geo))
        .or_else(|| {
            let x = x.clone().try_into_primitive::<Flex>().ok()?;
            let w = w.clone().try_into_primitive::<Flex>().ok()?;
            let b = match b {
                Some(b) => Some(b.clone().try_into_primitive::<Flex>().ok()?),
                None => None,
            };
            let y = forward(&x, &w, b.as_ref(), &geo)?;
            Some(Tensor::from_primitive::<Flex>(y))
        })
}

/// A contiguous f32 view of a flex tensor (copying a strided one), `None` for other dtypes.
fn contiguous(t: &FlexTensor) -> Option<FlexTensor> {
    match (t.dtype(), t.as_slice::<f32>()) {
        (DType::F32, Some(_)) => Some(t.clone()),
        (DType::F32, None) => Some(t.to_contiguous()),
        _ => None,
    }
}

fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 tensor")
}

/// The forward kernel on flex tensors, `None` unless all are f32 with the expected sizes.
fn forward(
    x: &FlexTensor,
    w: &FlexTensor,
    b: Option<&FlexTensor>,
    g: &Geometry,
) -> Option<FlexTensor> {
    let (x, w) = (contiguous(x)?, contiguous(w)?);
    let b = match b {
        Some(b) => Some(contiguous(b)?),
        None => None,
    };
    let (xs, ws) = (f32s(&x), f32s(&w));
    let sample = g.c * g.h * g.w;
    if ws.len() != g.o * g.rows() || b.as_ref().is_some_and(|b| f32s(b).len() != g.o) {
        return None;
    }
    let n = xs.len() / sample;
    let y = conv_kernel::forward(g, xs, ws, b.as_ref().map(f32s));
    let shape = [n, g.o, g.ho, g.wo];
    Some(FlexTensor::from_data(TensorData::new(y, shape)))
}

type AdTensor<C> = FloatTensor<Autodiff<Flex, C>>;

/// The convolution as one autodiff node on `Autodiff<Flex, C>`, `None` when the tensors are
/// not on that backend.
fn tracked<C: CheckpointStrategy>(
    x: &Tensor<4>,
    w: &Tensor<4>,
    b: Option<&Tensor<1>>,
    geo: Geometry,
) -> Option<Tensor<4>>
where
    DispatchTensor: DispatchKindConversion<Autodiff<Flex, C>>,
{
    let x = x.clone().try_into_primitive::<Autodiff<Flex, C>>().ok()?;
    let w = w.clone().try_into_primitive::<Autodiff<Flex, C>>().ok()?;
    let y = match b {
        Some(b) => {
            let b = b.clone().try_into_primitive::<Autodiff<Flex, C>>().ok()?;
            let run = || forward(x.primitive(), w.primitive(), Some(b.primitive()), &geo);
            record::<C, 3>([x.node(), w.node(), b.node()], &x, &w, geo, run)?
        }
        None => {
            let run = || forward(x.primitive(), w.primitive(), None, &geo);
            record::<C, 2>([x.node(), w.node()], &x, &w, geo, run)?
        }
    };
    Some(Tensor::from_primitive::<Autodiff<Flex, C>>(y))
}

/// Runs `run` and, when any input requires a gradient, records a [`ConvBackward`] node with
/// parents `[x, weight, (bias)]`.
fn record<C: CheckpointStrategy, const N: usize>(
    nodes: [NodeGuard; N],
    x: &AdTensor<C>,
    w: &AdTensor<C>,
    geo: Geometry,
    run: impl FnOnce() -> Option<FlexTensor>,
) -> Option<AdTensor<C>>
where
    ConvBackward: Backward<Flex, N, State = (NodeId, NodeId, Geometry)>,
{
    Some(
        match ConvBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(x), prep.checkpoint(w), geo);
                prep.finish(state, run()?)
            }
            OpsKind::UnTracked(prep) => prep.finish(run()?),
        },
    )
}

/// Backward of the convolution node: `∂x`, `∂W`, `∂bias` from [`conv_kernel::backward`].
#[derive(Debug)]
struct ConvBackward;

impl<const N: usize> Backward<Flex, N> for ConvBackward {
    type State = (NodeId, NodeId, Geometry);

    fn backward(
        self,
        ops: Ops<Self::State, N>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (x_id, w_id, geo) = ops.state;
        let x = checkpointer.retrieve_node_output::<FlexTensor>(x_id);
        let w = checkpointer.retrieve_node_output::<FlexTensor>(w_id);
        let [x, w, grad] = [&x, &w, &grad].map(|t| contiguous(t).expect("f32 conv tensors"));
        let mut parents = ops.parents.into_iter();
        let (node_x, node_w, node_b) = (
            parents.next().flatten(),
            parents.next().flatten(),
            parents.next().flatten(),
        );
        let (xs, ws, gs) = (f32s(&x), f32s(&w), f32s(&grad));
        let (dx, dw, db) = conv_kernel::backward(&geo, xs, ws, gs, node_x.is_some());
        let n = xs.len() / (geo.c * geo.h * geo.w);
        let tensor =
            |v: Vec<f32>, shape: Vec<usize>| FlexTensor::from_data(TensorData::new(v, shape));
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, tensor(dx, vec![n, geo.c, geo.h, geo.w]));
        }
        if let Some(node) = node_w {
            let shape = vec![geo.o, geo.c, geo.kernel[0], geo.kernel[1]];
            grads.register::<Flex>(node.id, tensor(dw, shape));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, tensor(db, vec![geo.o]));
        }
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
