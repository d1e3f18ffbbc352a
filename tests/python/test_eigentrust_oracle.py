"""CPU EigenTrust against an independent float64 scipy implementation on
real networks (Bitcoin OTC, Epinions) and a generated city: L1 <= 1e-6,
with the plain and the source-blocked Cᵀ."""
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import DATA, eigentrust_oracle, read_csr, run, tempdir  # noqa: E402


class EigenTrustOracle(unittest.TestCase):
    def check(self, graph, pretrust_kind=None, **rank_args):
        with tempdir() as d:
            out = os.path.join(d, "r.h5")
            extra = [x for k, v in rank_args.items() for x in (f"--{k.replace('_', '-')}", v)]
            run("--device", "cpu", "rank", graph, "--model", "eigentrust", "--tolerance", "1e-12",
                *extra, "-o", out)
            w = read_csr(graph)
            n = w.shape[0]
            with h5py.File(graph, "r") as f:
                kinds = f["agents/kind"][:] if "agents/kind" in f else None
            p = np.full(n, 1.0 / n)
            if pretrust_kind is not None and kinds is not None and (kinds == pretrust_kind).any():
                p = (kinds == pretrust_kind).astype(np.float64)
                p /= p.sum()
            want, _ = eigentrust_oracle(w, p, restart=float(rank_args.get("restart_probability", 0.15)))
            with h5py.File(out, "r") as f:
                got = f["trust/eigentrust"][:]
                self.assertEqual(f["convergence/eigentrust"].attrs["converged"], 1)
                self.assertEqual(f.attrs["backend"], "cpu")
            l1 = np.abs(got - want).sum()
            self.assertLessEqual(l1, 1e-6, f"{graph}: L1 distance to the scipy oracle {l1:.3e}")
            return l1

    def test_bitcoin_otc(self):
        with tempdir() as d:
            g = os.path.join(d, "otc.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"),
                "--signed", "-o", g)
            self.check(g)
            self.check(g, restart_probability=0.3)
            self.check(g, cpu_block_agents=512)  # Cᵀ in 12 source blocks (kernels/eigentrust.hpp)

    def test_epinions(self):
        with tempdir() as d:
            g = os.path.join(d, "epinions.h5")
            run("import", os.path.join(DATA, "real", "epinions", "soc-Epinions1.txt.gz"), "-o", g)
            self.check(g)
            self.check(g, cpu_block_agents=4096)  # value-free and in 19 source blocks

    def test_generated_city(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 20000, "--seed", 7, "-o", g)
            self.check(g, pretrust_kind=2)
            self.check(g, pretrust_kind=2, cpu_block_agents=1000)

    def test_default_tolerance_stops_at_the_same_iteration_as_the_oracle(self):
        # Same iteration, same stopping rule: the iteration counts agree.
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            out = os.path.join(d, "r.h5")
            run("generate", "city", "--agents", 5000, "--seed", 3, "-o", g)
            run("--device", "cpu", "rank", g, "--pretrust", "all", "-o", out)
            w = read_csr(g)
            n = w.shape[0]
            _, iters = eigentrust_oracle(w, np.full(n, 1.0 / n), tol=1e-6)
            with h5py.File(out, "r") as f:
                got_iters = int(f["convergence/eigentrust"].attrs["iterations"])
                self.assertEqual(len(f["convergence/eigentrust/residuals"]), got_iters)
            self.assertLessEqual(abs(got_iters - iters), 1)


if __name__ == "__main__":
    unittest.main()
