"""PyTorch reference for `flowdiff bench --workload NAME --json`: the same networks (same
parameter counts) doing the same work, timed the same way (warm-up, then the median rate of
`--repeats` repeats), printed as the same JSON object.

    python3 bench/reference_torch.py --workload mlp-train --json
    python3 bench/reference_torch.py --workload unet-forward --device cuda --json

Networks (see crates/flowdiff/src/workload/ for the burn side):
  mlp-*         (x, y, t) -> 256 -> 256 -> 256 -> 2, SiLU                   133,122 params
  unet-small-*  small conv U-Net of crates/flowdiff/src/workload/unet_small.rs             450,721 params
  unet-*        flowdiff's default MNIST U-Net, UNetConfig::mnist(None)    827,233 params
  unet-rgb-train  the CPU colour U-Net, UNetConfig::for_images([3, 32, 32], None)  3,299,267 params
  graph-train   the QM9 graph transformer (bench/reference_graph.py)       875,788 params
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TIME_SCALE = 1000.0  # crates/flowdiff/src/nn/embedding.rs


def sinusoidal(t, dim):
    """t: [n, 1] -> [n, dim] = [sin(s t f_k), cos(s t f_k)], f_k = 10000^(-k/half)."""
    half = dim // 2
    k = torch.arange(half, device=t.device, dtype=torch.float64)
    freqs = (TIME_SCALE * torch.exp(-math.log(10000.0) * k / half)).to(t.dtype)
    args = t * freqs[None, :]
    return torch.cat([args.sin(), args.cos()], dim=1)


class BenchMlp(nn.Module):
    def __init__(self, width=256):
        super().__init__()
        sizes = [3, width, width, width, 2]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x, t):
        h = torch.cat([x, t], dim=1)
        for layer in self.layers[:-1]:
            h = F.silu(layer(h))
        return self.layers[-1](h)


def conv3(i, o, stride=1):
    return nn.Conv2d(i, o, 3, stride=stride, padding=1)


class Block(nn.Module):
    """conv 3x3, GroupNorm(8), SiLU."""

    def __init__(self, i, o):
        super().__init__()
        self.conv, self.norm = conv3(i, o), nn.GroupNorm(8, o)

    def forward(self, x):
        return F.silu(self.norm(self.conv(x)))


def up2(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


class SmallUNet(nn.Module):
    """crates/flowdiff/src/workload/unet_small.rs."""

    def __init__(self):
        super().__init__()
        lin = lambda o: nn.Linear(64, o)  # noqa: E731
        self.time = lin(64)
        self.enc1a, self.enc1b, self.t1 = Block(1, 32), Block(32, 32), lin(32)
        self.down1 = conv3(32, 64, 2)
        self.enc2, self.t2 = Block(64, 64), lin(64)
        self.down2 = conv3(64, 128, 2)
        self.mid, self.t3 = Block(128, 128), lin(128)
        self.dec2, self.t4 = Block(192, 64), lin(64)
        self.dec1, self.t5 = Block(96, 32), lin(32)
        self.out = conv3(32, 1)

    def forward(self, x, t):
        emb = F.silu(self.time(sinusoidal(t, 64)))
        add = lambda h, lin: h + lin(emb)[:, :, None, None]  # noqa: E731
        h1 = add(self.enc1b(self.enc1a(x)), self.t1)
        h2 = add(self.enc2(self.down1(h1)), self.t2)
        m = add(self.mid(self.down2(h2)), self.t3)
        u2 = add(self.dec2(torch.cat([up2(m), h2], 1)), self.t4)
        u1 = add(self.dec1(torch.cat([up2(u2), h1], 1)), self.t5)
        return self.out(u1)


class ResBlock(nn.Module):
    """crates/flowdiff/src/models/unet.rs ResBlock."""

    def __init__(self, i, o, temb, groups=8, dropout=0.1):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, i), conv3(i, o)
        self.time = nn.Linear(temb, o)
        self.norm2, self.dropout, self.conv2 = nn.GroupNorm(groups, o), nn.Dropout(dropout), conv3(o, o)
        self.skip = nn.Conv2d(i, o, 1) if i != o else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.skip(x) if self.skip is not None else x) + h


class AttnBlock(nn.Module):
    """GroupNorm, then burn's MultiHeadAttention (4 heads, q/k/v/out linears with bias)."""

    def __init__(self, c, heads=4, groups=8):
        super().__init__()
        self.norm, self.heads = nn.GroupNorm(groups, c), heads
        self.q, self.k, self.v, self.o = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        n, c, h, w = x.shape
        tok = self.norm(x).reshape(n, c, h * w).transpose(1, 2)
        split = lambda y: y.reshape(n, h * w, self.heads, c // self.heads).transpose(1, 2)  # noqa: E731
        out = F.scaled_dot_product_attention(split(self.q(tok)), split(self.k(tok)), split(self.v(tok)))
        out = self.o(out.transpose(1, 2).reshape(n, h * w, c))
        return x + out.transpose(1, 2).reshape(n, c, h, w)


class MnistUNet(nn.Module):
    """UNetConfig::mnist(None): base 32, mults 1-2-2, attention at the lowest level, one
    residual block per level, dropout 0.1, GroupNorm(8). With channels=3, side=32, base=64:
    UNetConfig::for_images([3, 32, 32], None), the CPU colour U-Net."""

    def __init__(self, base=32, mults=(1, 2, 2), attention=(2,), channels=1, side=28):
        super().__init__()
        temb, chans = 4 * base, [m * base for m in mults]
        self.base, self.channels, self.side = base, channels, side
        self.input = conv3(channels, base)
        self.time1, self.time2 = nn.Linear(base, temb), nn.Linear(temb, temb)
        self.down, prev = nn.ModuleList(), base
        for lvl, c in enumerate(chans):
            last = lvl + 1 == len(chans)
            self.down.append(nn.ModuleDict(dict(
                block=ResBlock(prev, c, temb),
                **({"attn": AttnBlock(c)} if lvl in attention else {}),
                **({} if last else {"resample": conv3(c, c, 2)}),
            )))
            prev = c
        top = chans[-1]
        self.mid1, self.mid_attn, self.mid2 = ResBlock(top, top, temb), AttnBlock(top), ResBlock(top, top, temb)
        self.up = nn.ModuleList()
        for lvl in reversed(range(len(chans))):
            c = chans[lvl]
            self.up.append(nn.ModuleDict(dict(
                block=ResBlock(prev + c, c, temb),
                **({"attn": AttnBlock(c)} if lvl in attention else {}),
                **({"resample": conv3(c, c)} if lvl > 0 else {}),
            )))
            prev = c
        self.out_norm, self.output = nn.GroupNorm(8, chans[0]), conv3(chans[0], channels)

    def forward(self, x, t):
        n = x.shape[0]
        emb = self.time2(F.silu(self.time1(sinusoidal(t, self.base))))
        x = self.input(x.reshape(n, self.channels, self.side, self.side))
        skips = []
        for lvl in self.down:
            x = lvl["block"](x, emb)
            x = lvl["attn"](x) if "attn" in lvl else x
            skips.append(x)
            x = lvl["resample"](x) if "resample" in lvl else x
        x = self.mid2(self.mid_attn(self.mid1(x, emb)), emb)
        for lvl in self.up:
            x = lvl["block"](torch.cat([x, skips.pop()], 1), emb)
            x = lvl["attn"](x) if "attn" in lvl else x
            x = lvl["resample"](up2(x)) if "resample" in lvl else x
        return self.output(F.silu(self.out_norm(x))).reshape(n, -1)


def adamw(model):
    """burn's AdamWConfig defaults with lr 1e-3 (crates/flowdiff/src/workload/mod.rs)."""
    return torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-5, weight_decay=1e-4)


def trainer(model, loss_fn, iters):
    """A repeat of `iters` AdamW steps; the last loss is read back."""
    opt = adamw(model)
    model.train()

    def run():
        for _ in range(iters):
            loss = loss_fn(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        assert math.isfinite(loss.item())

    return run


def forwarder(model, x, t, iters):
    model.eval()

    def run():
        with torch.inference_mode():
            for _ in range(iters):
                model(x, t).sum().item()

    return run


def mlp_train(dev, iters):
    batch, model = 512, BenchMlp().to(dev)

    def loss(m):
        x0, x1 = torch.randn(batch, 2, device=dev), torch.randn(batch, 2, device=dev)
        t = torch.rand(batch, 1, device=dev)
        xt = (1 - t) * x0 + t * x1
        return (m(xt, t) - (x1 - x0)).square().mean()

    return model, "steps/s", iters, batch, trainer(model, loss, iters)


def mlp_sample(dev, iters):
    points, steps, model = 10_000, 100, BenchMlp().to(dev).eval()

    def run():
        with torch.inference_mode():
            for _ in range(iters):
                dt, x = 1.0 / steps, torch.randn(points, 2, device=dev)
                for k in range(steps):
                    x = x + model(x, torch.full((points, 1), k * dt, device=dev)) * dt
                x.cpu()

    return model, "point-steps/s", iters * points * steps, points, run


def fixed_batch(dev, n, shape):
    return torch.randn(n, *shape, device=dev), torch.rand(n, 1, device=dev), torch.randn(n, *shape, device=dev)


def unet_small_train(dev, iters):
    model, (x, t, target) = SmallUNet().to(dev), fixed_batch(dev, 64, (1, 28, 28))
    return model, "steps/s", iters, 64, trainer(model, lambda m: (m(x, t) - target).square().mean(), iters)


def unet_small_forward(dev, iters):
    model, (x, t, _) = SmallUNet().to(dev), fixed_batch(dev, 256, (1, 28, 28))
    return model, "images/s", 256 * iters, 256, forwarder(model, x, t, iters)


def unet_train(dev, iters):
    model, (x, t, target) = MnistUNet().to(dev), fixed_batch(dev, 128, (784,))
    return model, "steps/s", iters, 128, trainer(model, lambda m: (m(x, t) - target).square().mean(), iters)


def unet_rgb_train(dev, iters):
    model = MnistUNet(base=64, channels=3, side=32).to(dev)
    x, t, target = fixed_batch(dev, 64, (3 * 32 * 32,))
    return model, "steps/s", iters, 64, trainer(model, lambda m: (m(x, t) - target).square().mean(), iters)


def graph_train(dev, iters):
    from reference_graph import graph_train as build  # the molecule model, in its own file

    return build(dev, iters, trainer, sinusoidal)


def unet_forward(dev, iters):
    model, (x, t, _) = MnistUNet().to(dev), fixed_batch(dev, 256, (784,))
    return model, "images/s", 256 * iters, 256, forwarder(model, x, t, iters)


# name -> (builder, default iterations per repeat); the same as WORKLOADS in crates/flowdiff/src/workload/mod.rs.
WORKLOADS = {
    "mlp-train": (mlp_train, 100),
    "mlp-sample": (mlp_sample, 1),
    "unet-small-train": (unet_small_train, 5),
    "unet-small-forward": (unet_small_forward, 2),
    "unet-train": (unet_train, 2),
    "unet-forward": (unet_forward, 1),
    "unet-rgb-train": (unet_rgb_train, 1),
    "graph-train": (graph_train, 5),
}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (CPU)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, help="iterations per repeat (default: the workload's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    build, default_iters = WORKLOADS[a.workload]
    iters = a.iters or default_iters
    model, unit, units, batch, run = build(dev, iters)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(a.warmup):
        run()
    sync()
    rates = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        run()
        sync()
        rates.append(units / (time.perf_counter() - start))
    report = {
        "workload": a.workload,
        "backend": "torch",
        "device": "gpu" if dev.type == "cuda" else "cpu",
        "params": sum(p.numel() for p in model.parameters()),
        "per_second": statistics.median(rates),
        "unit": unit,
        "repeats": rates,
        "batch": batch,
        "iters": iters,
        "threads": None if dev.type == "cuda" else torch.get_num_threads(),
        "torch_version": torch.__version__,
    }
    if a.json:
        print(json.dumps(report))
    else:
        print(f"{a.workload} on torch ({report['device']}): {report['per_second']:.1f} {unit} "
              f"(median of {a.repeats}), {report['params']} parameters, batch {batch}")


if __name__ == "__main__":
    main()
