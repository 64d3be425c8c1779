//! Scoring generated images, in one place: the small convolutional classifier they are scored
//! with ([`classify`]: training it; the network is [`crate::models::classifier`]), the metrics
//! in its feature space ([`metrics`]: FID, the Inception-score analogue, class coverage, each
//! beside its floor on real images) and the loaded scorer that `eval` and `bench` share
//! ([`scorer`]).

pub mod classify;
pub mod metrics;
pub mod scorer;

pub use classify::train_classifier;
pub use metrics::{ImageReport, evaluate_images};
pub use scorer::ImageScorer;
