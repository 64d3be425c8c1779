//! Fixed performance workloads, the same as `bench/reference_torch.py` runs in PyTorch, for
//! `flowdiff bench --workload NAME`: each builds its network on a device, runs a warm-up, then
//! times `repeats` repeats of a fixed amount of work and reports the median rate.
//!
//! Adding a workload: write `fn(&Device, iters) -> Prepared` (the closure in [`Prepared::run`]
//! does one repeat's work and waits for the device before it returns; [`train_repeat`] and
//! [`forward_repeat`] cover train steps and forward passes), list it in [`WORKLOADS`] with its
//! default iterations per repeat, and add the same network and work to
//! `bench/reference_torch.py` (the table script asserts that the parameter counts, batch and
//! iterations agree).

pub mod graph;
pub mod mlp;
pub mod profile;
pub mod unet;
pub mod unet_small;

use crate::device::Selected;
use crate::error::{Result, bail};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use serde::Serialize;
use std::time::Instant;

/// One workload: its name, default iterations per repeat, and how to build it (`None`: not
/// available yet).
pub struct Workload {
    pub name: &'static str,
    pub iters: usize,
    prepare: Option<fn(&Device, usize) -> Prepared>,
}

/// Every workload, in table order. Iterations per repeat are sized for a repeat of roughly a
/// second on two CPU cores.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "mlp-train",
        iters: 100,
        prepare: Some(mlp::train),
    },
    Workload {
        name: "mlp-sample",
        iters: 1,
        prepare: Some(mlp::sample),
    },
    Workload {
        name: "unet-small-train",
        iters: 5,
        prepare: Some(unet_small::train),
    },
    Workload {
        name: "unet-small-forward",
        iters: 2,
        prepare: Some(unet_small::forward),
    },
    Workload {
        name: "unet-train",
        iters: 2,
        prepare: Some(unet::train),
    },
    Workload {
        name: "unet-forward",
        iters: 1,
        prepare: Some(unet::forward),
    },
    Workload {
        name: "unet-rgb-train",
        iters: 1,
        prepare: Some(unet::train_rgb),
    },
    Workload {
        name: "graph-train",
        iters: 5,
        prepare: Some(graph::train),
    },
];

/// A built workload: its network size and one repeat's work.
pub struct Prepared {
    pub params: usize,
    /// What [`Report::per_second`] counts per second.
    pub unit: &'static str,
    /// Units of work done by one call of `run`.
    pub units_per_repeat: f64,
    pub batch: usize,
    pub iters: usize,
    pub run: Box<dyn FnMut() -> Result<()>>,
}

/// How to time a workload.
#[derive(Clone, Debug)]
pub struct Options {
    pub repeats: usize,
    pub warmup: usize,
    /// Iterations per repeat (default: the workload's).
    pub iters: Option<usize>,
    /// Also gather where the timed repeats' time went ([`profile::Profile`]).
    pub profile: bool,
}

/// What `flowdiff bench --workload NAME --json` prints.
#[derive(Serialize, Clone, Debug)]
pub struct Report {
    pub workload: String,
    pub backend: String,
    pub device: String,
    pub params: usize,
    /// Median over the repeats.
    pub per_second: f64,
    pub unit: String,
    /// Rate of each timed repeat.
    pub repeats: Vec<f64>,
    pub batch: usize,
    pub iters: usize,
    /// CPU threads of the backend's pool (`None` on a GPU).
    pub threads: Option<usize>,
    /// The instruction set flowdiff's CPU kernels ran (`FLOWDIFF_ISA` caps it).
    pub isa: String,
    /// Whether the kernels' algorithm choices were autotuned (`FLOWDIFF_AUTOTUNE=0`: fixed).
    pub autotune: bool,
    /// Where the time went, with `--profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<profile::Profile>,
}

/// The workload called `name`.
pub fn find(name: &str) -> Result<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name).ok_or_else(|| {
        let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        crate::error::err!("unknown workload {name:?} (known: {})", names.join(", "))
    })
}

/// Builds and times workload `name` on `selected`.
pub fn run(name: &str, selected: &Selected, opts: &Options) -> Result<Report> {
    let workload = find(name)?;
    let Some(prepare) = workload.prepare else {
        bail!(
            "workload {name:?} is not yet available: the molecule model's train step has not \
             been added to src/workload/"
        );
    };
    if opts.repeats == 0 || opts.iters == Some(0) {
        bail!("repeats and iters must be positive");
    }
    crate::device::on_pool(|| time(name, selected, opts, prepare, workload.iters))
}

/// Prepares and times the workload (on a worker of the CPU pool, see [`run`]).
fn time(
    name: &str,
    selected: &Selected,
    opts: &Options,
    prepare: fn(&burn::tensor::Device, usize) -> Prepared,
    default_iters: usize,
) -> Result<Report> {
    let device = &selected.device;
    device.seed(0);
    let mut prepared = prepare(device, opts.iters.unwrap_or(default_iters));
    for _ in 0..opts.warmup {
        (prepared.run)()?;
    }
    let mut rates = Vec::with_capacity(opts.repeats);
    let mut timed = 0.0;
    crate::nn::profile::enable(opts.profile);
    for _ in 0..opts.repeats {
        let start = Instant::now();
        let done = (prepared.run)();
        let took = start.elapsed().as_secs_f64();
        if let Err(e) = done {
            crate::nn::profile::enable(false);
            return Err(e);
        }
        timed += took;
        rates.push(prepared.units_per_repeat / took);
    }
    let profile = opts.profile.then(|| {
        let rows = crate::nn::profile::rows();
        crate::nn::profile::enable(false);
        let iterations = opts.repeats * prepared.iters;
        profile::Profile::new(rows, timed / iterations as f64, iterations)
    });
    Ok(Report {
        workload: name.to_string(),
        backend: selected.backend.to_string(),
        device: selected.kind.to_string(),
        params: prepared.params,
        per_second: median(&rates),
        unit: prepared.unit.to_string(),
        repeats: rates,
        batch: prepared.batch,
        iters: prepared.iters,
        threads: selected.threads(),
        isa: flowdiff_kernels::isa::active().name().to_string(),
        autotune: flowdiff_kernels::tune::Tuner::global().enabled(),
        profile,
    })
}

/// Median (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Learning rate of every train workload (AdamW, burn's defaults otherwise: betas 0.9/0.999,
/// eps 1e-5, weight decay 1e-4; the PyTorch reference sets the same).
pub const LR: f64 = 1e-3;

/// A model and its AdamW state, stepped `k` times per repeat.
pub struct Trainer<M> {
    model: Option<M>,
    optim: ModuleOptimizer,
}

impl<M: Module> Trainer<M> {
    pub fn new(model: M) -> Self {
        Self {
            model: Some(model),
            optim: crate::train::adamw::FusedAdamW::new(1e-4).init(None),
        }
    }

    /// `k` optimisation steps of `loss`; reads the last loss back (waiting for the device)
    /// and fails if it is not finite.
    pub fn steps(&mut self, k: usize, loss: impl Fn(&M) -> Tensor<1>) -> Result<()> {
        let mut model = self.model.take().expect("model present between repeats");
        let mut last = None;
        for _ in 0..k {
            let l = loss(&model);
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = self.optim.step(LR, model, grads);
            last = Some(l);
        }
        self.model = Some(model);
        let value = last.map_or(0.0, |l| l.into_scalar::<f32>());
        if !value.is_finite() {
            bail!("workload loss is {value}");
        }
        Ok(())
    }
}

/// A training workload: `iters` AdamW steps of `loss` on `model` per repeat (batch `batch`);
/// rate in steps per second.
pub fn train_repeat<M: Module + 'static>(
    model: M,
    batch: usize,
    iters: usize,
    loss: impl Fn(&M) -> Tensor<1> + 'static,
) -> Prepared {
    let params = model.num_params();
    let mut trainer = Trainer::new(model);
    Prepared {
        params,
        unit: "steps/s",
        units_per_repeat: iters as f64,
        batch,
        iters,
        run: Box::new(move || trainer.steps(iters, &loss)),
    }
}

/// A forward-pass workload: `iters` calls of `forward` (which reduces its output to a
/// scalar), each read back so the device has finished; rate in images per second.
pub fn forward_repeat(
    params: usize,
    batch: usize,
    iters: usize,
    forward: impl Fn() -> Tensor<1> + 'static,
) -> Prepared {
    Prepared {
        params,
        unit: "images/s",
        units_per_repeat: (batch * iters) as f64,
        batch,
        iters,
        run: Box::new(move || {
            for _ in 0..iters {
                forward().into_scalar::<f32>();
            }
            Ok(())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_runs_once_on_the_cpu() {
        let selected = crate::device::select("cpu").unwrap();
        let opts = Options {
            repeats: 1,
            warmup: 0,
            iters: Some(1),
            profile: true,
        };
        for w in WORKLOADS.iter().filter(|w| w.prepare.is_some()) {
            let r = run(w.name, &selected, &opts).unwrap();
            assert!(r.per_second > 0.0 && r.params > 0, "{r:?}");
            // Every workload runs fused ops, each of which the profile sees.
            let p = r.profile.expect("profiled");
            assert!(
                !p.rows.is_empty() && p.step_gflops > 0.0,
                "{}: {p:?}",
                w.name
            );
        }
        assert!(run("nope", &selected, &opts).is_err());
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
