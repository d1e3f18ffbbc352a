"""Fairness-goodness against the authors' published outputs for Bitcoin OTC
(tests/data/real/bitcoin-otc/fairness-goodness, see its PROVENANCE.txt):
1e-9 per node, the same number of iterations, the same residual history."""
import csv
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import DATA, run, tempdir  # noqa: E402

OTC = os.path.join(DATA, "real", "bitcoin-otc")
FG = os.path.join(OTC, "fairness-goodness")


def read_scores(name):
    with open(os.path.join(FG, name)) as f:
        return {int(r[0]): float(r[1]) for r in csv.reader(f)}


class FairnessGoodnessAgainstAuthors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fair = read_scores("F_OTCNet.csv")
        cls.good = read_scores("G_OTCNet.csv")
        with open(os.path.join(FG, "residual_OTCNet.csv")) as f:
            cls.residuals = np.array([[float(x) for x in r] for r in csv.reader(f)])

    def rank(self, d, *import_args, divisor=None, device="cpu"):
        g = os.path.join(d, "otc.h5")
        out = os.path.join(d, "fg.h5")
        run("import", os.path.join(OTC, "soc-sign-bitcoinotc.csv.gz"), "--signed", *import_args, "-o", g)
        extra = ["--weight-divisor", divisor] if divisor else []
        run("--device", device, "rank", g, "--model", "fairness-goodness", *extra, "-o", out)
        with h5py.File(out, "r") as f:
            ids = f["agents/id"][:]
            conv = f["convergence/fairness-goodness"]
            return (ids, f["trust/fairness"][:], f["trust/goodness"][:], int(conv.attrs["iterations"]),
                    int(conv.attrs["converged"]), conv["fairness_change"][:], conv["goodness_change"][:])

    def compare(self, ids, fair, good, tol):
        want_f = np.array([self.fair[int(i)] for i in ids])
        want_g = np.array([self.good[int(i)] for i in ids])
        self.assertEqual(len(ids), len(self.fair))
        self.assertLessEqual(np.abs(fair - want_f).max(), tol)
        self.assertLessEqual(np.abs(good - want_g).max(), tol)

    def test_raw_ratings_divided_in_float64_match_to_1e9(self):
        with tempdir() as d:
            ids, fair, good, iters, converged, df, dg = self.rank(d, divisor=10)
            self.compare(ids, fair, good, 1e-9)
            self.assertEqual(converged, 1)
            self.assertEqual(iters, len(self.residuals))  # 15, as the authors' run
            np.testing.assert_allclose(df, self.residuals[:, 1], rtol=1e-6, atol=1e-12)
            np.testing.assert_allclose(dg, self.residuals[:, 2], rtol=1e-6, atol=1e-12)

    def test_scaled_float32_graph_matches_to_float32_accuracy(self):
        # --scale-weights stores r/10 as float32 (DESIGN §2): 1e-7 rounding per weight.
        with tempdir() as d:
            ids, fair, good, iters, *_ = self.rank(d, "--scale-weights")
            self.compare(ids, fair, good, 1e-6)
            self.assertEqual(iters, len(self.residuals))

    def test_weights_outside_unit_interval_are_rejected(self):
        with tempdir() as d:
            g = os.path.join(d, "otc.h5")
            out = os.path.join(d, "fg.h5")
            run("import", os.path.join(OTC, "soc-sign-bitcoinotc.csv.gz"), "--signed", "-o", g)
            p = run("--device", "cpu", "rank", g, "--model", "fairness-goodness", "-o", out, check=False)
            self.assertEqual(p.returncode, 65, p.stderr)
            self.assertIn("[-1, 1]", p.stderr)
            self.assertIn(g, p.stderr)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
