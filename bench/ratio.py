"""Side-by-side table: every workload of `flowdiff bench --workload` against the same network
and work in PyTorch (bench/reference_torch.py), as a markdown table. Each side runs --rounds
times (default 3), alternating, so that load from other jobs lands on both; a figure is the
median over all repeats of all rounds.

    python3 bench/ratio.py                       # flex vs PyTorch on the CPU, 2 threads each
    python3 bench/ratio.py --tch                 # also flowdiff on LibTorch (builds flowdiff-tch)
    python3 bench/ratio.py --workloads mlp-train,unet-small-train --repeats 3
    python3 bench/ratio.py --threads 1 --rounds 2      # one thread each side
    python3 bench/ratio.py --no-build --side head=/tmp/flowdiff-head:cpu --side flex=./flowdiff:cpu
    python3 bench/ratio.py --side flex=:cpu --side avx2=:cpu:FLOWDIFF_ISA=avx2 --side fixed=:cpu:FLOWDIFF_AUTOTUNE=0

The release binary is $CARGO_TARGET_DIR/release/flowdiff (default ~/.cache/flowdiff-target),
built first unless --no-build; the LibTorch build is copied beside it as flowdiff-tch. Each
`--side LABEL=BINARY:DEVICE[:VAR=VALUE,...]` adds a flowdiff column of its own (replacing the
default ones; an empty BINARY is the release build; the variables are set for that side only,
e.g. `FLOWDIFF_ISA=avx2` to force the AVX2 kernels, `FLOWDIFF_AUTOTUNE=0` for the fixed kernel
choices). The table opens with the CPU model (`lscpu`) and its AVX-512/AVX2 flags.
`ratio` is flowdiff's rate over PyTorch's (higher is better for flowdiff). Parameter counts,
batch and iterations must agree between the two sides (asserted).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from reference_torch import WORKLOADS as TORCH_WORKLOADS  # noqa: E402
from torch_version import version as torch_version  # noqa: E402

ALL = list(TORCH_WORKLOADS)
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "flowdiff-target"))


def cargo(features=None):
    cmd = ["cargo", "build", "--release", "-p", "flowdiff-cli"] + (["--features", features] if features else [])
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    if features == "tch":
        env.setdefault("LIBTORCH_USE_PYTORCH", "1")
        env.setdefault("LIBTORCH_BYPASS_VERSION_CHECK", "1")
        if torch_version() >= (2, 10):  # torch-sys 0.22's C++ wrapper predates these headers
            env.setdefault("CXX", str(HERE / "tch-cxx.sh"))
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def cpu_line():
    """The CPU model as `lscpu` names it, with the vector extensions the kernels use."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "CPU: unknown (no lscpu)"
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    model = info.get("Model name", "unknown").strip()
    flags = info.get("Flags", "").split()
    has = [f for f in ("avx512f", "avx2", "fma") if f in flags]
    return f"CPU: `lscpu` \"{model}\" ({', '.join(has) or 'no AVX'})"


def parse_side(spec, default_binary):
    """`LABEL=BINARY:DEVICE[:VAR=VALUE,...]` → (label, binary, device, env)."""
    label, rest = spec.split("=", 1)
    parts = rest.split(":")
    if len(parts) < 2:
        raise SystemExit(f"--side {spec}: expected LABEL=BINARY:DEVICE[:VAR=VALUE,...]")
    binary = Path(parts[0]) if parts[0] else default_binary
    env = dict(kv.split("=", 1) for kv in ":".join(parts[2:]).split(",") if "=" in kv)
    return label, binary, parts[1], env


def run_json(cmd, timeout=None, env=None):
    """Runs a benchmark command; its last stdout line is the JSON report (an `error` entry on
    failure or after `timeout` seconds)."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        print(f"  {' '.join(map(str, cmd[:4]))}...: timed out after {timeout} s", file=sys.stderr)
        return {"error": f"timed out after {timeout} s"}
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"  {' '.join(map(str, cmd[:4]))}...: {reason}", file=sys.stderr)
        return {"error": reason}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def merge(runs):
    """One report from a side's rounds: the median over every repeat of every round."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    merged = dict(ok[0])
    merged["repeats"] = [x for r in ok for x in r["repeats"]]
    merged["per_second"] = statistics.median(merged["repeats"])
    merged["rounds"] = len(ok)
    return merged


def fmt(rate):
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.2f}"


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default=",".join(ALL), help="comma-separated subset")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for every side")
    p.add_argument("--iters-scale", type=int, default=1, help="multiply iterations per repeat (GPUs)")
    p.add_argument("--tch", action="store_true", help="also flowdiff on LibTorch (builds flowdiff-tch)")
    p.add_argument("--devices", help="flowdiff --device list for the release binary (default: cpu)")
    p.add_argument("--side", action="append", default=[], metavar="LABEL=BINARY:DEVICE",
                   help="a flowdiff column: this binary with this --device (repeatable)")
    p.add_argument("--torch-device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--binary", type=Path, help="flowdiff binary for --devices (default: the release build)")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--json-out", type=Path, help="also write every report here")
    p.add_argument("--timeout", type=float, help="seconds each benchmark process may run")
    a = p.parse_args()

    names = [w for w in a.workloads.split(",") if w]
    unknown = [w for w in names if w not in ALL]
    if unknown:
        p.error(f"unknown workloads {unknown}; known: {', '.join(ALL)}")
    binary = a.binary or TARGET / "release" / "flowdiff"
    devices = a.devices.split(",") if a.devices else ["cpu"]
    sides = [(f"flowdiff-{'flex' if d == 'cpu' else d}", binary, d, {}) for d in devices]
    if a.tch:
        sides.append(("flowdiff-tch", TARGET / "release" / "flowdiff-tch", "tch", {}))
        if not a.no_build:
            cargo("tch")
            shutil.copy2(TARGET / "release" / "flowdiff", sides[-1][1])
    if a.side:
        sides = [parse_side(x, binary) for x in a.side]
    if not a.no_build and not a.binary and any(s[1] == binary for s in sides):
        cargo()

    before = loadavg()
    rows, reports = [], []
    for name in names:
        print(f"{name} ...", file=sys.stderr)
        iters = TORCH_WORKLOADS[name][1] * a.iters_scale if name in TORCH_WORKLOADS else None
        common = ["--repeats", str(a.repeats), "--warmup", str(a.warmup), "--threads", str(a.threads)]
        common += ["--iters", str(iters)] if iters else []
        torch_cmd = [sys.executable, str(HERE / "reference_torch.py"), "--workload", name, "--json",
                     "--device", a.torch_device] + common
        # Rounds alternate the sides, so that a burst of load from elsewhere lands on both.
        ref_runs, our_runs = [], {label: [] for label, _, _, _ in sides}
        for _ in range(a.rounds):
            ref_runs.append(run_json(torch_cmd, a.timeout) if name in TORCH_WORKLOADS
                            else {"error": "no PyTorch reference"})
            for label, b, d, env in sides:
                our_runs[label].append(run_json([str(b), "bench", "--workload", name, "--json",
                                                 "--device", d] + common, a.timeout, env))
        ref = merge(ref_runs)
        ours = {label: merge(runs) for label, runs in our_runs.items()}
        reports += [r for r in [ref, *ours.values()] if "error" not in r]
        rows.append((name, ref, ours))

    print(f"\n{cpu_line()}; PyTorch {'.'.join(map(str, torch_version()))}")
    for label, b, d, env in sides:
        if env:
            print(f"- {label}: " + ", ".join(f"{k}={v}" for k, v in env.items()))
    print(f"load average before {' '.join(before)}, after {' '.join(loadavg())}; "
          f"{a.threads} threads each; median of {a.rounds} alternating rounds × {a.repeats} repeats "
          f"(each after {a.warmup} warm-up)\n")
    head = ["workload", "params", "unit", f"PyTorch ({a.torch_device})"]
    head += [s[0] for s in sides] + [f"ratio {s[0]}" for s in sides]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, ref, ours in rows:
        ok = [r for r in [ref, *ours.values()] if "error" not in r]
        for r in ok[1:]:
            assert r["params"] == ok[0]["params"], f"{name}: parameter counts differ {ok[0]['params']} vs {r['params']}"
            assert (r["batch"], r["iters"]) == (ok[0]["batch"], ok[0]["iters"]), f"{name}: work differs"
        params = f"{ok[0]['params']:,}" if ok else "n/a"
        unit = ok[0]["unit"] if ok else ""
        cell = lambda r: fmt(r["per_second"]) if "error" not in r else "n/a"  # noqa: E731
        ratio = lambda r: (f"{r['per_second'] / ref['per_second']:.2f}×"  # noqa: E731
                           if "error" not in r and "error" not in ref else "n/a")
        cols = [name, params, unit, cell(ref)] + [cell(r) for r in ours.values()] + [ratio(r) for r in ours.values()]
        print("| " + " | ".join(cols) + " |")
    for name, ref, ours in rows:
        for side, r in [("PyTorch", ref), *ours.items()]:
            if "error" in r:
                print(f"\n{name} on {side}: {r['error']}")
    if a.json_out:
        a.json_out.write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
