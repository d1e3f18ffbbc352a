"""`trustprop import` on every real network in tests/data/real: the agent and
edge counts its PROVENANCE.txt states, and the CSR (read with h5py and with
anndata's read_elem) equal to a scipy.sparse matrix built independently from
the text file. Run with Debian's python3; TRUSTPROP_BINARY is the binary."""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import warnings

import h5py
import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("TRUSTPROP_TEST_DATA", os.path.join(HERE, "..", "data"))
REAL = os.path.join(DATA, "real")
BINARY = os.environ.get("TRUSTPROP_BINARY", os.path.join(HERE, "..", "..", "build", "trustprop"))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # anndata warns that pytorch is missing
    try:
        from anndata.experimental import read_elem
    except ImportError:  # older anndata
        from anndata._io.specs import read_elem


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        return f.read()


def reference_edges(path, csv):
    """(src ids, dst ids, float32 weights) of a text edge list, parsed with
    nothing shared with the C++ importer."""
    rows = [l for l in read_text(path).splitlines() if l.strip() and l.lstrip()[0] not in "#%"]
    if csv and not re.match(r"^\s*[-+]?\d", rows[0]):
        rows = rows[1:]  # header
    ncols = len(re.split(r"[\s,]+", rows[0].strip()))
    tokens = np.array(" ".join(rows).replace(",", " ").split()).reshape(-1, ncols)
    src = tokens[:, 0].astype(np.int64)
    dst = tokens[:, 1].astype(np.int64)
    w = tokens[:, 2].astype(np.float64).astype(np.float32) if ncols >= 3 else np.ones(len(src), np.float32)
    return src, dst, w


def reference_csr(src, dst, w, keep_self_loops):
    ids = np.unique(np.concatenate([src, dst]))
    r = np.searchsorted(ids, src)
    c = np.searchsorted(ids, dst)
    keep = np.ones(len(r), bool) if keep_self_loops else r != c
    n = len(ids)
    pairs = r[keep] * n + c[keep]
    assert len(np.unique(pairs)) == len(pairs), "these networks have no duplicate edges"
    m = sp.coo_matrix((w[keep], (r[keep], c[keep])), shape=(n, n)).tocsr()
    m.sort_indices()
    return ids, m


def trustprop(*args, check=True):
    p = subprocess.run([BINARY, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"trustprop {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


# name: (folder, file, import options, is csv, expected agents, edges stored, extra)
NETWORKS = {
    "bitcoin-otc": ("bitcoin-otc", "soc-sign-bitcoinotc.csv.gz", ["--signed"], True, 5881, 35592),
    "wiki-vote": ("wiki-vote", "wiki-Vote.txt", [], False, 7115, 103689),
    "epinions": ("epinions", "soc-Epinions1.txt.gz", [], False, 75879, 508837),
    "advogato": ("advogato", "out.advogato", [], False, 6539, 51127 - 3992),
    "advogato-loops": ("advogato", "out.advogato", ["--keep-self-loops"], False, 6539, 51127),
    "slashdot": ("slashdot0902", "soc-slashdot0902-directed.edges.csv.gz", [], True, 82168, 948464 - 78303),
    "slashdot-loops": ("slashdot0902", "soc-slashdot0902-directed.edges.csv.gz", ["--keep-self-loops"], True,
                       82168, 948464),
}

# What each PROVENANCE.txt states, checked to be there verbatim.
PROVENANCE_FACTS = {
    "bitcoin-otc": ["5,881 nodes", "35,592 edges", "32,029 pos / 3,563 neg"],
    "wiki-vote": ["7,115 nodes", "103,689 edges"],
    "epinions": ["75,879 nodes", "508,837 edges"],
    "advogato": ["51,127 edges", "ids 1..6541 (6,539 with edges)", "3,992 self-loops"],
    "slashdot0902": ["82,168 nodes", "948,464 edges (78,303 self-loops)"],
}


class ImportRealNetworks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="trustprop-import-real-")
        cls.refs = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def reference(self, folder, file, csv):
        key = (folder, file)
        if key not in self.refs:
            self.refs[key] = reference_edges(os.path.join(REAL, folder, file), csv)
        return self.refs[key]

    def import_network(self, name, *extra):
        folder, file, options, csv, agents, edges = NETWORKS[name]
        out = os.path.join(self.tmp.name, name + "".join(extra) + ".h5")
        p = trustprop("import", os.path.join(REAL, folder, file), *options, *extra, "--json", "-o", out)
        return out, json.loads(p.stdout)

    def check_network(self, name):
        folder, file, options, csv, agents, edges = NETWORKS[name]
        out, summary = self.import_network(name)
        self.assertEqual(summary["agents"], agents)
        self.assertEqual(summary["edges"], edges)
        self.assertEqual(summary["duplicates_merged"], 0)

        src, dst, w = self.reference(folder, file, csv)
        ids, ref = reference_csr(src, dst, w, "--keep-self-loops" in options)
        self.assertEqual(summary["edges_read"], len(src))
        self.assertEqual(summary["self_loops_dropped"], 0 if "--keep-self-loops" in options else int((src == dst).sum()))
        with h5py.File(out, "r") as f:
            g = f["graph"]
            self.assertEqual(g.attrs["encoding-type"], "csr_matrix")
            self.assertEqual(list(g.attrs["shape"]), [agents, agents])
            self.assertEqual(g["indptr"].dtype, np.int64)
            self.assertEqual(g["indices"].dtype, np.int32)
            self.assertEqual(g["data"].dtype, np.float32)
            np.testing.assert_array_equal(g["indptr"][:], ref.indptr)
            np.testing.assert_array_equal(g["indices"][:], ref.indices)
            np.testing.assert_array_equal(g["data"][:], ref.data)
            np.testing.assert_array_equal(f["agents/id"][:], ids)
            self.assertEqual(f.attrs["source"], "import:" + file)
            importer = json.loads(f.attrs["importer"])
            self.assertEqual(importer["agents"], agents)
            self.assertEqual(importer["keep_self_loops"], "--keep-self-loops" in options)
            m = read_elem(g)
        self.assertIsInstance(m, sp.csr_matrix)
        self.assertEqual(m.shape, (agents, agents))
        self.assertEqual((m != ref).nnz, 0)
        return out, summary, ids, ref

    def test_provenance_states_what_we_check(self):
        for folder, facts in PROVENANCE_FACTS.items():
            with open(os.path.join(REAL, folder, "PROVENANCE.txt")) as f:
                text = f.read()
            for fact in facts:
                self.assertIn(fact, text, f"{folder}/PROVENANCE.txt")

    def test_bitcoin_otc_signed(self):
        out, summary, ids, ref = self.check_network("bitcoin-otc")
        self.assertEqual(int((ref.data > 0).sum()), 32029)
        self.assertEqual(int((ref.data < 0).sum()), 3563)
        self.assertEqual((summary["weight_min"], summary["weight_max"]), (-10.0, 10.0))
        self.assertTrue(summary["compressed"])

    def test_bitcoin_otc_scaled_into_unit_range(self):
        self.check_network("bitcoin-otc")
        out, summary = self.import_network("bitcoin-otc", "--scale-weights")
        src, dst, w = self.reference("bitcoin-otc", "soc-sign-bitcoinotc.csv.gz", True)
        _, ref = reference_csr(src, dst, w, False)
        with h5py.File(out, "r") as f:
            data = f["graph/data"][:]
            self.assertEqual(json.loads(f.attrs["importer"])["weight_scale"], 10.0)
        np.testing.assert_array_equal(data, (ref.data.astype(np.float64) / 10).astype(np.float32))
        self.assertEqual((data.min(), data.max()), (-1.0, 1.0))

    def test_bitcoin_otc_unsigned_is_refused(self):
        out = os.path.join(self.tmp.name, "unsigned.h5")
        path = os.path.join(REAL, "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz")
        p = trustprop("import", path, "-o", out, check=False)
        self.assertEqual(p.returncode, 65)
        self.assertIn(path + ":597: negative weight '-1'", p.stderr)
        self.assertIn("--signed", p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_wiki_vote(self):
        self.check_network("wiki-vote")

    def test_epinions(self):
        _, summary, ids, _ = self.check_network("epinions")
        self.assertEqual((ids.min(), ids.max()), (0, 75887))  # 9 ids in range never appear
        self.assertEqual(summary["lines"], 508837 + 4)  # 4 '#' header lines

    def test_advogato(self):
        _, summary, ids, _ = self.check_network("advogato")
        self.assertEqual(summary["self_loops_dropped"], 3992)
        self.assertEqual((ids.min(), ids.max()), (1, 6541))
        _, summary, _, ref = self.check_network("advogato-loops")
        levels = {v: int((ref.data == np.float32(v)).sum()) for v in (0.6, 0.8, 1.0)}
        self.assertEqual(levels, {0.6: 10554, 0.8: 22570, 1.0: 18003})

    def test_slashdot(self):
        _, summary, _, _ = self.check_network("slashdot")
        self.assertEqual(summary["self_loops_dropped"], 78303)
        self.check_network("slashdot-loops")


if __name__ == "__main__":
    unittest.main(verbosity=2)
