//! A trained network as a sampling [`Model`]: with the labels to generate and classifier-free
//! guidance for class-conditional networks, and the head(s) of a two-headed hybrid.

use crate::convert::Prediction;
use crate::hybrid::Head;
use crate::method::Method;
use crate::models::{Model, Network};
use crate::path::PathKind;
use burn::module::Module as _;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// A trained network together with what it predicts, and for class-conditional networks
/// the labels to generate and the classifier-free guidance weight `w`
/// (`(1 + w)·f(x, c) − w·f(x, ∅)`, Ho & Salimans 2022, eq. 6).
#[derive(Clone, Debug)]
pub struct NetModel {
    pub net: Network,
    pub prediction: Prediction,
    /// One label per generated row; `None` samples unconditionally.
    pub labels: Option<Vec<i64>>,
    pub guidance: f64,
    /// Apply the guidance only for flow times `tau` in `[lo, hi]` (Kynkäänniemi et al. 2024,
    /// "Applying guidance in a limited interval": guidance near noise collapses the samples
    /// onto a few modes, near data it adds little); outside it the plain conditional
    /// prediction, one network pass. `None`: everywhere.
    pub guidance_interval: Option<[f64; 2]>,
    /// For a two-headed hybrid: which head(s) to sample with, on which path.
    pub hybrid: Option<(Head, PathKind)>,
}

impl NetModel {
    pub fn new(net: Network, prediction: Prediction) -> Self {
        Self {
            net,
            prediction,
            labels: None,
            guidance: 0.0,
            guidance_interval: None,
            hybrid: None,
        }
    }

    /// The sampling model of a network trained by `method` (a hybrid samples with the mean
    /// of its two heads).
    pub fn for_method(net: Network, method: &Method) -> Self {
        let mut model = Self::new(net, method.prediction());
        if let Method::Hybrid { path, .. } = method {
            model.hybrid = Some((Head::Mean, *path));
        }
        model
    }

    /// The network's output (all heads), with classifier-free guidance applied.
    fn raw_output(&self, x: Tensor<2>, tau: f64) -> Tensor<2> {
        let n = x.dims()[0];
        let device = x.device();
        let t = Tensor::full([n, 1], tau as f32, &device);
        let (Some(labels), Some(null)) = (&self.labels, self.net.null_class()) else {
            return self.net.forward(x, t, None);
        };
        assert_eq!(labels.len(), n, "one label per row");
        let cond = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [n]), &device);
        let outside = self
            .guidance_interval
            .is_some_and(|[lo, hi]| tau < lo || tau > hi);
        if self.guidance == 0.0 || outside {
            return self.net.forward(x, t, Some(cond));
        }
        // One batched pass for the conditional and the null-class predictions.
        let both = Tensor::cat(vec![cond, Tensor::full([n], null as i64, &device)], 0);
        let out = self.net.forward(
            Tensor::cat(vec![x.clone(), x], 0),
            Tensor::cat(vec![t.clone(), t], 0),
            Some(both),
        );
        let d = out.dims()[1];
        let (c, u) = (out.clone().slice([0..n, 0..d]), out.slice([n..2 * n, 0..d]));
        c.mul_scalar(1.0 + self.guidance)
            .sub(u.mul_scalar(self.guidance))
    }
}

impl Model for NetModel {
    fn dim(&self) -> usize {
        self.net.dim()
    }
    fn prediction(&self) -> Prediction {
        self.prediction
    }
    fn predict(&self, x: Tensor<2>, tau: f64) -> Tensor<2> {
        let out = self.raw_output(x.clone(), tau);
        match self.hybrid {
            Some((head, path)) => head.velocity(out, x, path, tau),
            None => out,
        }
    }
    fn device(&self) -> Device {
        self.net.devices()[0].clone()
    }
    fn with_labels(&self, labels: Vec<i64>) -> Option<Box<dyn Model>> {
        self.net.null_class()?;
        Some(Box::new(Self {
            labels: Some(labels),
            ..self.clone()
        }))
    }
}
