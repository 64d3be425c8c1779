#!/usr/bin/env python3
"""Same-run A/B of two flowdiff binaries on the speed workloads: runs `BIN bench --workload W
--json` for each binary in turn (alternating, `--rounds` times) and prints a markdown table of
the median rates and their ratio (B / A), with the CPU model.

    python3 bench/ab.py /tmp/flowdiff-before target/release/flowdiff --rounds 2 --repeats 5
"""

import argparse
import json
import statistics
import subprocess

WORKLOADS = [
    "mlp-train",
    "mlp-sample",
    "unet-small-train",
    "unet-small-forward",
    "unet-train",
    "unet-forward",
    "unet-rgb-train",
    "graph-train",
]


def cpu_model():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def rate(binary, workload, repeats, threads):
    cmd = [binary, "bench", "--workload", workload, "--repeats", str(repeats), "--json"]
    if threads:
        cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    return report["per_second"], report.get("unit", "")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a", help="binary A (before)")
    p.add_argument("b", help="binary B (after)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    args = p.parse_args()
    rows = []
    for w in args.workloads.split(","):
        runs = {"a": [], "b": []}
        unit = ""
        for _ in range(args.rounds):
            for side in ("a", "b"):
                r, unit = rate(getattr(args, side), w, args.repeats, args.threads)
                runs[side].append(r)
        a, b = statistics.median(runs["a"]), statistics.median(runs["b"])
        rows.append((w, unit, a, b, b / a))
        print(f"{w}: A {a:.4g} B {b:.4g} {unit} ({b / a:.3f}x)", flush=True)
    print(f"\nCPU: {cpu_model()}, {args.threads} threads, median of {args.rounds} alternating rounds "
          f"x {args.repeats} repeats\n")
    print("| workload | unit | A (before) | B (after) | B / A |")
    print("|---|---|---|---|---|")
    for w, unit, a, b, r in rows:
        print(f"| {w} | {unit} | {a:.4g} | {b:.4g} | {r:.3f}x |")


if __name__ == "__main__":
    main()
