"""Oracle checks of `trustprop generate city|rmat` from the user's side: the
files open with h5py + scipy as DESIGN §2 promises, and the city has the
shape, kinds, weights and heavy-tailed in-degree docs/generators.md states.

Run with Debian's python3 (numpy, scipy, h5py); the binary is $TRUSTPROP_BINARY.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np
import scipy.sparse as sp

BINARY = os.environ.get("TRUSTPROP_BINARY", "build/trustprop")


def run(*args):
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)


def read_csr(path):
    with h5py.File(path, "r") as f:
        g = f["graph"]
        n = int(g.attrs["shape"][0])
        return sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=(n, n))


class GenerateCity(unittest.TestCase):
    N = 200_000

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="trustprop-gen-")
        cls.path = os.path.join(cls.tmp, "city.h5")
        p = run("generate", "city", "--agents", cls.N, "--seed", 3, "-o", cls.path)
        if p.returncode != 0:
            raise AssertionError(f"generate city exited {p.returncode}: {p.stderr}")
        cls.summary = p.stdout
        cls.w = read_csr(cls.path)
        with h5py.File(cls.path, "r") as f:
            cls.kind = f["agents/kind"][:]
            cls.attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            cls.graph_attrs = dict(f["graph"].attrs)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_summary_line(self):
        line = self.summary.strip()
        self.assertTrue(line.startswith("generate city: agents=200000 edges="), line)
        fields = dict(kv.split("=", 1) for kv in line.split()[2:])
        self.assertEqual(int(fields["edges"]), self.w.nnz)
        self.assertGreater(float(fields["edges_per_second"]), 0)

    def test_anndata_encoding_and_shape(self):
        self.assertEqual(self.graph_attrs["encoding-type"], "csr_matrix")
        self.assertEqual(list(self.graph_attrs["shape"]), [self.N, self.N])
        with h5py.File(self.path, "r") as f:  # scipy may narrow the index types; the file may not
            self.assertEqual(f["graph/indptr"].dtype, np.int64)
            self.assertEqual(f["graph/indices"].dtype, np.int32)
            self.assertEqual(f["graph/data"].dtype, np.float32)
        self.assertTrue(self.w.has_sorted_indices)
        # Unique columns: summing duplicates changes nothing.
        c = self.w.copy()
        c.sum_duplicates()
        self.assertEqual(c.nnz, self.w.nnz)

    def test_kinds_and_shares(self):
        self.assertEqual(self.kind.dtype, np.uint8)
        counts = np.bincount(self.kind, minlength=3)
        self.assertEqual(len(counts), 3)
        self.assertEqual(counts[2], round(0.001 * self.N))
        self.assertEqual(counts[1], round(0.04 * self.N))
        self.assertEqual(counts.sum(), self.N)
        gen = json.loads(self.attrs["generator"])
        self.assertEqual(gen["model"], "city")
        self.assertEqual(gen["institutions"], counts[2])
        self.assertEqual(gen["enterprises"], counts[1])

    def test_no_self_loops_and_weight_range(self):
        self.assertEqual(self.w.diagonal().nonzero()[0].size, 0)
        self.assertGreater(self.w.data.min(), 0.0)
        self.assertLessEqual(self.w.data.max(), 1.0)
        self.assertTrue(np.isfinite(self.w.data).all())

    def test_mean_degree_near_target(self):
        self.assertAlmostEqual(self.w.nnz / self.N, 48.0, delta=4.8)

    def test_in_degree_heavy_tail(self):
        indeg = np.bincount(self.w.indices, minlength=self.N)
        mean = indeg.mean()
        self.assertGreater(indeg.max(), 500 * mean)
        # The top 0.1 % of agents receive a large share of all ties ...
        top = np.sort(indeg)[::-1][: self.N // 1000]
        self.assertGreater(top.sum() / indeg.sum(), 0.05)
        # ... and they are enterprises and institutions.
        top_ids = np.argsort(indeg)[::-1][:50]
        self.assertTrue((self.kind[top_ids] > 0).all())
        # The complementary CDF falls like a power law over decades, not
        # exponentially: agents above 10x and above 100x the mean both exist.
        self.assertGreater((indeg > 10 * mean).sum(), 100)
        self.assertGreater((indeg > 100 * mean).sum(), 10)

    def test_out_degree_tail_from_friends(self):
        outdeg = np.diff(self.w.indptr)
        residents = self.kind == 0
        self.assertGreater(outdeg[residents].max(), 50 * outdeg.mean())
        # Median resident trusts a few dozen agents.
        self.assertTrue(20 <= np.median(outdeg[residents]) <= 60)

    def test_households_trust_each_other_strongly(self):
        # Household ties are the strongest (base weight 0.9): the strongest
        # tie of a resident in a household of two or more is mostly >= 0.65.
        r = np.flatnonzero(self.kind == 0)[:2000]
        best = np.array([self.w[i].data.max() if self.w[i].nnz else 0 for i in r])
        self.assertGreater((best >= 0.65).mean(), 0.5)


class GenerateCliAndDeterminism(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trustprop-gen-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def p(self, name):
        return os.path.join(self.tmp, name)

    def test_same_seed_same_arrays_any_threads(self):
        for threads, name in ((1, "a.h5"), (2, "b.h5")):
            r = run("--threads", threads, "generate", "city", "--agents", 30000, "--seed", 5,
                    "--signed-share", 0.1, "-o", self.p(name))
            self.assertEqual(r.returncode, 0, r.stderr)
        run("generate", "city", "--agents", 30000, "--seed", 6, "--signed-share", 0.1, "-o", self.p("c.h5"))
        a, b, c = (read_csr(self.p(x)) for x in ("a.h5", "b.h5", "c.h5"))
        for x, y in ((a.indptr, b.indptr), (a.indices, b.indices), (a.data, b.data)):
            self.assertTrue(np.array_equal(x, y))
        self.assertNotEqual(a.nnz == c.nnz and np.array_equal(a.indices, c.indices), True)
        hashes = [h5py.File(self.p(x), "r").attrs["trustprop.content_hash"] for x in ("a.h5", "b.h5", "c.h5")]
        self.assertEqual(hashes[0], hashes[1])
        self.assertNotEqual(hashes[0], hashes[2])
        neg = (a.data < 0).mean()
        self.assertAlmostEqual(neg, 0.1, delta=0.02)
        self.assertLessEqual(np.abs(a.data).max(), 1.0)

    def test_rmat(self):
        out = self.p("r.h5")
        r = run("generate", "rmat", "--scale", 12, "--edge-factor", 8, "--weights", "uniform", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        w = read_csr(out)
        self.assertEqual(w.shape, (4096, 4096))
        self.assertLessEqual(w.nnz, 8 * 4096)
        self.assertGreater(w.nnz, 6 * 4096)
        self.assertEqual(w.diagonal().nonzero()[0].size, 0)
        self.assertTrue(((w.data > 0) & (w.data <= 1)).all())
        with h5py.File(out, "r") as f:
            gen = json.loads(f.attrs["generator"])
            self.assertNotIn("agents", f)
        self.assertEqual(gen["edge_draws"], 8 * 4096)
        self.assertEqual(gen["edges"], w.nnz)

    def test_bad_options_are_usage_errors_and_leave_nothing(self):
        cases = [
            (["generate", "city", "--agents", 5], 64, "--agents"),
            (["generate", "city", "--agents", 1000, "--mean-degree", 1], 64, "--mean-degree"),
            (["generate", "city", "--agents", 1000, "--signed-share", 2], 64, "--signed-share"),
            (["generate", "city", "--agents", "many"], 64, "--agents"),
            (["generate", "city", "--agents", 1000, "--compress", 12], 64, "--compress"),
            (["generate", "city", "--agents", 1000, "--institution-share", 0.4, "--enterprise-share", 0.4], 78,
             "share"),
            (["generate", "rmat", "--scale", 40, "--edge-factor", 16], 64, "--scale"),
            (["generate", "rmat", "--scale", 10, "--edge-factor", 16, "--weights", "gauss"], 64, "--weights"),
            (["generate", "rmat", "--scale", 10, "--edge-factor", 16, "--a", 0.9, "--b", 0.2], 78, "--a"),
        ]
        for args, code, word in cases:
            out = self.p("bad.h5")
            r = run(*args, "-o", out)
            self.assertEqual(r.returncode, code, f"{args}: {r.stderr}")
            self.assertIn(word, r.stderr, args)
            self.assertFalse(os.path.exists(out), args)
            self.assertEqual(os.listdir(self.tmp), [])

    def test_unwritable_output_is_io_error(self):
        r = run("generate", "city", "--agents", 1000, "-o", os.path.join(self.tmp, "missing", "x.h5"))
        self.assertEqual(r.returncode, 74, r.stderr)


if __name__ == "__main__":
    unittest.main()
