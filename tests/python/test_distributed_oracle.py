"""Distributed runs (docs/distributed.md) against the independent float64
scipy and numpy implementations: `mpiexec -n 3 trustprop rank` with
EigenTrust on Bitcoin OTC (signed), Epinions (value-free Cᵀ) and a
generated city, and with personalized trust split by seed sets on Bitcoin
OTC (L1 <= 1e-6, converged); signed trust split by sources on a small
random signed graph against the dense formulas (1e-12 relative); SybilRank
split by rows on Bitcoin OTC against a scipy SybilRank (1e-12 relative);
fairness-goodness split by rows on Bitcoin OTC against the authors' own
outputs (1e-9 per node, their 15 iterations); and `mpiexec -n 3` and
`-n 2 trustprop simulate` on a generated city and on Bitcoin OTC, every
epoch against the numpy oracle of test_dynamics_oracle. Skipped,
saying why, without an mpiexec or in a build without MPI."""
import os
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import BINARY, DATA, eigentrust_oracle, read_csr, run, tempdir  # noqa: E402
from test_fairness_goodness import read_scores  # noqa: E402
from test_personalized import agents_of, personalized_oracle  # noqa: E402
from test_dynamics_oracle import DynamicsOracle  # noqa: E402
from test_signed_dense import dense_signed, random_signed_edges, write_edges  # noqa: E402

MPIEXEC = shutil.which("mpiexec")
# Open MPI as root, more processes than cores, waiting processes yield.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_mpi_yield_when_idle="1")


def mpi_run(processes, *args):
    p = subprocess.run([MPIEXEC, "-n", str(processes), BINARY, "--threads", "1", *map(str, args)],
                       capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        raise AssertionError(f"mpiexec -n {processes} trustprop {' '.join(map(str, args))} exited "
                             f"{p.returncode}:\n{p.stderr}")
    return p


def skip_reason():
    if MPIEXEC is None:
        return "no mpiexec on PATH (scripts/install-deps.sh installs openmpi-bin)"
    p = subprocess.run([MPIEXEC, "-n", "2", BINARY, "--version"], capture_output=True, text=True, env=ENV)
    if "built without MPI" in p.stderr:
        return "this trustprop was built without MPI"
    return None


@unittest.skipIf(skip_reason() is not None, skip_reason())
class DistributedOracle(unittest.TestCase):
    def check(self, graph, pretrust_kind=None):
        with tempdir() as d:
            out = os.path.join(d, "r.h5")
            mpi_run(3, "rank", graph, "--tolerance", "1e-12", "--pretrust",
                    "institutions" if pretrust_kind == 2 else "all", "-o", out)
            w = read_csr(graph)
            n = w.shape[0]
            p = np.full(n, 1.0 / n)
            if pretrust_kind is not None:
                with h5py.File(graph, "r") as f:
                    p = (f["agents/kind"][:] == pretrust_kind).astype(np.float64)
                p /= p.sum()
            want, _ = eigentrust_oracle(w, p)
            with h5py.File(out, "r") as f:
                got = f["trust/eigentrust"][:]
                self.assertEqual(f["convergence/eigentrust"].attrs["converged"], 1)
                self.assertIn("3 MPI processes", f.attrs["device"])
            l1 = np.abs(got - want).sum()
            self.assertLessEqual(l1, 1e-6, f"{graph}: L1 distance to the scipy oracle {l1:.3e}")

    def test_bitcoin_otc(self):
        with tempdir() as d:
            g = os.path.join(d, "otc.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", g)
            self.check(g)

    def test_epinions(self):
        with tempdir() as d:
            g = os.path.join(d, "epinions.h5")
            run("import", os.path.join(DATA, "real", "epinions", "soc-Epinions1.txt.gz"), "-o", g)
            self.check(g)

    def test_generated_city(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 20000, "--seed", 7, "-o", g)
            self.check(g, pretrust_kind=2)

    def test_personalized_bitcoin_otc_split_by_seed_sets(self):
        # Seven seed sets of one to four agents over three processes (3, 2, 2 sets).
        sets = [[1, 2, 3], [7], [13, 35, 4, 6], [1810], [905, 1], [2028], [4172, 6000]]
        with tempdir() as d:
            g = os.path.join(d, "otc.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", g)
            seeds = os.path.join(d, "seeds.txt")
            with open(seeds, "w") as f:
                f.write("".join(" ".join(map(str, s)) + "\n" for s in sets))
            out = os.path.join(d, "r.h5")
            mpi_run(3, "rank", g, "--model", "personalized", "--seeds-file", seeds, "--full", "--tolerance", "1e-12",
                    "-o", out)
            want = personalized_oracle(read_csr(g), [agents_of(g, s) for s in sets])
            with h5py.File(out, "r") as f:
                got = f["trust/personalized/trust"][:]
                self.assertEqual(f["convergence/personalized"].attrs["converged"], 1)
                self.assertIn("3 MPI processes", f.attrs["device"])
            self.assertEqual(got.shape, (len(sets), want.shape[0]))
            for c in range(len(sets)):
                l1 = np.abs(got[c] - want[:, c]).sum()
                self.assertLessEqual(l1, 1e-6, f"seed set {c}: L1 distance to the scipy oracle {l1:.3e}")

    def test_signed_split_by_sources(self):
        # 40 agents, all of them sources (13, 13, 14 per process), in batches of 5.
        rng = np.random.default_rng(3)
        with tempdir() as d:
            csv, g, out = (os.path.join(d, name) for name in ("g.csv", "g.h5", "r.h5"))
            write_edges(csv, random_signed_edges(rng, 40, 90, 0.3))
            run("import", csv, "--signed", "-o", g)
            mpi_run(3, "rank", g, "--model", "signed", "--mode", "propagated", "--iteration", "weighted",
                    "--steps", 8, "--source-batch", 5, "-o", out)
            want = dense_signed(read_csr(g).toarray().astype(np.float64), "propagated", "weighted",
                                (0.4, 0.4, 0.1, 0.1), 0.9, 8)
            with h5py.File(out, "r") as f:
                got = f["trust/signed"][:]
                self.assertIn("3 MPI processes", f.attrs["device"])
            self.assertEqual(got.shape, want.shape)
            scale = np.abs(want).max(axis=1, keepdims=True) + 1e-300
            self.assertLessEqual((np.abs(got - want) / scale).max(), 1e-12)

    def test_simulate_generated_city(self):
        # The city dynamics split by rows of W and of Wᵀ, every epoch against
        # the numpy oracle of test_dynamics_oracle (registration, supervision,
        # pooled feedback and distrust ties all in play).
        with tempdir() as tmp:
            graph = os.path.join(tmp, "city.h5")
            run("generate", "city", "--agents", 3000, "--seed", 4, "--signed-share", 0.1, "-o", graph)
            metrics, _ = DynamicsOracle.check_graph(
                self, graph, simulate=lambda cfg, run_dir: mpi_run(3, "simulate", cfg, "--run-dir", run_dir))
            self.assertTrue(any(m["defections_detected"] > 0 for m in metrics))

    def test_simulate_bitcoin_otc(self):
        # A real signed network without kinds (uniform pre-trust, nobody registered), 2 processes.
        with tempdir() as tmp:
            graph = os.path.join(tmp, "otc.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", graph)
            metrics, _ = DynamicsOracle.check_graph(
                self, graph, simulate=lambda cfg, run_dir: mpi_run(2, "simulate", cfg, "--run-dir", run_dir))
            self.assertTrue(any(m["avoided"] > 0 for m in metrics))

    def test_sybilrank_bitcoin_otc(self):
        with tempdir() as d:
            g, out = os.path.join(d, "otc.h5"), os.path.join(d, "r.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", g)
            seed_ids = [1, 7, 35, 905, 1810]
            mpi_run(3, "rank", g, "--model", "sybilrank", "--seeds", ",".join(map(str, seed_ids)), "-o", out)
            want_score, want_raw, steps = sybilrank_oracle(read_csr(g), agents_of(g, seed_ids))
            with h5py.File(out, "r") as f:
                got_score, got_raw = f["trust/sybilrank"][:], f["trust/sybilrank_raw"][:]
                self.assertEqual(int(f["trust/sybilrank"].attrs["steps"]), steps)
            for got, want in ((got_score, want_score), (got_raw, want_raw)):
                self.assertLessEqual(np.abs(got - want).max() / np.abs(want).max(), 1e-12)

    def test_fairness_goodness_bitcoin_otc_against_the_authors(self):
        fair, good = read_scores("F_OTCNet.csv"), read_scores("G_OTCNet.csv")
        with tempdir() as d:
            g, out = os.path.join(d, "otc.h5"), os.path.join(d, "fg.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", g)
            mpi_run(3, "rank", g, "--model", "fairness-goodness", "--weight-divisor", 10, "-o", out)
            with h5py.File(out, "r") as f:
                ids = f["agents/id"][:]
                got_f, got_g = f["trust/fairness"][:], f["trust/goodness"][:]
                conv = f["convergence/fairness-goodness"]
                self.assertEqual(int(conv.attrs["converged"]), 1)
                self.assertEqual(int(conv.attrs["iterations"]), 15)  # the authors' run
            self.assertEqual(len(ids), len(fair))
            self.assertLessEqual(np.abs(got_f - np.array([fair[int(i)] for i in ids])).max(), 1e-9)
            self.assertLessEqual(np.abs(got_g - np.array([good[int(i)] for i in ids])).max(), 1e-9)


def sybilrank_oracle(w, seeds):
    """SybilRank as docs/sybilrank.md defines it, with scipy: the undirected
    binary pattern of the positive ties without self-loops, a self-loop for
    an agent without neighbours, T_G = sum of degrees spread evenly on the
    seeds, ceil(log2 n) steps of t' = A (t / deg). Returns (t/deg, t, steps)."""
    n = w.shape[0]
    pos = (w > 0).astype(np.float64).tocsr()
    pos.setdiag(0)
    pos.eliminate_zeros()
    a = ((pos + pos.T) > 0).astype(np.float64).tocsr()
    lonely = np.asarray(a.sum(axis=1)).ravel() == 0
    a = (a + sp.diags(lonely.astype(np.float64))).tocsr()
    deg = np.asarray(a.sum(axis=1)).ravel()
    t = np.zeros(n)
    t[sorted(set(seeds))] = deg.sum() / len(set(seeds))
    steps = int(np.ceil(np.log2(n)))
    for _ in range(steps):
        t = a @ (t / deg)
    return t / deg, t, steps


if __name__ == "__main__":
    unittest.main()
