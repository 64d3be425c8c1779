//! The sampler table: defaults and refusals, every sampler on exact models, and the order of
//! the deterministic σ-space samplers.

use super::*;
use crate::convert::Prediction;
use crate::models::{ExactModel, GaussianMixture};
use crate::testing::assert_matches;
use burn::tensor::Device;

fn exact(method: &Method, data: &GaussianMixture, prediction: Prediction) -> ExactModel {
    ExactModel {
        data: data.clone(),
        path: method.path(),
        prediction,
        device: Device::flex(),
    }
}

fn parse(method: &Method, sampler: &str, nfe: usize) -> Sampler {
    SamplerSpec::new(sampler.parse().unwrap())
        .with_nfe(nfe)
        .build(method)
        .unwrap()
}

/// A spec from names, as a user types them.
fn named(
    m: &Method,
    s: Option<&str>,
    solver: Option<&str>,
    nfe: Option<usize>,
) -> crate::error::Result<Sampler> {
    let kind = s.map(str::parse).transpose()?;
    let solver = solver.map(str::parse).transpose()?;
    SamplerSpec {
        kind,
        solver,
        nfe,
        ..SamplerSpec::default()
    }
    .build(m)
}

#[test]
fn defaults_and_refusals() {
    let (d, f) = (Method::diffusion(), Method::flow());
    let p = named;
    assert_eq!(p(&d, None, None, None).unwrap().label(), "ddpm-1000");
    assert_eq!(p(&d, Some("ddim"), None, None).unwrap().label(), "ddim-50");
    assert_eq!(
        p(&f, None, None, Some(20)).unwrap().label(),
        "ode-midpoint-10"
    );
    assert_eq!(
        p(&f, None, None, None).unwrap().label(),
        "ode-dopri5-rtol1e-5"
    );
    assert_eq!(
        p(&d, None, Some("heun"), Some(21)).unwrap().label(),
        "ode-heun-10"
    );
    assert_eq!(
        p(&d, Some("heun"), None, Some(19)).unwrap().label(),
        "edm-heun-10"
    );
    assert_eq!(
        p(&f, Some("dpm-solver++"), None, Some(15)).unwrap().label(),
        "dpm-solver++-15"
    );
    let err = p(&f, Some("ddpm"), None, None).unwrap_err().to_string();
    assert!(err.contains("discrete-time diffusion sampler"), "{err}");
    assert!(p(&f, None, Some("dopri5"), Some(10)).is_err());
    assert!(
        p(&f, None, Some("rk9"), None)
            .unwrap_err()
            .to_string()
            .contains("tsit5")
    );
    assert!(
        p(&d, Some("ddim"), Some("rk4"), None)
            .unwrap_err()
            .to_string()
            .starts_with("solver: ")
    );
    let ot = Method::Flow {
        path: crate::path::PathKind::cond_ot(),
        coupling: crate::flow::Coupling::MinibatchOt,
        time_sampling: crate::flow::TimeSampling::Uniform,
    };
    let err = p(&ot, Some("euler-ancestral"), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("non-Gaussian"), "{err}");
    assert!(p(&ot, Some("ode"), Some("rk4"), Some(8)).is_ok());
}

/// Settings that used to be bent silently are refused, naming the field.
#[test]
fn out_of_range_settings_are_refused() {
    let (d, f) = (Method::diffusion(), Method::flow());
    let refused = |spec: SamplerSpec, m: &Method, field: &str| {
        let err = spec.build(m).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{field}: ")), "{err}");
    };
    refused(
        SamplerSpec::ode(SolverKind::Midpoint).with_nfe(0),
        &f,
        "nfe",
    );
    refused(SamplerSpec::ode(SolverKind::Rk4).with_nfe(3), &f, "nfe");
    refused(
        SamplerSpec::new(SamplerKind::Ddim).with_eta(-1.0),
        &d,
        "eta",
    );
    refused(
        SamplerSpec::new(SamplerKind::Ddim).with_eta(f64::NAN),
        &d,
        "eta",
    );
    refused(
        SamplerSpec::new(SamplerKind::Ddim).with_nfe(1001),
        &d,
        "nfe",
    );
    refused(
        SamplerSpec::ode(SolverKind::Dopri5).with_tolerance(0.0, 0.0),
        &f,
        "tolerances",
    );
    refused(
        SamplerSpec::ode(SolverKind::Dopri5).with_tolerance(-1.0, 1e-5),
        &f,
        "tolerances",
    );
    refused(
        SamplerSpec::ode(SolverKind::Dopri5).with_tolerance(f64::NAN, 1e-5),
        &f,
        "tolerances",
    );
    // rk4 with a budget of 4 takes one step of 4 evaluations.
    let s = SamplerSpec::ode(SolverKind::Rk4)
        .with_nfe(4)
        .build(&f)
        .unwrap();
    assert_eq!(s.steps(), 1);
}

#[test]
fn every_sigma_space_sampler_reproduces_the_target_for_both_methods() {
    let data = GaussianMixture::eight_gaussians();
    for (method, prediction) in [
        (Method::diffusion(), Prediction::Noise),
        (Method::flow(), Prediction::Velocity),
    ] {
        let model = exact(&method, &data, prediction);
        for (name, nfe) in [
            ("dpm-solver++", 20),
            ("dpm-solver++3m", 20),
            ("unipc", 20),
            ("euler", 100),
            ("heun", 39),
            ("euler-ancestral", 200),
            ("heun-churn", 79),
        ] {
            let s = parse(&method, name, nfe);
            let sol = s
                .run(&method, &model, 4000, &mut SeededRng::new(1), false)
                .unwrap();
            assert!(sol.nfe <= nfe + 1, "{} used {} NFE", s.label(), sol.nfe);
            let label = format!("{} {}", method.name(), s.label());
            assert_matches(
                &label,
                &crate::device::to_vec(sol.x),
                &data,
                0.12,
                0.08,
                1.6,
            );
        }
    }
}

#[test]
fn tsit5_and_bosh3_sample_flow_models() {
    let data = GaussianMixture::rotated_gaussian_2d([1.0, -2.0], [2.0, 0.5], 0.6);
    let method = Method::flow();
    let model = exact(&method, &data, Prediction::Velocity);
    for solver in ["bosh3", "tsit5"] {
        let s = SamplerSpec::ode(solver.parse().unwrap())
            .with_tolerance(1e-4, 1e-4)
            .build(&method)
            .unwrap();
        let sol = s
            .run(&method, &model, 4000, &mut SeededRng::new(2), false)
            .unwrap();
        assert_matches(
            solver,
            &crate::device::to_vec(sol.x),
            &data,
            0.12,
            0.08,
            1.6,
        );
    }
}

/// Max distance between the samples of a sampler and of a reference from the same noise.
fn path_error(method: &Method, model: &ExactModel, sampler: Sampler, reference: &[f32]) -> f64 {
    let x = crate::device::to_vec(
        sampler
            .run(method, model, 200, &mut SeededRng::new(3), false)
            .unwrap()
            .x,
    );
    x.iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs() as f64)
        .fold(0.0, f64::max)
}

#[test]
fn deterministic_sigma_samplers_show_their_order() {
    // Same initial noise (same seed): the deterministic samplers all discretise one ODE, so
    // their error against a fine reference shrinks as steps^-order.
    let data = GaussianMixture::rotated_gaussian_2d([0.5, -0.5], [1.5, 0.4], 0.3);
    let method = Method::flow();
    let model = exact(&method, &data, Prediction::Velocity);
    let reference = crate::device::to_vec(
        Sampler::Heun { steps: 2000 }
            .run(&method, &model, 200, &mut SeededRng::new(3), false)
            .unwrap()
            .x,
    );
    for (make, order, n) in [
        (
            Box::new(|k| Sampler::Euler { steps: k }) as Box<dyn Fn(usize) -> Sampler>,
            1.0,
            40,
        ),
        (Box::new(|k| Sampler::Heun { steps: k }), 2.0, 20),
        (Box::new(|k| Sampler::DpmSolverPp { steps: k }), 2.0, 20),
        (Box::new(|k| Sampler::DpmSolverPp3M { steps: k }), 3.0, 10),
        (Box::new(|k| Sampler::UniPc { steps: k }), 3.0, 20),
    ] {
        let (e1, e2) = (
            path_error(&method, &model, make(n), &reference),
            path_error(&method, &model, make(2 * n), &reference),
        );
        let observed = (e1 / e2).log2();
        println!(
            "{}: {e1:.2e} -> {e2:.2e}, order {observed:.2}",
            make(n).family()
        );
        assert!(
            observed > order - 0.4,
            "{}: errors {e1:.2e} -> {e2:.2e}, observed order {observed:.2}",
            make(n).family()
        );
    }
}

/// Guidance limited to an interval of flow time: inside it the guided prediction
/// `(1 + w)·f(x, c) − w·f(x, ∅)`, outside it the plain conditional one.
#[test]
fn guidance_applies_only_inside_its_interval() {
    use crate::models::{Model, UNetConfig};
    let device = crate::device::default();
    let net = crate::models::Network::UNet(UNetConfig::mnist(Some(10)).init(&device));
    let mut rng = crate::rng::SeededRng::new(5);
    let x = crate::device::tensor2(rng.normal_vec(2 * 784), 2, 784, &device);
    let model = |w: f64, interval: Option<[f64; 2]>| NetModel {
        labels: Some(vec![3, 7]),
        guidance: w,
        guidance_interval: interval,
        ..NetModel::new(net.clone(), crate::convert::Prediction::Velocity)
    };
    let at = |m: &NetModel, tau: f64| crate::device::to_vec(m.predict(x.clone(), tau));
    let gap = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max)
    };
    let limited = model(2.0, Some([0.4, 0.6]));
    for (tau, inside) in [(0.2, false), (0.5, true), (0.9, false)] {
        let (plain, guided) = (at(&model(0.0, None), tau), at(&model(2.0, None), tau));
        assert!(
            gap(&plain, &guided) > 1e-4,
            "guidance changes the prediction at {tau}"
        );
        let want = if inside { guided } else { plain };
        assert!(
            gap(&at(&limited, tau), &want) < 1e-6,
            "tau {tau}, inside {inside}"
        );
    }
}
