"""Shared helpers for the Python oracle checks: run the built binary, read
graph and results files with h5py, and an independent float64 EigenTrust."""
import os
import subprocess
import tempfile

import h5py
import numpy as np
import scipy.sparse as sp

BINARY = os.environ.get("TRUSTPROP_BINARY", "build/trustprop")
DATA = os.environ.get("TRUSTPROP_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))


def run(*args, check=True):
    """Runs trustprop with args; returns the CompletedProcess."""
    p = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"trustprop {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


def read_csr(path):
    """The graph file's /graph group as a scipy CSR matrix (three lines of h5py)."""
    with h5py.File(path, "r") as f:
        g = f["graph"]
        n = int(g.attrs["shape"][0])
        return sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=(n, n))


def eigentrust_oracle(w, p, restart=0.15, tol=1e-13, max_iter=10000):
    """EigenTrust in float64, written from DESIGN §3 with scipy alone:
    c_ij = max(w_ij, 0) / sum_j max(w_ij, 0); t <- (1-a)(C^T t + m p) + a p."""
    s = w.astype(np.float64).maximum(0).tocsr()
    s.eliminate_zeros()
    out = np.asarray(s.sum(axis=1)).ravel()
    dangling = out <= 0
    inv = np.zeros_like(out)
    inv[~dangling] = 1.0 / out[~dangling]
    ct = (sp.diags(inv) @ s).T.tocsr()
    t = p.copy()
    for it in range(1, max_iter + 1):
        m = t[dangling].sum()
        t_next = (1 - restart) * (ct @ t + m * p) + restart * p
        res = np.abs(t_next - t).sum()
        t = t_next
        if res < tol:
            return t, it
    raise AssertionError("oracle did not converge")


def tempdir():
    return tempfile.TemporaryDirectory(prefix="trustprop-test-")
