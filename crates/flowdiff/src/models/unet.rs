//! The image U-Net (Ronneberger et al. 2015) in the form DDPM uses (Ho et al. 2020, App. B;
//! Dhariwal & Nichol 2021): residual blocks with GroupNorm and SiLU, the time embedding (and an
//! optional class embedding with a learned null class for classifier-free guidance, Ho &
//! Salimans 2022) added in every block, self-attention at the lowest resolutions, strided-conv
//! downsampling, nearest-neighbour upsampling, skip connections and dropout.
//!
//! Shapes: `x: [n, c·h·w]` (flat, as every sampler sees it), `t: [n, 1]` flow times,
//! `labels: [n]` class indices (`num_classes` = null) → `[n, c·h·w]`.

use crate::nn::conv::{Conv2d, Conv2dConfig};
use crate::nn::dropout::dropout;
use crate::nn::embedding::sinusoidal;
use crate::nn::linear::linear;
use crate::nn::norm_act::{GroupNorm, GroupNormConfig, silu};
use crate::nn::plane_ops::{shift_channels, upsample2};
use burn::module::Module;
use burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

/// Shape of a [`UNet`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UNetConfig {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Channels at the first level; level `i` has `base · mults[i]`.
    pub base: usize,
    pub mults: Vec<usize>,
    /// Levels (by index) with self-attention after their residual blocks.
    pub attention: Vec<usize>,
    pub res_blocks: usize,
    pub dropout: f64,
    pub groups: usize,
    /// Number of classes for conditioning (`None`: unconditional). Index `num_classes` is the
    /// learned null class.
    pub num_classes: Option<usize>,
    /// Output heads (each `channels` wide); 2 for the hybrid.
    #[serde(default = "one")]
    pub heads: usize,
}

fn one() -> usize {
    1
}

impl UNetConfig {
    /// The default MNIST U-Net: 32-64-64 channels at 28², 14², 7², attention at 7².
    pub fn mnist(num_classes: Option<usize>) -> Self {
        Self {
            channels: 1,
            height: 28,
            width: 28,
            base: 32,
            mults: vec![1, 2, 2],
            attention: vec![2],
            res_blocks: 1,
            dropout: 0.1,
            groups: 8,
            num_classes,
            heads: 1,
        }
    }

    /// The CPU default for pictures of `[channels, height, width]`: MNIST's network at 28×28
    /// grey, else 64 channels at the first level doubling once, a level per halving down to
    /// 8×8 (at most four), attention at 8×8 (about 2–4 M parameters).
    pub fn for_images(shape: [usize; 3], num_classes: Option<usize>) -> Self {
        let [channels, height, width] = shape;
        if shape == [1, 28, 28] {
            return Self::mnist(num_classes);
        }
        let side = height.min(width);
        let levels = (1..=4).take_while(|l| side >> (l - 1) >= 8).count().max(1);
        let mults: Vec<usize> = (0..levels).map(|l| if l == 0 { 1 } else { 2 }).collect();
        let mut cfg = Self {
            channels,
            height,
            width,
            base: 64,
            mults,
            attention: Vec::new(),
            res_blocks: 1,
            dropout: 0.1,
            groups: 8,
            num_classes,
            heads: 1,
        };
        cfg.attention = cfg.levels_at(&[8]);
        cfg
    }

    /// Ho et al. 2020's CIFAR-10 network (Appendix B): 128 channels with multipliers 1, 2, 2, 2,
    /// two residual blocks per level, attention at 16×16, dropout 0.1 — a GPU model.
    pub fn ddpm(shape: [usize; 3], num_classes: Option<usize>) -> Self {
        let [channels, height, width] = shape;
        let mut cfg = Self {
            channels,
            height,
            width,
            base: 128,
            mults: vec![1, 2, 2, 2],
            attention: Vec::new(),
            res_blocks: 2,
            dropout: 0.1,
            groups: 32,
            num_classes,
            heads: 1,
        };
        cfg.attention = cfg.levels_at(&[16]);
        cfg
    }

    /// The levels whose feature maps have one of these sizes (the shorter side): level `l`
    /// works at `side / 2^l`. Configs name attention by resolution, as papers do.
    pub fn levels_at(&self, sizes: &[usize]) -> Vec<usize> {
        let side = self.height.min(self.width);
        (0..self.mults.len())
            .filter(|&l| sizes.contains(&side.div_ceil(1 << l)))
            .collect()
    }

    pub fn dim(&self) -> usize {
        self.channels * self.height * self.width
    }

    fn temb(&self) -> usize {
        4 * self.base
    }

    pub fn init(&self, device: &Device) -> UNet {
        let conv3 = |i: usize, o: usize| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let res = |i: usize, o: usize| ResBlock {
            norm1: GroupNormConfig::new(self.groups, i).init(device),
            conv1: conv3(i, o),
            time: LinearConfig::new(self.temb(), o).init(device),
            norm2: GroupNormConfig::new(self.groups, o).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            conv2: conv3(o, o),
            skip: (i != o).then(|| Conv2dConfig::new([i, o], [1, 1]).init(device)),
        };
        let attn = |c: usize| AttnBlock {
            norm: GroupNormConfig::new(self.groups, c).init(device),
            mha: MultiHeadAttentionConfig::new(c, 4)
                .with_dropout(0.0)
                .init(device),
        };
        let chans: Vec<usize> = self.mults.iter().map(|m| m * self.base).collect();
        let levels = chans.len();
        let mut down = Vec::new();
        let mut prev = self.base;
        for (l, &c) in chans.iter().enumerate() {
            down.push(Level {
                blocks: (0..self.res_blocks)
                    .map(|b| res(if b == 0 { prev } else { c }, c))
                    .collect(),
                attn: self.attention.contains(&l).then(|| attn(c)),
                resample: (l + 1 < levels).then(|| {
                    Conv2dConfig::new([c, c], [3, 3])
                        .with_stride([2, 2])
                        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                        .init(device)
                }),
            });
            prev = c;
        }
        let mut up = Vec::new();
        for l in (0..levels).rev() {
            let c = chans[l];
            up.push(Level {
                blocks: (0..self.res_blocks)
                    .map(|b| res(if b == 0 { prev + c } else { c }, c))
                    .collect(),
                attn: self.attention.contains(&l).then(|| attn(c)),
                resample: (l > 0).then(|| conv3(c, c)),
            });
            prev = c;
        }
        let top = *chans.last().unwrap();
        UNet {
            input: conv3(self.channels, self.base),
            time1: LinearConfig::new(self.base, self.temb()).init(device),
            time2: LinearConfig::new(self.temb(), self.temb()).init(device),
            classes: self
                .num_classes
                .map(|k| EmbeddingConfig::new(k + 1, self.temb()).init(device)),
            down,
            mid1: res(top, top),
            mid_attn: attn(top),
            mid2: res(top, top),
            up,
            out_norm: GroupNormConfig::new(self.groups, self.base * self.mults[0]).init(device),
            output: conv3(self.base * self.mults[0], self.channels * self.heads),
            shape: [self.channels, self.height, self.width],
            base: self.base,
            null_class: self.num_classes.unwrap_or(0),
        }
    }
}

#[derive(Module, Debug)]
struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    time: Linear,
    norm2: GroupNorm,
    dropout: Dropout,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    fn forward(&self, x: Tensor<4>, emb: &Tensor<2>) -> Tensor<4> {
        let h = self.conv1.forward(self.norm1.forward_silu(x.clone()));
        let h = shift_channels(h, linear(&self.time, silu(emb.clone())));
        let h = self
            .conv2
            .forward(dropout(&self.dropout, self.norm2.forward_silu(h)));
        let skip = match &self.skip {
            Some(s) => s.forward(x),
            None => x,
        };
        skip.add(h)
    }
}

#[derive(Module, Debug)]
struct AttnBlock {
    norm: GroupNorm,
    mha: MultiHeadAttention,
}

impl AttnBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let tokens = self
            .norm
            .forward(x.clone())
            .reshape([n, c, h * w])
            .swap_dims(1, 2);
        let out = self.mha.forward(MhaInput::self_attn(tokens)).context;
        x.add(out.swap_dims(1, 2).reshape([n, c, h, w]))
    }
}

/// One resolution: residual blocks, optional attention, and the resampling conv (stride-2
/// down on the way down; after ×2 nearest upsampling on the way up).
#[derive(Module, Debug)]
struct Level {
    blocks: Vec<ResBlock>,
    attn: Option<AttnBlock>,
    resample: Option<Conv2d>,
}

impl Level {
    fn blocks(&self, mut x: Tensor<4>, emb: &Tensor<2>) -> Tensor<4> {
        for b in &self.blocks {
            x = b.forward(x, emb);
        }
        match &self.attn {
            Some(a) => a.forward(x),
            None => x,
        }
    }
}

/// The U-Net.
#[derive(Module, Debug)]
pub struct UNet {
    input: Conv2d,
    time1: Linear,
    time2: Linear,
    classes: Option<Embedding>,
    down: Vec<Level>,
    mid1: ResBlock,
    mid_attn: AttnBlock,
    mid2: ResBlock,
    up: Vec<Level>,
    out_norm: GroupNorm,
    output: Conv2d,
    shape: [usize; 3],
    base: usize,
    null_class: usize,
}

impl UNet {
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_conditional(&self) -> bool {
        self.classes.is_some()
    }

    /// The null-class index used for unconditional predictions.
    pub fn null_class(&self) -> usize {
        self.null_class
    }

    pub fn forward(&self, x: Tensor<2>, t: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        let [n, d] = x.dims();
        let device = x.device();
        let [c, h, w] = self.shape;
        let temb = silu(linear(&self.time1, sinusoidal(t, self.base, &device)));
        let mut emb = linear(&self.time2, temb);
        if let Some(classes) = &self.classes {
            let labels =
                labels.unwrap_or_else(|| Tensor::full([n], self.null_class as i64, &device));
            emb = emb.add(
                classes
                    .forward(labels.reshape([n, 1]))
                    .reshape([n, 4 * self.base]),
            );
        }
        let mut x = self.input.forward(x.reshape([n, c, h, w]));
        let mut skips = Vec::new();
        for level in &self.down {
            x = level.blocks(x, &emb);
            skips.push(x.clone());
            if let Some(conv) = &level.resample {
                x = conv.forward(x);
            }
        }
        x = self
            .mid2
            .forward(self.mid_attn.forward(self.mid1.forward(x, &emb)), &emb);
        for level in &self.up {
            let skip = skips.pop().expect("one skip per level");
            x = level.blocks(Tensor::cat(vec![x, skip], 1), &emb);
            if let Some(conv) = &level.resample {
                x = conv.forward(upsample2(x));
            }
        }
        let out = self.output.forward(self.out_norm.forward_silu(x));
        // [n, heads·c, h, w] → [n, heads·d]: head-major blocks of d columns.
        let heads = out.dims()[1] / c;
        out.reshape([n, heads * d])
    }
}

#[cfg(test)]
#[path = "unet_tests.rs"]
mod tests;
