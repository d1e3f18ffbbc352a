"""Signed trust and distrust (Guha, Kumar, Raghavan, Tomkins, WWW 2004)
through the binary against a dense numpy implementation of the paper's
formulas, with the normalisation of docs/signed.md: every mode x iteration
on small random signed graphs, all agents as sources; plus the source
options and the error for a distrust mode on an unsigned graph."""
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import read_csr, run, tempdir  # noqa: E402

MODES = ("trust-only", "one-step", "propagated")
ITERATIONS = ("eventual", "weighted")


def dense_signed(w, mode, iteration, alpha, gamma, steps):
    """F for every agent as a source, written from the formulas:
    T = max(W, 0), D = max(-W, 0); B = T, or T - D (propagated);
    C = a1 B + a2 B^T B + a3 B^T + a4 B B^T; Y_0 = I, Y_j = N(Y_{j-1} C)
    with N scaling rows to unit L1 norm (zero rows stay zero);
    Z_j = Y_j (T - D) for one-step, Y_j otherwise;
    eventual F = Z_K, weighted F = sum_j gamma^j Z_j."""
    t = np.maximum(w, 0.0)
    d = np.maximum(-w, 0.0)
    b = t - d if mode == "propagated" else t
    a1, a2, a3, a4 = alpha
    c = a1 * b + a2 * b.T @ b + a3 * b.T + a4 * b @ b.T
    y = np.eye(w.shape[0])
    f = np.zeros_like(y)
    for j in range(1, steps + 1):
        y = y @ c
        norm = np.abs(y).sum(axis=1, keepdims=True)
        y = np.divide(y, norm, out=np.zeros_like(y), where=norm > 0)
        z = y @ (t - d) if mode == "one-step" else y
        f = f + gamma ** j * z if iteration == "weighted" else z
    return f


def random_signed_edges(rng, n, edges, negative_share):
    """Distinct (source, target, weight) ids 100.., no self-loops; agent
    100 + n - 1 has only distrust out-ties, agent 100 trusts nobody."""
    pairs = set()
    while len(pairs) < edges:
        s, t = rng.integers(0, n, size=2)
        if s != t and s != 0:
            pairs.add((int(s), int(t)))
    out = []
    for s, t in sorted(pairs):
        magnitude = float(rng.integers(1, 11))
        negative = s == n - 1 or rng.random() < negative_share
        out.append((100 + s, 100 + t, -magnitude if negative else magnitude))
    return out


def write_edges(path, edges):
    with open(path, "w") as f:
        f.write("source,target,weight\n")
        for s, t, w in edges:
            f.write(f"{s},{t},{w:g}\n")


def signed_graph(d, seed, n, edges):
    """random_signed_edges imported into d/g.h5: its path and dense W."""
    csv = os.path.join(d, "g.csv")
    g = os.path.join(d, "g.h5")
    write_edges(csv, random_signed_edges(np.random.default_rng(seed), n, edges, 0.3))
    run("import", csv, "--signed", "-o", g)
    return g, read_csr(g).toarray().astype(np.float64)


def read_ids(graph):
    with h5py.File(graph, "r") as f:
        return f["agents/id"][:]


def read_signed(path):
    with h5py.File(path, "r") as f:
        return f["trust/signed"][:], f["trust/signed_sources"][:], dict(f["trust/signed"].attrs)


class SignedAgainstDense(unittest.TestCase):
    def check_graph(self, seed, n, edges, alpha, gamma, steps):
        with tempdir() as d:
            g, w = signed_graph(d, seed, n, edges)
            for mode in MODES:
                for iteration in ITERATIONS:
                    with self.subTest(seed=seed, mode=mode, iteration=iteration):
                        out = os.path.join(d, f"{mode}-{iteration}.h5")
                        run("--device", "cpu", "rank", g, "--model", "signed", "--mode", mode,
                            "--iteration", iteration, "--alpha", ",".join(map(str, alpha)),
                            "--gamma", gamma, "--steps", steps, "-o", out)
                        got, sources, attrs = read_signed(out)
                        want = dense_signed(w, mode, iteration, alpha, gamma, steps)
                        self.assertEqual(got.shape, (w.shape[0], w.shape[0]))
                        np.testing.assert_array_equal(sources, read_ids(g))
                        scale = np.abs(want).max(axis=1, keepdims=True) + 1e-300
                        self.assertLessEqual((np.abs(got - want) / scale).max(), 1e-12)
                        self.assertEqual(attrs["mode"], mode)
                        self.assertEqual(attrs["iteration"], iteration)
                        self.assertEqual(int(attrs["steps"]), steps)

    def test_paper_alpha_small_graph(self):
        self.check_graph(seed=1, n=12, edges=40, alpha=(0.4, 0.4, 0.1, 0.1), gamma=0.9, steps=6)

    def test_uneven_alpha_sparser_graph_many_steps(self):
        self.check_graph(seed=2, n=40, edges=90, alpha=(0.7, 0.0, 0.2, 0.1), gamma=0.5, steps=15)

    def test_sources_in_order_from_list_and_file(self):
        with tempdir() as d:
            g, w = signed_graph(d, 3, 20, 60)
            want = dense_signed(w, "one-step", "eventual", (0.4, 0.4, 0.1, 0.1), 0.9, 20)
            agent = {int(i): a for a, i in enumerate(read_ids(g))}
            ids = [117, 100, 105, 117]
            a = os.path.join(d, "a.h5")
            run("--device", "cpu", "rank", g, "--model", "signed", "--sources", ",".join(map(str, ids)),
                "--source-batch", 3, "-o", a)
            got, sources, _ = read_signed(a)
            np.testing.assert_array_equal(sources, ids)
            rows = [agent[i] for i in ids]
            np.testing.assert_allclose(got, want[rows], rtol=1e-12, atol=1e-14)
            listing = os.path.join(d, "sources.txt")
            with open(listing, "w") as f:
                f.write("# sources\n117\n100\n\n105\n117\n")
            b = os.path.join(d, "b.h5")
            run("--device", "cpu", "rank", g, "--model", "signed", "--sources-file", listing, "-o", b)
            np.testing.assert_array_equal(read_signed(b)[0], got)

            p = run("--device", "cpu", "rank", g, "--model", "signed", "--sources", "99", "-o", a, check=False)
            self.assertEqual(p.returncode, 64, p.stderr)
            self.assertIn("--sources", p.stderr)
            with open(listing, "w") as f:
                f.write("100\nx7\n")
            p = run("--device", "cpu", "rank", g, "--model", "signed", "--sources-file", listing, "-o", a,
                    check=False)
            self.assertEqual(p.returncode, 65, p.stderr)
            self.assertIn(f"{listing}:2", p.stderr)

    def test_top_tables_rank_the_dense_rows(self):
        """--top-per-source K: each source's K highest and K lowest beliefs
        of the dense formulas (ties: lower agent index first), in a file
        without the block unless --full; with --full the block as well."""
        with tempdir() as d:
            g, w = signed_graph(d, 4, 40, 120)
            want = dense_signed(w, "propagated", "eventual", (0.4, 0.4, 0.1, 0.1), 0.9, 5)
            agent = {int(i): a for a, i in enumerate(read_ids(g))}
            ids = [105, 100, 131, 117, 139]
            rows = want[[agent[i] for i in ids]]
            k = 6
            args = ("--device", "cpu", "rank", g, "--model", "signed", "--mode", "propagated", "--steps", 5,
                    "--sources", ",".join(map(str, ids)), "--source-batch", 2, "--top-per-source", k)
            tops = os.path.join(d, "tops.h5")
            run(*args, "-o", tops)
            full = os.path.join(d, "full.h5")
            run(*args, "--full", "-o", full)
            for path in (tops, full):
                with h5py.File(path, "r") as f:
                    self.assertEqual("trust/signed" in f, path == full)
                    t = f["trust/signed_top"]
                    self.assertEqual(t.attrs["mode"], "propagated")
                    for s, row in enumerate(rows):
                        index = np.arange(len(row))
                        # Beliefs equal to within rounding may rank either way: compare values,
                        # and agents where the gap to the next value is clear.
                        high = np.lexsort((index, -row))[:k]
                        low = np.lexsort((index, row))[:k]
                        np.testing.assert_allclose(t["trusted_belief"][s], row[high], rtol=1e-12, atol=1e-14)
                        np.testing.assert_allclose(t["distrusted_belief"][s], row[low], rtol=1e-12, atol=1e-14)
                        for got, want_agents, order in ((t["trusted_agent"][s], high, -row),
                                                        (t["distrusted_agent"][s], low, row)):
                            for i in range(k):
                                clear = np.sort(np.abs(order - order[want_agents[i]]))[1] > 1e-9
                                if clear:
                                    self.assertEqual(got[i], want_agents[i], (s, i))
                    self.assertTrue((t["distrusted_belief"][:, 0] < 0).all())
                    if path == full:
                        np.testing.assert_allclose(f["trust/signed"][:], rows, rtol=1e-12, atol=1e-14)

    def test_distrust_modes_on_an_unsigned_graph_exit_65(self):
        with tempdir() as d:
            csv = os.path.join(d, "u.csv")
            g = os.path.join(d, "u.h5")
            write_edges(csv, [(1, 2, 1), (2, 3, 2), (3, 1, 1)])
            run("import", csv, "-o", g)
            for mode in ("one-step", "propagated"):
                out = os.path.join(d, f"{mode}.h5")
                p = run("--device", "cpu", "rank", g, "--model", "signed", "--mode", mode, "-o", out, check=False)
                self.assertEqual(p.returncode, 65, p.stderr)
                self.assertIn(g, p.stderr)
                self.assertIn("negative weights", p.stderr)
                self.assertFalse(os.path.exists(out))
            out = os.path.join(d, "trust-only.h5")
            run("--device", "cpu", "rank", g, "--model", "signed", "--mode", "trust-only", "-o", out)
            self.assertEqual(read_signed(out)[0].shape, (3, 3))


if __name__ == "__main__":
    unittest.main()
