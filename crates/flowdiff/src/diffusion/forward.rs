//! The forward (noising) process in closed form (Ho et al. 2020, eq. 4):
//! `x_i = sqrt(alpha_bar_i)·x_0 + sqrt(1 − alpha_bar_i)·eps` — one draw per step index,
//! not a chain of repeated small updates.

use crate::rng::SeededRng;
use crate::schedule::NoiseSchedule;
use burn::tensor::Tensor;

/// `x_i` for all rows at one step `i`, given noise `eps` of the same shape.
pub fn q_sample(schedule: &NoiseSchedule, x0: Tensor<2>, i: usize, eps: Tensor<2>) -> Tensor<2> {
    let ab = schedule.alpha_bars[i];
    x0.mul_scalar(ab.sqrt())
        .add(eps.mul_scalar((1.0 - ab).sqrt()))
}

/// Snapshots of the forward process at the given steps, sharing one noise draw so the
/// strip shows one trajectory fading into noise: `[(i, x_i)]`.
pub fn forward_snapshots(
    schedule: &NoiseSchedule,
    x0: Tensor<2>,
    steps: &[usize],
    rng: &mut SeededRng,
) -> Vec<(usize, Tensor<2>)> {
    let [n, d] = x0.dims();
    let eps = rng.normal_tensor(n, d, &x0.device());
    steps
        .iter()
        .map(|&i| (i, q_sample(schedule, x0.clone(), i, eps.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{tensor2, to_vec};
    use crate::schedule::ScheduleKind;
    use burn::tensor::Device;

    #[test]
    fn marginal_moments_match_the_closed_form() {
        // x0 = 2 everywhere: x_i ~ N(2·sqrt(ab), 1 - ab).
        let device = Device::flex();
        let s = NoiseSchedule::new(ScheduleKind::Linear, 1000);
        let n = 20000;
        let x0 = tensor2(vec![2.0; n], n, 1, &device);
        let snaps = forward_snapshots(&s, x0, &[0, 250, 999], &mut SeededRng::new(1));
        for (i, x) in snaps {
            let v = to_vec(x);
            let mean = v.iter().map(|a| *a as f64).sum::<f64>() / n as f64;
            let var = v.iter().map(|a| (*a as f64 - mean).powi(2)).sum::<f64>() / n as f64;
            let ab = s.alpha_bars[i];
            assert!(
                (mean - 2.0 * ab.sqrt()).abs() < 0.03,
                "step {i} mean {mean}"
            );
            assert!(
                (var - (1.0 - ab)).abs() < 0.03 + 0.05 * (1.0 - ab),
                "step {i} var {var}"
            );
        }
    }
}
