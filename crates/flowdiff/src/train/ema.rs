//! Exponential moving average of weights (Polyak & Juditsky 1992; used for sampling by
//! Ho et al. 2020, App. B with decay 0.9999). The average lives on the inference device.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use std::collections::HashMap;

/// Collects every float parameter of a module, flattened and detached from autodiff.
struct Collect(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().inner();
        let n = t.shape().num_elements();
        self.0.insert(param.id, t.reshape([n]));
    }
}

/// Moves each parameter towards the collected one: `e ← decay·e + (1 − decay)·p`.
struct Blend {
    current: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(cur) = self.current.remove(&param.id) else {
            return param;
        };
        let decay = self.decay;
        param.map(|e| {
            let shape = e.shape();
            e.mul_scalar(decay)
                .add(cur.reshape(shape).mul_scalar(1.0 - decay))
        })
    }
}

/// The EMA decay after `step` updates: `min(decay, (1 + step)/(10 + step))`, so the early
/// average is not dominated by the random initialisation.
pub fn warmed_decay(decay: f64, step: usize) -> f64 {
    decay.min((1.0 + step as f64) / (10.0 + step as f64))
}

/// Updates `ema` (an inference-device copy with the same parameter ids) towards `model`.
pub fn update<M: Module>(ema: M, model: &M, decay: f64) -> M {
    let mut collect = Collect(HashMap::new());
    model.visit(&mut collect);
    ema.map(&mut Blend {
        current: collect.0,
        decay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::MlpConfig;
    use burn::tensor::Device;

    fn first_weight(m: &crate::models::Mlp) -> Vec<f32> {
        let mut c = Collect(HashMap::new());
        m.visit(&mut c);
        let mut all: Vec<Vec<f32>> = c.0.into_values().map(crate::device::to_vec).collect();
        all.sort_by_key(|v| v.len()); // the test model's parameters all differ in size
        all.concat()
    }

    #[test]
    fn ema_moves_the_stated_fraction_towards_the_model() {
        let device = Device::flex();
        let cfg = MlpConfig {
            width: 8,
            depth: 1,
            time_dim: 4,
            ..MlpConfig::new(2)
        };
        let a = cfg.init(&device);
        // A copy with the same ids whose parameters are a's plus one (a blend with decay 0).
        let mut shifted = Collect(HashMap::new());
        a.visit(&mut shifted);
        let plus_one: HashMap<_, _> = shifted
            .0
            .into_iter()
            .map(|(k, v)| (k, v.add_scalar(1.0)))
            .collect();
        let target = a.clone().map(&mut Blend {
            current: plus_one,
            decay: 0.0,
        });
        let ema = update(a.clone(), &target, 0.75);
        for (e, x) in first_weight(&ema).iter().zip(first_weight(&a)) {
            assert!((e - (x + 0.25)).abs() < 1e-6);
        }
        assert_eq!(warmed_decay(0.999, 0), 0.1);
        assert_eq!(warmed_decay(0.999, 1_000_000), 0.999);
    }
}
