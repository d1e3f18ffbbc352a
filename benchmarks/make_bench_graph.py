#!/usr/bin/python3
"""Fallback graph makers for the benchmarks, used by run_cpu_bench.sh only
while `trustprop generate rmat` / `trustprop import` are not available in the
build. They write the graph file layout of DESIGN §2 (anndata CSR group
/graph, int64 indptr, int32 indices sorted and unique per row, float32 data,
root attributes trustprop.format="graph", trustprop.format_version=1).

  make_bench_graph.py rmat --scale S --edge-factor E [--seed N] -o g.h5
  make_bench_graph.py snap FILE -o g.h5

R-MAT: Graph500 parameters (a, b, c, d) = (0.57, 0.19, 0.19, 0.05),
E * 2^S directed edges drawn, vertex labels scrambled by a random
permutation (as Graph500 does), self-loops and duplicates dropped, weights
uniform in (0, 1]. SNAP: "FROM<ws>TO" lines, '#' comments, original ids kept
in /agents/id, weight 1, self-loops and duplicates dropped.

Needs numpy and h5py: run with /usr/bin/python3.
"""
import argparse
import os
import sys

import h5py
import numpy as np


def write_graph(path, n, src, dst, w, source, ids=None, extra=None):
    """src/dst/w: edges (any order, unique, no self-loops) -> CSR file."""
    order = np.lexsort((dst, src))
    src, dst, w = src[order], dst[order], w[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    tmp = path + ".tmp"
    nnz = len(dst)
    chunk = max(1, min(nnz, (2 << 20) // 4)) if nnz else None
    with h5py.File(tmp, "w") as f:
        g = f.create_group("graph")
        g.attrs["encoding-type"] = "csr_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array([n, n], dtype=np.int64)
        g.create_dataset("indptr", data=indptr, chunks=(max(1, min(n + 1, (2 << 20) // 8)),))
        g.create_dataset("indices", data=dst.astype(np.int32), chunks=(chunk,) if chunk else None)
        g.create_dataset("data", data=w.astype(np.float32), chunks=(chunk,) if chunk else None)
        if ids is not None:
            a = f.create_group("agents")
            a.create_dataset("id", data=ids.astype(np.int64))
        f.attrs["trustprop.format"] = "graph"
        f.attrs["trustprop.format_version"] = np.int64(1)
        f.attrs["source"] = source
        f.attrs["generator"] = "benchmarks/make_bench_graph.py (fallback)"
        for k, v in (extra or {}).items():
            f.attrs[k] = v
    os.replace(tmp, path)
    print(f"{path}: n={n} nnz={nnz}", file=sys.stderr)


def dedupe(n, src, dst):
    keep = src != dst
    key = np.unique(src[keep].astype(np.int64) * n + dst[keep])
    return (key // n).astype(np.int64), (key % n).astype(np.int64)


def rmat(args):
    rng = np.random.default_rng(args.seed)
    n = 1 << args.scale
    m = args.edge_factor * n
    a, b, c = 0.57, 0.19, 0.19
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for level in range(args.scale):
        r = rng.random(m, dtype=np.float32)
        # quadrant: a -> (0,0), b -> (0,1), c -> (1,0), d -> (1,1)
        right = ((r >= a) & (r < a + b)) | (r >= a + b + c)
        down = r >= a + b
        bit = np.int64(1) << level
        src |= down * bit
        dst |= right * bit
        del r, right, down
    perm = rng.permutation(n).astype(np.int64)
    src, dst = perm[src], perm[dst]
    src, dst = dedupe(n, src, dst)
    w = (1.0 - rng.random(len(src), dtype=np.float32)).astype(np.float32)  # (0, 1]
    write_graph(args.output, n, src, dst, w,
                f"rmat scale={args.scale} edge_factor={args.edge_factor} seed={args.seed} (fallback)",
                extra={"generator.params": f"a=0.57 b=0.19 c=0.19 d=0.05 scramble=yes seed={args.seed}"})


def snap(args):
    e = np.loadtxt(args.file, comments="#", dtype=np.int64, ndmin=2)[:, :2]
    ids, inv = np.unique(e.ravel(), return_inverse=True)
    inv = inv.reshape(e.shape)
    n = len(ids)
    src, dst = dedupe(n, inv[:, 0], inv[:, 1])
    write_graph(args.output, n, src, dst, np.ones(len(src), dtype=np.float32),
                f"snap {os.path.basename(args.file)} (fallback import)", ids=ids)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rmat")
    r.add_argument("--scale", type=int, required=True)
    r.add_argument("--edge-factor", type=int, default=16)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("-o", "--output", required=True)
    s = sub.add_parser("snap")
    s.add_argument("file")
    s.add_argument("-o", "--output", required=True)
    args = p.parse_args()
    {"rmat": rmat, "snap": snap}[args.cmd](args)


if __name__ == "__main__":
    main()
