//! The index geometry of a 2-D convolution (groups 1, dilation 1) on NCHW buffers: output
//! size, im2col and its adjoint, and the transposed convolution that gives the input gradient.
//!
//! `cols[(c·kh + i)·kw + j, oy·Wo + ox] = x[c, oy·sh + i − ph, ox·sw + j − pw]` (0 outside) is
//! the `[C·kh·kw, Ho·Wo]` im2col matrix of one sample `x: [C, H, W]`.

/// Shape of one convolution: input `[C, H, W]` per sample, `O` output channels, kernel,
/// stride and (symmetric) padding, output `[O, Ho, Wo]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub ho: usize,
    pub wo: usize,
}

impl Geometry {
    /// `Ho = (H + 2·ph − kh) / sh + 1` and likewise for `Wo`; `None` when the kernel does not
    /// fit.
    pub fn new(
        [c, h, w]: [usize; 3],
        o: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 2],
    ) -> Option<Self> {
        let out = |n: usize, k: usize, s: usize, p: usize| {
            (n + 2 * p >= k && s > 0).then(|| (n + 2 * p - k) / s + 1)
        };
        Some(Self {
            c,
            h,
            w,
            o,
            kernel,
            stride,
            pad,
            ho: out(h, kernel[0], stride[0], pad[0])?,
            wo: out(w, kernel[1], stride[1], pad[1])?,
        })
    }

    /// Rows of the im2col matrix: `C·kh·kw`.
    #[inline]
    pub fn rows(&self) -> usize {
        self.c * self.kernel[0] * self.kernel[1]
    }

    /// Output pixels per channel: `Ho·Wo`.
    #[inline]
    pub fn pixels(&self) -> usize {
        self.ho * self.wo
    }

    pub(super) fn input_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// For a stride-1 conv with `p ≤ k − 1`: the conv whose forward is this conv's input
    /// gradient, `∂x = conv(∂y, W′)` with `W′[c, o, i, j] = W[o, c, kh−1−i, kw−1−j]` and
    /// padding `k − 1 − p` (the full correlation with the flipped kernel).
    pub(super) fn transposed(&self) -> Option<Self> {
        let ok =
            self.stride == [1, 1] && self.pad[0] < self.kernel[0] && self.pad[1] < self.kernel[1];
        ok.then(|| {
            let pad = [
                self.kernel[0] - 1 - self.pad[0],
                self.kernel[1] - 1 - self.pad[1],
            ];
            Self::new([self.o, self.ho, self.wo], self.c, self.kernel, [1, 1], pad)
        })
        .flatten()
        .filter(|t| (t.ho, t.wo) == (self.h, self.w))
    }

    /// `W′` of [`Geometry::transposed`]: `[C, O, kh, kw]` from `W: [O, C, kh, kw]`.
    pub(super) fn flip_weight(&self, weight: &[f32]) -> Vec<f32> {
        let [kh, kw] = self.kernel;
        let mut flipped = vec![0.0f32; weight.len()];
        for (idx, &v) in weight.iter().enumerate() {
            let (o, c, i, j) = (
                idx / (self.c * kh * kw),
                idx / (kh * kw) % self.c,
                idx / kw % kh,
                idx % kw,
            );
            flipped[((c * self.o + o) * kh + kh - 1 - i) * kw + kw - 1 - j] = v;
        }
        flipped
    }

    /// A 1×1, stride-1, unpadded conv: the input sample already is its im2col matrix.
    pub(super) fn pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.pad == [0, 0]
    }

    /// Output columns `ox` whose input column `ox·sw + j − pw` lies inside `[0, W)`.
    fn valid_cols(&self, j: usize) -> (usize, usize) {
        let (s, p) = (self.stride[1], self.pad[1]);
        let lo = p.saturating_sub(j).div_ceil(s).min(self.wo);
        let hi = (self.w + p)
            .saturating_sub(j)
            .div_ceil(s)
            .min(self.wo)
            .max(lo);
        (lo, hi)
    }

    /// Input row `oy·sh + i − ph` of output row `oy`, if inside `[0, H)`.
    fn input_row(&self, oy: usize, i: usize) -> Option<usize> {
        (oy * self.stride[0] + i)
            .checked_sub(self.pad[0])
            .filter(|&r| r < self.h)
    }

    /// Stride 1 and an output the size of the input (`2·p = k − 1`): every im2col row is then
    /// the flattened plane shifted by `(i − ph)·W + (j − pw)`, up to its wrapped-around border
    /// columns.
    fn same_size(&self) -> bool {
        self.stride == [1, 1] && (self.ho, self.wo) == (self.h, self.w)
    }

    /// `ph·W + pw`, the flat shift of kernel position `(0, 0)`.
    fn offset(&self) -> isize {
        (self.pad[0] * self.w + self.pad[1]) as isize
    }

    /// `dst[k] = src[k + shift]`, 0 where `k + shift` falls outside `src`.
    fn shifted_copy(src: &[f32], dst: &mut [f32], shift: isize) {
        let n = dst.len() as isize;
        let start = (-shift).clamp(0, n);
        let end = (src.len() as isize - shift).clamp(start, n);
        let (start, end) = (start as usize, end as usize);
        dst[..start].fill(0.0);
        let from = (start as isize + shift) as usize;
        dst[start..end].copy_from_slice(&src[from..from + end - start]);
        dst[end..].fill(0.0);
    }

    /// Writes the im2col matrix of one sample `x: [C, H, W]` into `cols: [rows, pixels]` with
    /// row stride `ld` (`ld > pixels` places several samples side by side).
    pub(super) fn im2col(&self, x: &[f32], cols: &mut [f32], ld: usize) {
        let [kh, kw] = self.kernel;
        let (n, sw, pw) = (self.pixels(), self.stride[1], self.pad[1]);
        for r in 0..self.rows() {
            let row = &mut cols[r * ld..][..n];
            let (c, i, j) = (r / (kh * kw), r / kw % kh, r % kw);
            let plane = &x[c * self.h * self.w..][..self.h * self.w];
            let (lo, hi) = self.valid_cols(j);
            if self.same_size() {
                Self::shifted_copy(plane, row, (i * self.w + j) as isize - self.offset());
                // Entries of a valid column are right (or 0 outside the plane); the others
                // hold wrapped-around pixels of the neighbouring image row.
                for dst in row.chunks_exact_mut(self.w) {
                    dst[..lo].fill(0.0);
                    dst[hi..].fill(0.0);
                }
                continue;
            }
            for (oy, dst) in row.chunks_exact_mut(self.wo).enumerate() {
                let Some(iy) = self.input_row(oy, i) else {
                    dst.fill(0.0);
                    continue;
                };
                let src = &plane[iy * self.w..][..self.w];
                dst[..lo].fill(0.0);
                dst[hi..].fill(0.0);
                if sw == 1 {
                    dst[lo..hi].copy_from_slice(&src[lo + j - pw..hi + j - pw]);
                } else {
                    for (ox, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                        *d = src[ox * sw + j - pw];
                    }
                }
            }
        }
    }

    /// The adjoint of [`Geometry::im2col`]: adds `cols: [rows, pixels]` (row stride `ld`) onto
    /// `dx: [C, H, W]`.
    pub(super) fn col2im(&self, cols: &[f32], ld: usize, dx: &mut [f32]) {
        let [kh, kw] = self.kernel;
        let (n, sw, pw) = (self.pixels(), self.stride[1], self.pad[1]);
        for r in 0..self.rows() {
            let row = &cols[r * ld..][..n];
            let (c, i, j) = (r / (kh * kw), r / kw % kh, r % kw);
            let plane = &mut dx[c * self.h * self.w..][..self.h * self.w];
            let (lo, hi) = self.valid_cols(j);
            for (oy, src) in row.chunks_exact(self.wo).enumerate() {
                let Some(iy) = self.input_row(oy, i) else {
                    continue;
                };
                let dst = &mut plane[iy * self.w..][..self.w];
                if sw == 1 {
                    let dst = &mut dst[lo + j - pw..hi + j - pw];
                    for (d, s) in dst.iter_mut().zip(&src[lo..hi]) {
                        *d += s;
                    }
                } else {
                    for (ox, s) in src.iter().enumerate().take(hi).skip(lo) {
                        dst[ox * sw + j - pw] += s;
                    }
                }
            }
        }
    }
}
