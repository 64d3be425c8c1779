//! Vectorisable f32 kernels for flowdiff's fused GroupNorm+SiLU, LayerNorm and MLP-chain ops (SiLU, the row kernels of LayerNorm, and the sums of the norms in eight
//! f32 lanes): the logistic sigmoid through
//! a branch-free `exp` (Cody–Waite range reduction `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`, and
//! Cephes' degree-6 polynomial for `e^r`, about 1 ulp). Each kernel is compiled for AVX2+FMA
//! and picked at run time, with a portable build of the same code as fallback.

/// `e^x` for `x ≤ 0` (inputs below −87 give `e^−87`, itself below every f32 `σ` resolution).
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    const ROUND_BITS: i32 = 0x4B40_0000; // bits of ROUND
    let x = x.max(-87.0);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    // `n` as an integer from the low mantissa bits of `t` (no float-to-int cast, which keeps
    // the loop from vectorising).
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_BITS);
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((ni + 127) as u32) << 23)
}

/// `σ(x) = 1 / (1 + e^{−x})`, as `e^{−|x|}`-based formulas on either side of 0 (no overflow).
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    let e = exp_nonpositive(-x.abs());
    let inv = 1.0 / (1.0 + e);
    if x >= 0.0 { inv } else { e * inv }
}

#[inline(always)]
fn silu_portable(x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x * sigmoid(x);
    }
}

#[inline(always)]
fn silu_backward_portable(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((d, &x), &g) in dx.iter_mut().zip(x).zip(dy) {
        let s = sigmoid(x);
        *d = g * s * (1.0 + x * (1.0 - s));
    }
}

#[inline(always)]
fn silu_keep_portable(x: &mut [f32], s: &mut [f32]) {
    for (x, s) in x.iter_mut().zip(s.iter_mut()) {
        *s = sigmoid(*x);
        *x *= *s;
    }
}

#[inline(always)]
fn silu_backward_kept_portable(g: &mut [f32], s: &[f32], h: &[f32]) {
    for ((g, &s), &h) in g.iter_mut().zip(s).zip(h) {
        *g *= s + h * (1.0 - s);
    }
}

/// `Σ_k f(x₁[k], …, x_K[k])` over the length of `xs[0]` (the others at least as long), in 8
/// f32 lanes, the lanes and the tail added in f64. The operands are taken eight at a time as
/// arrays, so the lanes compile to whole vector operations without per-element bounds checks.
#[inline(always)]
fn lane_sum<const K: usize>(xs: [&[f32]; K], f: impl Fn([f32; K]) -> f32) -> f64 {
    let n = xs.first().map_or(0, |x| x.len());
    let xs = xs.map(|x| &x[..n]);
    let full = n / 8 * 8;
    let mut acc = [0.0f32; 8];
    for base in (0..full).step_by(8) {
        let lanes = xs.map(|x| -> &[f32; 8] { x[base..base + 8].try_into().expect("8 values") });
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(lanes.map(|x| x[l]));
        }
    }
    let tail: f64 = (full..n).map(|k| f(xs.map(|x| x[k])) as f64).sum();
    acc.iter().map(|&a| a as f64).sum::<f64>() + tail
}

#[inline(always)]
fn sum_portable(x: &[f32]) -> f64 {
    lane_sum([x], |[x]| x)
}

#[inline(always)]
fn sum_sq_dev_portable(x: &[f32], m: f32) -> f64 {
    lane_sum([x], |[x]| (x - m) * (x - m))
}

#[inline(always)]
fn dot_dev_portable(x: &[f32], y: &[f32], m: f32) -> f64 {
    let y = &y[..x.len()];
    lane_sum([x, y], |[x, y]| (x - m) * y)
}

/// Mean and `1/√(σ² + ε)` (biased variance, two passes) of one row.
#[inline(always)]
fn row_stats(x: &[f32], eps: f32) -> (f32, f32) {
    let d = x.len();
    let mean = (lane_sum([x], |[x]| x) / d as f64) as f32;
    let var = lane_sum([x], |[x]| (x - mean) * (x - mean)) / d as f64;
    (mean, 1.0 / (var as f32 + eps).sqrt())
}

#[inline(always)]
fn layer_norm_rows_portable(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, y: &mut [f32]) {
    let d = gamma.len();
    let beta = &beta[..d];
    for (y, x) in y.chunks_exact_mut(d).zip(x.chunks_exact(d)) {
        let (mean, rstd) = row_stats(x, eps);
        for (((y, &x), &g), &b) in y.iter_mut().zip(x).zip(gamma).zip(beta) {
            *y = (x - mean) * rstd * g + b;
        }
    }
}

/// Per row: `∂x`; over rows: `Σ ∂y·x̂` and `Σ ∂y` added into `sum_dy_xhat` and `sum_dy`.
/// `xhat` is scratch of one row.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn layer_norm_backward_rows_portable(
    x: &[f32],
    gamma: &[f32],
    dy: &[f32],
    eps: f32,
    dx: &mut [f32],
    xhat: &mut [f32],
    sum_dy_xhat: &mut [f32],
    sum_dy: &mut [f32],
) {
    let d = gamma.len();
    let (xhat, sum_dy_xhat, sum_dy) = (&mut xhat[..d], &mut sum_dy_xhat[..d], &mut sum_dy[..d]);
    let rows = x.chunks_exact(d).zip(dy.chunks_exact(d));
    for ((x, dy), dx) in rows.zip(dx.chunks_exact_mut(d)) {
        let (mean, rstd) = row_stats(x, eps);
        for (h, &x) in xhat.iter_mut().zip(x) {
            *h = (x - mean) * rstd;
        }
        let mg = (lane_sum([gamma, dy], |[g, dy]| g * dy) / d as f64) as f32;
        let mgx = (lane_sum([gamma, dy, xhat], |[g, dy, h]| g * dy * h) / d as f64) as f32;
        for k in 0..d {
            dx[k] = rstd * (gamma[k] * dy[k] - mg - xhat[k] * mgx);
            sum_dy_xhat[k] += dy[k] * xhat[k];
            sum_dy[k] += dy[k];
        }
    }
}

/// Whether the AVX2+FMA builds run: the CPU has them and `FLOWDIFF_ISA` allows them
/// ([`crate::isa::active`]).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    crate::isa::active() >= crate::isa::Isa::Avx2
}

/// `pub fn $name(args) -> ret` running `$portable` compiled for AVX2+FMA when the CPU has
/// them, else its portable build.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident = $portable:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?) => {
        $(#[$doc])*
        #[inline]
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::vmath::has_avx2() {
                #[target_feature(enable = "avx2,fma")]
                fn fast($($arg: $ty),*) $(-> $ret)? {
                    $portable($($arg),*)
                }
                // SAFETY: the CPU supports AVX2 and FMA (checked above).
                return unsafe { fast($($arg),*) };
            }
            $portable($($arg),*)
        }
    };
}
pub(crate) use dispatch;

dispatch!(
    /// `y = x·σ(x)`.
    silu = silu_portable(x: &[f32], y: &mut [f32])
);
dispatch!(
    /// `dx = dy·σ(x)·(1 + x·(1 − σ(x)))`, the SiLU backward.
    silu_backward = silu_backward_portable(x: &[f32], dy: &[f32], dx: &mut [f32])
);
/// In place `x ← x·σ(x)`, keeping `s = σ(x)` for [`silu_backward_kept`]: the AVX-512 kernel
/// where the CPU has it ([`super::vmath_avx512`]), else the AVX2 or portable build.
#[inline]
pub fn silu_keep(x: &mut [f32], s: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::vmath_avx512::available() {
        let s = &mut s[..x.len()];
        // SAFETY: the CPU has AVX-512F (checked); `s` holds `x.len()` elements.
        return unsafe { super::vmath_avx512::silu_keep(x, &[], s.as_mut_ptr()) };
    }
    silu_keep_reference(x, s)
}

/// In place `x ← z·σ(z)`, `z = x + bias` (the bias added to every row of `bias.len()`).
#[inline]
pub fn silu_bias(x: &mut [f32], bias: &[f32]) {
    silu_bias_kept(x, bias, false);
}

/// [`silu_keep`] of `x + bias` (the bias added to every row of `bias.len()`), returning `σ`
/// in a fresh buffer (written without a zero fill first where AVX-512 runs it).
#[inline]
pub fn silu_kept(x: &mut [f32], bias: &[f32]) -> Vec<f32> {
    silu_bias_kept(x, bias, true)
}

/// [`silu_bias`], returning `σ` when `keep` (else an empty vector).
fn silu_bias_kept(x: &mut [f32], bias: &[f32], keep: bool) -> Vec<f32> {
    if x.is_empty() {
        return Vec::new();
    }
    assert!(
        !bias.is_empty() && x.len() % bias.len() == 0,
        "rows of the bias' length"
    );
    #[cfg(target_arch = "x86_64")]
    if super::vmath_avx512::available() {
        let mut s = Vec::with_capacity(if keep { x.len() } else { 0 });
        let sp = if keep {
            s.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: the CPU has AVX-512F (checked); `sp` is null (not written) or has room for
        // `x.len()` elements, all of which the kernel writes; `x.len()` is a multiple of
        // `bias.len() > 0` (asserted).
        unsafe {
            super::vmath_avx512::silu_keep(x, bias, sp);
            if keep {
                s.set_len(x.len());
            }
        }
        return s;
    }
    silu_bias_reference(x, bias, keep)
}

/// [`silu_bias_kept`] without the AVX-512 kernel: the bias added, then [`silu_keep_reference`].
fn silu_bias_reference(x: &mut [f32], bias: &[f32], keep: bool) -> Vec<f32> {
    for row in x.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
    }
    let mut s = vec![0.0; x.len()];
    silu_keep_reference(x, &mut s);
    if keep { s } else { Vec::new() }
}

dispatch!(
    /// [`silu_keep`] without the AVX-512 kernel (AVX2 or portable).
    silu_keep_reference = silu_keep_portable(x: &mut [f32], s: &mut [f32])
);
dispatch!(
    /// In place `g ← g·(s + h·(1 − s))`, the SiLU backward from the kept `s = σ(x)` and
    /// output `h = x·s` (`σ + x·σ·(1 − σ)` with `x·σ = h`; no `exp`).
    silu_backward_kept = silu_backward_kept_portable(g: &mut [f32], s: &[f32], h: &[f32])
);
dispatch!(
    /// Layer norm of each row of `d = γ.len()` values: `y = (x − μ)/√(σ² + ε)·γ + β`.
    layer_norm_rows = layer_norm_rows_portable(
        x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, y: &mut [f32]
    )
);
dispatch!(
    /// The layer-norm backward of rows of `d = γ.len()` values: writes `∂x` and adds
    /// `Σ_rows ∂y·x̂` and `Σ_rows ∂y` into the two sums (`xhat`: one row of scratch).
    layer_norm_backward_rows = layer_norm_backward_rows_portable(
        x: &[f32], gamma: &[f32], dy: &[f32], eps: f32, dx: &mut [f32], xhat: &mut [f32],
        sum_dy_xhat: &mut [f32], sum_dy: &mut [f32]
    )
);
dispatch!(
    /// `Σ x`.
    sum = sum_portable(x: &[f32]) -> f64
);
dispatch!(
    /// `Σ (x − m)²`.
    sum_sq_dev = sum_sq_dev_portable(x: &[f32], m: f32) -> f64
);
dispatch!(
    /// `Σ (x − m)·y`.
    dot_dev = dot_dev_portable(x: &[f32], y: &[f32], m: f32) -> f64
);

#[cfg(test)]
mod tests {
    /// SiLU with a bias, kept `σ` or not, against the definition in f64: the kernel this CPU
    /// runs and the fallback every other CPU runs.
    #[test]
    fn silu_with_bias_matches_the_definition() {
        let bias: Vec<f32> = (0..21).map(|j| j as f32 * 0.3 - 3.0).collect();
        let x: Vec<f32> = (0..21 * 9).map(|i| (i as f32 * 0.7).sin() * 12.0).collect();
        let exact = |i: usize| {
            let z = (x[i] + bias[i % 21]) as f64;
            let s = 1.0 / (1.0 + (-z).exp());
            (z * s, s)
        };
        let close = |a: f32, e: f64| (a as f64 - e).abs() <= 1e-6 * (1.0 + e.abs());
        type Run = fn(&mut [f32], &[f32], bool) -> Vec<f32>;
        let runs: [(&str, Run); 2] = [
            ("dispatched", super::silu_bias_kept),
            ("fallback", super::silu_bias_reference),
        ];
        for (name, run) in runs {
            for keep in [true, false] {
                let mut y = x.clone();
                let s = run(&mut y, &bias, keep);
                assert_eq!(s.len(), if keep { x.len() } else { 0 }, "{name}");
                for i in 0..x.len() {
                    let (h, sig) = exact(i);
                    assert!(close(y[i], h), "{name}: silu [{i}] {} vs {h}", y[i]);
                    assert!(
                        !keep || close(s[i], sig),
                        "{name}: σ [{i}] {} vs {sig}",
                        s[i]
                    );
                }
            }
        }
    }

    #[test]
    fn sigmoid_matches_std_to_float_rounding() {
        let mut worst = 0.0f32;
        for i in -16_000..=16_000 {
            let x = i as f32 * 0.005;
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            let err = ((super::sigmoid(x) as f64 - exact) / exact).abs() as f32;
            worst = worst.max(err);
        }
        assert!(worst < 5e-7, "max relative error {worst}");
        assert_eq!(super::sigmoid(-200.0), super::sigmoid(-87.0));
        assert_eq!(super::sigmoid(200.0), 1.0);
    }
}
