"""Exit status 0 when the installed PyTorch is at least the given version (`--at-least 2.10`),
1 otherwise; without arguments, print its version. Used to decide whether the LibTorch build
needs bench/tch-cxx.sh (PyTorch >= 2.10)."""
import argparse
import sys

import torch


def version():
    return tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2])


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--at-least", help="MAJOR.MINOR")
    a = p.parse_args()
    if a.at_least is None:
        print(torch.__version__)
    else:
        sys.exit(0 if version() >= tuple(int(x) for x in a.at_least.split(".")) else 1)
