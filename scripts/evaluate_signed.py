#!/usr/bin/python3
"""Sign prediction with signed trust and distrust, evaluated as Guha, Kumar,
Raghavan and Tomkins (WWW 2004) evaluate it: hide a share of the signed
edges of Bitcoin OTC, propagate from the rest with each mode, iteration and
alpha, predict the sign of every hidden edge (s, t) from F[s, t], and
report the accuracy (docs/signed.md has the table this prints).

    /usr/bin/python3 scripts/evaluate_signed.py [--binary build/trustprop] [--hide 0.1] [--seed 1]

Steps: read tests/data/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz (gzip);
drop self-ratings; shuffle with --seed and hide --hide of the edges; write
the rest as an edge list (weight = the sign of the rating, the paper's
binary trust/distrust, or the rating itself with --weights raw) and import
it with `trustprop import --signed`; keep the hidden edges whose two agents
are in the training graph; run `trustprop rank --model signed` for the
sources of those edges; predict with three roundings of F:

  sign      positive iff F[s, t] >= 0 (a zero belief counts as trust);
  global    the paper's global rounding: the hidden edges with the largest
            F[s, t] are predicted positive, as many as make the predicted
            positive share equal the training graph's positive share;
  majority  the paper's majority rounding, as we read it: among the edges
            s rated in the training graph, the --window whose F[s, u] lie
            closest to F[s, t] vote with their signs (a tie votes positive);
            a source that rated nobody else falls back to global rounding.
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OTC = os.path.join(ROOT, "tests", "data", "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz")
MODES = ("trust-only", "one-step", "propagated")
ITERATIONS = ("eventual", "weighted")
ALPHAS = {
    "direct (1,0,0,0)": (1, 0, 0, 0),
    "co-citation (0,1,0,0)": (0, 1, 0, 0),
    "transpose (0,0,1,0)": (0, 0, 1, 0),
    "coupling (0,0,0,1)": (0, 0, 0, 1),
    "paper (0.4,0.4,0.1,0.1)": (0.4, 0.4, 0.1, 0.1),
}


def trustprop(binary, *args):
    p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"trustprop {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")


def read_otc():
    rows = []
    with gzip.open(OTC, "rt") as f:
        for line in f:
            s, t, rating, _ = line.split(",")
            if s != t:
                rows.append((int(s), int(t), int(rating)))
    return np.array(rows, dtype=np.int64)


def global_rounding(values, positive_share):
    """The largest values, positive_share of them, are predicted positive."""
    order = np.argsort(-values, kind="stable")
    predicted = np.zeros(len(values), dtype=bool)
    predicted[order[: int(round(positive_share * len(values)))]] = True
    return predicted


def majority_rounding(f_rows, row_of_source, hidden_s, hidden_t, train, fallback, window):
    predicted = fallback.copy()
    for i, (s, t) in enumerate(zip(hidden_s, hidden_t)):
        lo, hi = train.indptr[s], train.indptr[s + 1]
        if lo == hi:
            continue
        rated = train.indices[lo:hi]
        labels = train.data[lo:hi] > 0
        row = f_rows[row_of_source[s]]
        distance = np.abs(row[rated] - row[t])
        nearest = np.argsort(distance, kind="stable")[:window]
        votes = labels[nearest]
        predicted[i] = 2 * votes.sum() >= len(votes)
    return predicted


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "trustprop"))
    ap.add_argument("--hide", type=float, default=0.1, help="share of the edges hidden (default 0.1)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the shuffle (default 1)")
    ap.add_argument("--steps", type=int, default=20, help="K (default 20)")
    ap.add_argument("--gamma", type=float, default=0.9, help="weighted iteration's gamma (default 0.9)")
    ap.add_argument("--weights", choices=("sign", "raw"), default="sign",
                    help="training weights: the sign of each rating (default) or the rating")
    ap.add_argument("--window", type=int, default=5, help="majority rounding's window (default 5)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    edges = read_otc()
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(edges))
    hidden_count = int(round(args.hide * len(edges)))
    hidden, training = edges[order[:hidden_count]], edges[order[hidden_count:]]

    with tempfile.TemporaryDirectory(prefix="trustprop-signed-eval-") as d:
        csv = os.path.join(d, "train.csv")
        weights = np.sign(training[:, 2]) if args.weights == "sign" else training[:, 2]
        with open(csv, "w") as f:
            f.write("source,target,weight\n")
            for (s, t, _), w in zip(training, weights):
                f.write(f"{s},{t},{w}\n")
        graph = os.path.join(d, "train.h5")
        trustprop(args.binary, "import", csv, "--signed", "-o", graph)
        with h5py.File(graph, "r") as f:
            g = f["graph"]
            n = int(g.attrs["shape"][0])
            train = sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=(n, n))
            ids = f["agents/id"][:]
        agent = {int(i): a for a, i in enumerate(ids)}
        known = np.array([int(s) in agent and int(t) in agent for s, t, _ in hidden])
        hidden_s = np.array([agent[int(s)] for s in hidden[known, 0]])
        hidden_t = np.array([agent[int(t)] for t in hidden[known, 1]])
        truth = hidden[known, 2] > 0
        positive_share = float((train.data > 0).mean())
        sources = np.unique(hidden_s)
        listing = os.path.join(d, "sources.txt")
        np.savetxt(listing, ids[sources], fmt="%d")

        print(f"Bitcoin OTC: {len(edges)} edges (self-ratings dropped); hidden {hidden_count} "
              f"(seed {args.seed}), of which {known.sum()} have both agents in the training graph; "
              f"{len(sources)} sources; training graph {n} agents, {train.nnz} edges, "
              f"{100 * positive_share:.1f}% positive; weights: {args.weights}")
        print(f"K = {args.steps}, gamma = {args.gamma}, majority window {args.window}; "
              f"always-positive baseline: {100 * truth.mean():.2f}%\n")
        print("| mode | iteration | alpha | sign | global | majority |")
        print("| --- | --- | --- | ---: | ---: | ---: |")
        for mode in MODES:
            for iteration in ITERATIONS:
                for label, alpha in ALPHAS.items():
                    out = os.path.join(d, "signed.h5")
                    start = time.time()
                    trustprop(args.binary, "--device", args.device, "rank", graph, "--model", "signed",
                              "--mode", mode, "--iteration", iteration, "--alpha", ",".join(map(str, alpha)),
                              "--steps", args.steps, "--gamma", args.gamma, "--sources-file", listing, "-o", out)
                    with h5py.File(out, "r") as f:
                        belief = f["trust/signed"][:]
                        rows = f["trust/signed_sources"][:]
                    row_of_source = np.full(n, -1)
                    row_of_source[[agent[int(i)] for i in rows]] = np.arange(len(rows))
                    values = belief[row_of_source[hidden_s], hidden_t]
                    by_sign = values >= 0
                    by_global = global_rounding(values, positive_share)
                    by_majority = majority_rounding(belief, row_of_source, hidden_s, hidden_t, train, by_global,
                                                    args.window)
                    accuracy = [100 * (p == truth).mean() for p in (by_sign, by_global, by_majority)]
                    print(f"| {mode} | {iteration} | {label} | {accuracy[0]:.2f} | {accuracy[1]:.2f} | "
                          f"{accuracy[2]:.2f} |", flush=True)
                    print(f"  ({time.time() - start:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
