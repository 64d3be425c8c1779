//! Image sampling helpers shared by `train` (periodic grids), `sample` and `demo`.

use flowdiff::data::images::to_unit;
use flowdiff::grid::{Grid, write};
use flowdiff::method::Method;
use flowdiff::models::{Network, NetworkConfig};
use flowdiff::rng::SeededRng;
use flowdiff::sampling::NetModel;
use flowdiff::sampling::Sampler;
use std::path::Path;

/// Labels for a class grid: `per_class` of each class, class-major.
pub fn class_labels(classes: usize, per_class: usize) -> Vec<i64> {
    (0..classes as i64)
        .flat_map(|c| std::iter::repeat_n(c, per_class))
        .collect()
}

/// Samples a 10×10 grid (one row per class for conditional networks) and writes it as PNG.
#[allow(clippy::too_many_arguments)]
pub fn sample_grid(
    method: &Method,
    cfg: &NetworkConfig,
    net: Network,
    per_row: usize,
    guidance: f64,
    seed: u64,
    path: &Path,
    caption: &str,
) -> flowdiff::Result<()> {
    let Some([c, h, w]) = cfg.image_shape() else {
        return Err(flowdiff::Error::msg("sample grids are for image models"));
    };
    let mut model = NetModel::for_method(net, method);
    let (n, row_labels) = match cfg.num_classes() {
        Some(k) => {
            model.labels = Some(class_labels(k, per_row));
            model.guidance = guidance;
            (k * per_row, Some((0..k).map(|c| c.to_string()).collect()))
        }
        None => (per_row * per_row, None),
    };
    let x = Sampler::preview(method)
        .run(
            method,
            &model,
            n,
            &mut SeededRng::new(seed).fork("preview"),
            false,
        )?
        .x;
    let images = to_unit(&flowdiff::device::to_vec(x));
    write(
        path,
        &Grid {
            images: &images,
            channels: c,
            height: h,
            width: w,
            cols: per_row,
            row_labels,
            caption: Some(caption.to_string()),
            scale: 2,
        },
    )
}
