//! # flowdiff-kernels
//!
//! The CPU kernels under flowdiff's fused burn ops, over plain `f32` slices (no burn): GEMM
//! ([`matmul`], with [`matmul_narrow`]'s loops for a side of at most 4), vector math
//! ([`vmath`]: SiLU, LayerNorm rows, sums; AVX-512 and AVX2+FMA builds picked at run time),
//! 2-D convolution as im2col + GEMM ([`conv_kernel`]) or Winograd F(2×2, 3×3)
//! ([`conv_winograd`]), and the AdamW update ([`adamw`]). [`isa`] says which instruction
//! set runs (capped by `FLOWDIFF_ISA`); [`tune`] picks the convolution algorithm per shape by
//! timing the candidates once, cached on disk.
//!
//! Every `unsafe` block of the project lives in this crate, behind functions that check the
//! lengths and shapes they are given (or take them from the slices themselves), so no call
//! from safe code can read or write out of bounds. Each kernel is tested against its
//! definition.

pub mod adamw;
pub mod alloc;
pub mod attention;
mod attention_lanes;
pub mod conv_im2col;
pub mod conv_kernel;
pub mod conv_winograd;
mod gemm_forced;
pub mod isa;
pub mod matmul;
mod matmul_narrow;
#[cfg(test)]
mod testing;
pub mod tune;
pub mod vmath;
#[cfg(target_arch = "x86_64")]
mod vmath_avx512;
mod winograd_tiles;

pub use conv_im2col::Geometry;
pub use matmul::Mat;
