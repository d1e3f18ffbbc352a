"""Batched personalized trust (`rank --model personalized --full`) against an
independent float64 scipy oracle of personalized PageRank, one column per
seed set, on a generated city (one seed set per institution, a seed file of
multi-agent sets) and on SNAP Epinions (seed ids from the original file):
L1 <= 1e-6 per column. Also: the top tables agree with the full block, and
bad seeds fail with the documented exit codes and messages."""
import os
import sys
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import DATA, read_csr, run, tempdir  # noqa: E402


def personalized_oracle(w, seed_sets, restart=0.15, tol=1e-13, max_iter=10000):
    """Personalized PageRank for every seed set at once, in float64, written
    from DESIGN §3 with scipy alone: c_ij = max(w_ij, 0) / sum_j max(w_ij, 0);
    per column T <- (1-a)(C^T T + m P) + a P with P uniform over the seed set
    and m the mass on rows without positive trust. Returns an n x k array."""
    n = w.shape[0]
    s = w.astype(np.float64).maximum(0).tocsr()
    s.eliminate_zeros()
    out = np.asarray(s.sum(axis=1)).ravel()
    dangling = out <= 0
    inv = np.zeros_like(out)
    inv[~dangling] = 1.0 / out[~dangling]
    ct = (sp.diags(inv) @ s).T.tocsr()
    p = np.zeros((n, len(seed_sets)))
    for c, agents in enumerate(seed_sets):
        p[agents, c] = 1.0 / len(agents)
    t = p.copy()
    for _ in range(max_iter):
        m = t[dangling].sum(axis=0)
        t_next = (1 - restart) * (ct @ t + p * m) + restart * p
        change = np.abs(t_next - t).sum(axis=0)
        t = t_next
        if change.max() < tol:
            return t
    raise AssertionError("oracle did not converge")


def agents_of(graph, ids):
    """Agent indices of original ids (the graph's /agents/id, or the ids themselves)."""
    with h5py.File(graph, "r") as f:
        if "agents/id" not in f:
            return list(ids)
        index = {int(v): i for i, v in enumerate(f["agents/id"][:])}
    return [index[i] for i in ids]


class PersonalizedOracle(unittest.TestCase):
    def rank(self, d, graph, *args, name="r.h5"):
        out = os.path.join(d, name)
        run("--device", "cpu", "rank", graph, "--model", "personalized", "--tolerance", "1e-12", *args, "-o", out)
        return out

    def check(self, graph, results, seed_sets, restart=0.15):
        want = personalized_oracle(read_csr(graph), seed_sets, restart=restart)
        with h5py.File(results, "r") as f:
            got = f["trust/personalized/trust"][:]
            conv = f["convergence/personalized"]
            self.assertEqual(conv.attrs["converged"], 1)
            self.assertEqual(conv.attrs["seed_sets"], len(seed_sets))
            self.assertEqual(len(conv["column_iterations"]), len(seed_sets))
            indptr = f["trust/personalized/seed_indptr"][:]
            agents = f["trust/personalized/seed_agent"][:]
        self.assertEqual(got.shape, (len(seed_sets), want.shape[0]))
        for c, seeds in enumerate(seed_sets):
            self.assertEqual(sorted(set(seeds)), list(agents[indptr[c]:indptr[c + 1]]))
            l1 = np.abs(got[c] - want[:, c]).sum()
            self.assertLessEqual(l1, 1e-6, f"{graph}: seed set {c}: L1 distance to the scipy oracle {l1:.3e}")

    def test_city_one_seed_set_per_institution(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 20000, "--seed", 7, "-o", g)
            out = self.rank(d, g, "--full")  # the default seed sets: one per institution
            with h5py.File(g, "r") as f:
                institutions = np.flatnonzero(f["agents/kind"][:] == 2)
            self.assertGreater(len(institutions), 1)
            self.check(g, out, [[i] for i in institutions])

    def test_city_seed_file_and_restart(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 8000, "--seed", 3, "-o", g)
            seeds = os.path.join(d, "seeds.txt")
            sets = [[5], [17, 400, 4000], [7999, 0], [123, 123, 321]]
            with open(seeds, "w") as f:
                f.write("# seed sets, one per line\n")
                f.write("5\n17, 400 4000   # three agents\n\n7999,0\n123 123 321\n")
            out = self.rank(d, g, "--seeds-file", seeds, "--restart-probability", 0.3, "--full")
            self.check(g, out, [sorted(set(s)) for s in sets], restart=0.3)

    def test_epinions_seed_ids(self):
        with tempdir() as d:
            g = os.path.join(d, "epinions.h5")
            run("import", os.path.join(DATA, "real", "epinions", "soc-Epinions1.txt.gz"), "-o", g)
            ids = [0, 4, 18, 645, 75000]
            out = self.rank(d, g, "--seeds", ",".join(map(str, ids)), "--full")
            self.check(g, out, [[a] for a in agents_of(g, ids)])

    def test_top_tables_agree_with_the_block(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 5000, "--seed", 5, "-o", g)
            out = self.rank(d, g, "--seeds", "3,40,4999", "--full", "--top-per-seed", 7)
            with h5py.File(out, "r") as f:
                block = f["trust/personalized/trust"][:]
                top_agent = f["trust/personalized/top_agent"][:]
                top_trust = f["trust/personalized/top_trust"][:]
            self.assertEqual(top_agent.shape, (3, 7))
            for c in range(3):
                np.testing.assert_array_equal(top_trust[c], block[c, top_agent[c]])
                self.assertAlmostEqual(top_trust[c, 0], block[c].max(), places=15)
                self.assertTrue((np.diff(top_trust[c]) <= 0).all())
            default = self.rank(d, g, "--seeds", "3", name="default.h5")
            with h5py.File(default, "r") as f:
                self.assertEqual(f["trust/personalized/top_agent"].shape, (1, 100))
                self.assertNotIn("trust", f["trust/personalized"])

    def test_bad_seeds(self):
        with tempdir() as d:
            g = os.path.join(d, "city.h5")
            run("generate", "city", "--agents", 1000, "--seed", 1, "-o", g)
            out = os.path.join(d, "r.h5")
            seeds = os.path.join(d, "seeds.txt")
            with open(seeds, "w") as f:
                f.write("1 2\n# comment\n3 1000000\n")
            p = run("rank", g, "--model", "personalized", "--seeds-file", seeds, "-o", out, check=False)
            self.assertEqual(p.returncode, 65, p.stderr)
            self.assertIn(f"{seeds}:3: agent id 1000000 is not in the graph", p.stderr)
            p = run("rank", g, "--model", "personalized", "--seeds", "1,x", "-o", out, check=False)
            self.assertEqual(p.returncode, 64, p.stderr)
            self.assertIn("--seeds", p.stderr)
            p = run("rank", g, "--model", "personalized", "--seeds-file", os.path.join(d, "missing.txt"), "-o", out,
                    check=False)
            self.assertEqual(p.returncode, 66, p.stderr)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
