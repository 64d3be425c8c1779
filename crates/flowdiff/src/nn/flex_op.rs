//! Custom differentiable operations on burn's flex CPU backend, written as raw f32 kernels
//! ([`FlexOp`]) and recorded as one autodiff node each, so that their backward is one
//! hand-written pass instead of burn's composition of generic tensor ops.
//!
//! [`apply`] runs an op when every input is an f32 tensor on flex (with autodiff under either
//! checkpointing strategy, or plain) and returns `None` otherwise (other backends, dtypes or
//! shapes the op does not handle), for the caller to fall back to burn's own operations.

use super::profile::{self, Pass};
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::{
    BalancedCheckpointing, CheckpointStrategy, NoCheckpointing,
};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, Backend, BackendTensor, DispatchKindConversion, DispatchTensor, Flex,
};
use burn::tensor::{DType, Shape, Tensor, TensorData};
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::OnceLock;

/// An operation on contiguous f32 buffers. `inputs[i]` has the shape of the `i`-th tensor
/// given to [`apply`]; the op carries whatever else it needs (sizes, options).
pub trait FlexOp: Clone + Send + Sync + Debug + 'static {
    /// The output and its shape, `None` if the inputs do not fit the op.
    fn forward(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)>;

    /// The gradient of every input with `needed[i]` set (same length as the input), given the
    /// output gradient `grad`.
    fn backward(&self, inputs: &[&[f32]], grad: &[f32], needed: &[bool]) -> Vec<Option<Vec<f32>>>;

    /// The forward when no backward will follow (plain tensors, or no input needs a gradient);
    /// ops that keep intermediate results for their backward skip that here.
    fn infer(&self, inputs: &[&[f32]]) -> Option<(Vec<f32>, Vec<usize>)> {
        self.forward(inputs)
    }

    /// The kind of work, as a [profile](super::profile) names it (`conv`, `linear`, ...).
    fn kind(&self) -> &'static str;

    /// Floating-point operations of the forward on these inputs (0: not counted). A backward
    /// that computes the gradients of both operands of a product costs twice the forward and
    /// is counted so.
    fn flops(&self, _inputs: &[&[f32]]) -> f64 {
        0.0
    }
}

/// `op(inputs)` as a flex tensor of rank `D` (tracked by autodiff when the inputs are), or
/// `None` when the inputs are not all f32 flex tensors or the op rejects them.
///
/// Setting the environment variable `FLOWDIFF_BURN_OPS=1` disables every such op (each caller
/// then runs burn's own), for comparisons.
pub fn apply<const D: usize>(op: impl FlexOp, inputs: &[DispatchTensor]) -> Option<Tensor<D>> {
    static DISABLED: OnceLock<bool> = OnceLock::new();
    if *DISABLED.get_or_init(|| std::env::var("FLOWDIFF_BURN_OPS").is_ok_and(|v| v == "1")) {
        return None;
    }
    if let Some(y) = tracked::<NoCheckpointing>(&op, inputs) {
        return Some(Tensor::from_primitive::<Autodiff<Flex>>(y));
    }
    if let Some(y) = tracked::<BalancedCheckpointing>(&op, inputs) {
        return Some(Tensor::from_primitive::<
            Autodiff<Flex, BalancedCheckpointing>,
        >(y));
    }
    let plain: Vec<FlexTensor> = inputs.iter().map(float::<Flex>).collect::<Option<_>>()?;
    Some(Tensor::from_primitive::<Flex>(run(&op, &plain, false)?))
}

/// Whether `t` is a flex tensor (plain or under autodiff), i.e. whether [`apply`] can run on it.
pub fn is_flex<const D: usize>(t: &Tensor<D>) -> bool {
    let d = t.clone().into_dispatch();
    float::<Autodiff<Flex>>(&d).is_some()
        || float::<Autodiff<Flex, BalancedCheckpointing>>(&d).is_some()
        || float::<Flex>(&d).is_some()
}

/// The values of a plain (not autodiff) f32 flex tensor, copied to contiguous order if they
/// are not; `None` on other backends and dtypes.
pub fn plain_values<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
    contiguous(&float::<Flex>(&t.clone().into_dispatch())?)
}

/// `data` of shape `shape` as a plain flex tensor.
pub fn plain_tensor<const D: usize>(data: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
    Tensor::from_primitive::<Flex>(flex(data, shape.to_vec()))
}

/// The contiguous f32 values of a flex tensor from [`plain_values`].
pub fn values(t: &FlexTensor) -> &[f32] {
    f32s(t)
}

/// The float primitive of `t` on backend `B`, if it lives there.
fn float<B: Backend>(t: &DispatchTensor) -> Option<FloatTensor<B>>
where
    DispatchTensor: DispatchKindConversion<B>,
{
    match <DispatchTensor as DispatchKindConversion<B>>::try_into_backend(t.clone()).ok()? {
        BackendTensor::Float(t) => Some(t),
        _ => None,
    }
}

/// A contiguous f32 copy-or-view of a flex tensor, `None` for other dtypes.
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

fn flex(data: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

/// The op's forward on flex tensors ([`FlexOp::infer`] unless `tracked`).
fn run(op: &impl FlexOp, inputs: &[FlexTensor], tracked: bool) -> Option<FlexTensor> {
    let inputs: Vec<FlexTensor> = inputs.iter().map(contiguous).collect::<Option<_>>()?;
    let slices: Vec<&[f32]> = inputs.iter().map(f32s).collect();
    let (y, shape) = profile::time(op.kind(), Pass::Forward, op.flops(&slices), || {
        if tracked {
            op.forward(&slices)
        } else {
            op.infer(&slices)
        }
    })?;
    Some(flex(y, shape))
}

type AdTensor<C> = FloatTensor<Autodiff<Flex, C>>;

/// The op as one node of `Autodiff<Flex, C>`, if the inputs live there.
fn tracked<C: CheckpointStrategy>(
    op: &impl FlexOp,
    inputs: &[DispatchTensor],
) -> Option<AdTensor<C>>
where
    DispatchTensor: DispatchKindConversion<Autodiff<Flex, C>>,
{
    let ads: Vec<AdTensor<C>> = inputs
        .iter()
        .map(float::<Autodiff<Flex, C>>)
        .collect::<Option<_>>()?;
    macro_rules! by_arity {
        ($($n:literal)*) => {
            match ads.len() {
                $($n => record::<C, $n, _>(op, &ads),)*
                _ => None,
            }
        };
    }
    by_arity!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17)
}

/// Runs the op on the inputs' primitives and, when any input requires a gradient, records an
/// [`OpNode`] that keeps (checkpoints) the inputs for the backward pass.
fn record<C: CheckpointStrategy, const N: usize, Op: FlexOp>(
    op: &Op,
    ads: &[AdTensor<C>],
) -> Option<AdTensor<C>> {
    let nodes: [NodeGuard; N] = std::array::from_fn(|i| ads[i].node());
    let primitives: Vec<FlexTensor> = ads.iter().map(|t| t.primitive().clone()).collect();
    let prep = OpNode::<Op>(PhantomData).prepare::<C>(nodes);
    Some(match prep.compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let y = run(op, &primitives, true)?;
            let ids = ads.iter().map(|t| prep.checkpoint(t)).collect();
            prep.finish((ids, op.clone()), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(run(op, &primitives, false)?),
    })
}

/// The autodiff node of a [`FlexOp`]; its state is the inputs' node ids and the op.
#[derive(Debug)]
struct OpNode<Op>(PhantomData<Op>);

impl<Op: FlexOp, const N: usize> Backward<Flex, N> for OpNode<Op> {
    type State = (Vec<NodeId>, Op);

    fn backward(
        self,
        ops: Ops<Self::State, N>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let grad = grads.consume::<Flex>(&ops.node);
        let grad = contiguous(&grad).expect("f32 output gradient");
        let (ids, op) = ops.state;
        let inputs: Vec<FlexTensor> = ids
            .into_iter()
            .map(|id| checkpointer.retrieve_node_output::<FlexTensor>(id))
            .map(|t| contiguous(&t).expect("f32 op input"))
            .collect();
        let slices: Vec<&[f32]> = inputs.iter().map(f32s).collect();
        let needed: Vec<bool> = ops.parents.iter().map(Option::is_some).collect();
        let input_grads = profile::time(op.kind(), Pass::Backward, 2.0 * op.flops(&slices), || {
            op.backward(&slices, f32s(&grad), &needed)
        });
        for ((parent, g), input) in ops.parents.into_iter().zip(input_grads).zip(&inputs) {
            if let (Some(node), Some(g)) = (parent, g) {
                let shape = input.layout().shape().clone();
                grads.register::<Flex>(node.id, flex(g, shape));
            }
        }
    }
}
