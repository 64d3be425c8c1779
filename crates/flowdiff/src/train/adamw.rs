//! AdamW (Loshchilov & Hutter 2019, Alg. 2) exactly as burn's `AdamW` updates and records it
//! — `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `p ← p·(1 − η·λ) − η·m̂/(√v̂ + ε)` with the
//! bias corrections `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)` — but on the flex CPU backend as one
//! pass over each parameter instead of about a dozen tensor ops, each allocating its result.
//! The state is burn's `AdamWState`, so optimizer checkpoints are interchangeable; other
//! backends run burn's own step.

use crate::nn::flex_op::{plain_tensor, plain_values, values};
use burn::optim::{
    AdamW, AdamWConfig, AdamWState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::tensor::{Device, Tensor};
use flowdiff_kernels::adamw::{BETA_1, BETA_2, Coefs};

/// AdamW with weight decay `weight_decay`, fused on flex.
#[derive(Clone)]
pub struct FusedAdamW {
    burn: AdamW,
    weight_decay: f32,
}

impl FusedAdamW {
    pub fn new(weight_decay: f32) -> Self {
        Self {
            burn: AdamWConfig::new().with_weight_decay(weight_decay).build(),
            weight_decay,
        }
    }

    /// As a module optimizer (optionally with burn's gradient clipping).
    pub fn init(
        self,
        clip: Option<burn::optim::grad_clipping::GradientClippingConfig>,
    ) -> ModuleOptimizer {
        let optim = ModuleOptimizer::from(self);
        match clip {
            Some(c) => optim.with_grad_clipping(c.init()),
            None => optim,
        }
    }

    /// The fused step, `None` when the tensors are not plain f32 flex tensors.
    fn fused<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: &Tensor<D>,
        grad: &Tensor<D>,
        state: Option<&AdamWState<D>>,
    ) -> Option<(Tensor<D>, AdamWState<D>)> {
        let shape: [usize; D] = tensor.dims();
        let (p, g) = (plain_values(tensor)?, plain_values(grad)?);
        let (p, g) = (values(&p), values(&g));
        let moments = match state {
            Some(s) if s.momentum.max_moment_2.is_none() => Some((
                plain_values(&s.momentum.moment_1)?,
                plain_values(&s.momentum.moment_2)?,
                s.momentum.time,
            )),
            Some(_) => return None, // AMSGrad state: burn's step
            None => None,
        };
        let time = moments.as_ref().map_or(1, |m| m.2 + 1);
        let zeros = vec![0.0f32; if moments.is_some() { 0 } else { p.len() }];
        let (m, v) = match &moments {
            Some((m, v, _)) => (values(m), values(v)),
            None => (&zeros[..], &zeros[..]),
        };
        if g.len() != p.len() || m.len() != p.len() || v.len() != p.len() {
            return None;
        }
        let (c1, c2) = (
            1.0 - BETA_1.powi(time as i32),
            1.0 - BETA_2.powi(time as i32),
        );
        let coefs = Coefs {
            lr: lr as f32,
            keep: (1.0 - lr * self.weight_decay as f64) as f32,
            c1,
            c2,
        };
        let (p2, m2, v2) = flowdiff_kernels::adamw::step(p, g, m, v, coefs);
        let state = AdamWState::new(AdaptiveMomentumState::new(
            time,
            plain_tensor(m2, shape),
            plain_tensor(v2, shape),
        ));
        Some((plain_tensor(p2, shape), state))
    }
}

impl Optimizer for FusedAdamW {
    type State<const D: usize> = AdamWState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        match self.fused(lr, &tensor, &grad, state.as_ref()) {
            Some((t, s)) => (t, Some(s)),
            None => self.burn.step(lr, tensor, grad, state),
        }
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <AdamW as Optimizer>::to_device(state, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::Distribution;

    fn loss(l: &Linear, x: &Tensor<2>) -> Tensor<1> {
        l.forward(x.clone()).square().mean()
    }

    /// Ten steps of the fused optimizer give burn's AdamW weights, and a state saved by one
    /// resumes in the other.
    #[test]
    fn fused_adamw_matches_burn() {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(40, 30).init(&device);
        let x = Tensor::<2>::random([16, 40], Distribution::Normal(0.0, 1.0), &device);
        let run = |mut optim: ModuleOptimizer, steps: usize, mut model: Linear| {
            for k in 0..steps {
                let grads = GradientsParams::from_grads(loss(&model, &x).backward(), &model);
                model = optim.step(1e-2 / (k + 1) as f64, model, grads);
            }
            (model, optim)
        };
        let (ours, optim) = run(FusedAdamW::new(0.01).init(None), 10, layer.clone());
        let burn_optim = || AdamWConfig::new().with_weight_decay(0.01).init();
        let (theirs, _) = run(burn_optim(), 10, layer.clone());
        let diff = |a: &Linear, b: &Linear| {
            let d = a.weight.val().sub(b.weight.val()).abs().max();
            d.into_scalar::<f32>()
        };
        assert!(diff(&ours, &theirs) < 1e-6, "{}", diff(&ours, &theirs));
        assert!(diff(&ours, &layer) > 1e-3, "the weights moved");
        // burn's optimizer continues from the fused one's record.
        let resumed = burn_optim().load_record(optim.to_record());
        let (a, _) = run(resumed, 3, ours.clone());
        let (b, _) = run(optim, 3, ours);
        assert!(diff(&a, &b) < 1e-6);
    }
}
