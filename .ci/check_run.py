"""Checks a run for .ci/lavapipe.sh with the standard library only: the loss falls (mean of the
last two steps below the mean of the first two) and the samples (.npy, float32, [N, H, W, C])
are finite and in [0, 1]."""
import ast
import math
import struct
import sys


def losses(path):
    with open(path) as f:
        rows = [line.strip().split(",") for line in f.readlines()[1:] if line.strip()]
    return [float(r[1]) for r in rows]


def npy_floats(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    size_bytes = 2 if major == 1 else 4
    header_len = int.from_bytes(data[8:8 + size_bytes], "little")
    start = 8 + size_bytes
    header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        sys.exit(f"{path}: expected little-endian float32 in C order, got {header}")
    body = data[start + header_len:]
    count = math.prod(header["shape"])
    return header["shape"], struct.unpack(f"<{count}f", body[:4 * count])


def main():
    loss = losses(sys.argv[1])
    first, last = sum(loss[:2]) / 2, sum(loss[-2:]) / 2
    print(f"loss over {len(loss)} steps: {first:.4f} -> {last:.4f}")
    if not (math.isfinite(last) and last < first):
        sys.exit("the loss did not fall")
    shape, x = npy_floats(sys.argv[2])
    bad = [v for v in x if not (math.isfinite(v) and 0.0 <= v <= 1.0)]
    print(f"samples {shape}: min {min(x):.3f}, max {max(x):.3f}, {len(bad)} outside [0, 1] or not finite")
    if bad or not x:
        sys.exit("samples are not finite pictures in [0, 1]")


if __name__ == "__main__":
    main()
