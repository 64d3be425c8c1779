#!/usr/bin/env python3
"""An independent check of flowdiff's molecule metrics with RDKit (reference use only; RDKit
is never a dependency of the product).

    python3 bench/rdkit_check.py SAMPLES.smi --data-dir ../shared/data/qm9 \
        [--flowdiff target/release/flowdiff] [--json out.json]

Reads the generated `.smi` file (one SMILES per line, optionally followed by a name), and
reports, over all lines:

* sanitisation validity: RDKit parses and sanitises the SMILES (valence, kekulization);
* connected validity: sanitises *and* is one fragment — flowdiff's own definition (a
  generated graph must be connected and respect valences), so the like-for-like figure;
* uniqueness: distinct RDKit canonical SMILES among the connected-valid / connected-valid;
* novelty: distinct connected-valid molecules absent from QM9's training split / distinct.

The training split is the one flowdiff measures novelty against: `flowdiff data --name qm9
--split train` writes it, and this script runs that (and `flowdiff eval --json`) when given
the binary, printing both sets of figures side by side (DiGress, Vignac et al. 2023, defines
the metrics the same way).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

try:
    from rdkit import Chem, RDLogger
except ImportError:
    sys.exit("bench/rdkit_check.py needs RDKit: pip install rdkit")

RDLogger.DisableLog("rdApp.*")


def read_smi(path):
    """The first whitespace-separated field of every non-empty line."""
    out = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if fields:
                out.append(fields[0])
    return out


def canonical(smiles):
    """(sanitises, connected, canonical SMILES or None) of one SMILES string."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return False, False, None
    connected = len(Chem.GetMolFrags(mol)) == 1
    return True, connected, Chem.MolToSmiles(mol)


def rdkit_metrics(samples, train):
    sane = connected = 0
    valid = []
    for s in samples:
        ok, conn, can = canonical(s)
        sane += ok
        if ok and conn:
            connected += 1
            valid.append(can)
    distinct = set(valid)
    train_can = set()
    for s in train:
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            train_can.add(Chem.MolToSmiles(mol))
    novel = distinct - train_can
    n = len(samples)
    return {
        "n": n,
        "sanitisation_validity": sane / n,
        "validity": connected / n,
        "uniqueness": len(distinct) / max(connected, 1),
        "novelty": len(novel) / max(len(distinct), 1),
        "n_valid": connected,
        "n_unique": len(distinct),
        "n_novel": len(novel),
        "train_molecules": len(train_can),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("samples", help="generated molecules (.smi)")
    ap.add_argument("--data-dir", default="../shared/data/qm9", help="QM9 SMILES table directory")
    ap.add_argument("--train", help="training-split .smi (default: written by --flowdiff)")
    ap.add_argument("--flowdiff", help="flowdiff binary: writes the split and runs its eval")
    ap.add_argument("--json", help="also write both sets of figures here")
    a = ap.parse_args()
    samples = read_smi(a.samples)
    if not samples:
        sys.exit(f"{a.samples}: no SMILES lines")
    ours = None
    with tempfile.TemporaryDirectory() as tmp:
        train_path = a.train
        if train_path is None:
            if a.flowdiff is None:
                sys.exit("give --train TRAIN.smi or --flowdiff BIN (which writes the split)")
            train_path = os.path.join(tmp, "train.smi")
            subprocess.run([a.flowdiff, "data", "--name", "qm9", "--split", "train",
                            "--data-dir", a.data_dir, "--out", train_path],
                           check=True, stdout=subprocess.DEVNULL)
        if a.flowdiff is not None:
            out = subprocess.run([a.flowdiff, "eval", "--samples", a.samples, "--data", "qm9",
                                  "--data-dir", a.data_dir, "--json"],
                                 check=True, capture_output=True, text=True).stdout
            ours = json.loads(out)
        ref = rdkit_metrics(samples, read_smi(train_path))
    print(f"{ref['n']} molecules of {a.samples}; novelty against the "
          f"{ref['train_molecules']} distinct training-split molecules")
    print(f"{'metric':<24} {'RDKit':>8} {'flowdiff':>9}")
    rows = [("sanitises", "sanitisation_validity", None), ("valid (connected)", "validity", "validity"),
            ("unique", "uniqueness", "uniqueness"), ("novel", "novelty", "novelty")]
    for label, key, ours_key in rows:
        mine = f"{100 * ours[ours_key]:8.1f}%" if ours and ours_key else f"{'-':>9}"
        print(f"{label:<24} {100 * ref[key]:7.1f}% {mine}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rdkit": ref, "flowdiff": ours}, f, indent=2)


if __name__ == "__main__":
    main()
