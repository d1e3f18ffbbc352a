"""`trustprop simulate configs/city.toml` end to end (docs/dynamics.md): the
run directory (resolved config.toml, metrics.jsonl with one line per epoch,
log.txt, results.h5 with the same series under /metrics and trust
snapshots), a rerun giving the same state and metrics, and --dry-run."""
import json
import math
import os
import sys
import tomllib
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import run, tempdir  # noqa: E402

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "city.toml")
FIELDS = ["epoch", "cooperation_rate", "cooperation_rate_residents", "cooperation_rate_enterprises",
          "interactions", "cooperations", "defections", "defections_detected", "avoided", "trust_gini",
          "trust_top1_share", "trust_cooperators", "trust_defectors", "trust_residents", "trust_enterprises",
          "trust_institutions", "propagation_iterations", "propagation_residual", "propagation_converged",
          "seconds", "seconds_edges"]
EPOCHS = 3


def simulate(run_dir, *extra):
    return run("--device", "cpu", "simulate", CONFIG, "--epochs", EPOCHS, "--run-dir", run_dir, *extra)


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


class Simulate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
        cls.run_dir = os.path.join(cls.tmp.name, "city")
        cls.stdout = simulate(cls.run_dir).stdout

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_run_directory(self):
        for name in ("config.toml", "metrics.jsonl", "log.txt", "results.h5"):
            self.assertTrue(os.path.isfile(os.path.join(self.run_dir, name)), name)
        self.assertIn("simulate: run_dir=", self.stdout)
        with open(os.path.join(self.run_dir, "config.toml"), "rb") as f:
            resolved = tomllib.load(f)
        self.assertEqual(resolved["run"]["epochs"], EPOCHS)  # --epochs is part of the resolved configuration
        self.assertEqual(resolved["graph"]["generate"], "city")
        self.assertIn("reward", resolved["recognition"])
        with open(os.path.join(self.run_dir, "log.txt")) as f:
            log = f.read()
        self.assertIn(f"epoch {EPOCHS}/{EPOCHS}", log)

    def test_metrics_lines(self):
        rows = metrics(self.run_dir)
        self.assertEqual([r["epoch"] for r in rows], list(range(1, EPOCHS + 1)))
        for r in rows:
            for field in FIELDS:
                self.assertIn(field, r)
            self.assertGreaterEqual(r["cooperation_rate"], 0.0)
            self.assertLessEqual(r["cooperation_rate"], 1.0)
            self.assertGreater(r["interactions"], 0)
            self.assertEqual(r["cooperations"] + r["defections"], r["interactions"])
            self.assertGreaterEqual(r["trust_gini"], 0.0)
            self.assertLess(r["trust_gini"], 1.0)
            self.assertEqual(r["propagation_converged"], 1)
        self.assertAlmostEqual(rows[0]["cooperation_rate"], 0.5, delta=0.05)  # initial_cooperation

    def test_results_file_holds_the_same_series_and_trust(self):
        rows = metrics(self.run_dir)
        with h5py.File(os.path.join(self.run_dir, "results.h5"), "r") as f:
            self.assertEqual(f.attrs["backend"], "cpu")
            self.assertIn("[recognition]", f.attrs["config"])
            self.assertEqual(int(f.attrs["seed"]), 1)
            self.assertTrue(f.attrs["graph_content_hash"].startswith("xxh3:"))
            for field in rows[0]:
                got = f["metrics"][field][:]
                want = np.array([math.nan if r[field] is None else r[field] for r in rows], dtype=np.float64)
                self.assertEqual(len(got), EPOCHS, field)
                np.testing.assert_array_equal(got.astype(np.float64), want, err_msg=field)
            self.assertEqual(list(f["trust"].attrs["snapshot_epochs"]), [EPOCHS])
            t = f[f"trust/epoch_{EPOCHS}"][:]
            self.assertEqual(t.dtype, np.float64)
            self.assertAlmostEqual(t.sum(), 1.0, delta=1e-6)  # Cᵀ is float32: Σ_j c_ij = 1 within ~1e-7
            self.assertTrue((t >= 0).all())
            n = len(t)
            self.assertEqual(len(f["agents/strategy"]), n)
            self.assertEqual(len(f["agents/payoff"]), n)
            registrar = f["agents/registrar"][:]
            self.assertEqual(len(registrar), n)
            self.assertGreater((registrar >= 0).sum(), 0)  # the generated city registers its enterprises

    def test_rerun_is_identical(self):
        again = os.path.join(self.tmp.name, "again")
        simulate(again, "--log-level", "warn")
        for a, b in zip(metrics(self.run_dir), metrics(again)):
            for field in a:
                if not field.startswith("seconds"):
                    self.assertEqual(a[field], b[field], field)
        with h5py.File(os.path.join(self.run_dir, "results.h5"), "r") as f, \
                h5py.File(os.path.join(again, "results.h5"), "r") as g:
            np.testing.assert_array_equal(f[f"trust/epoch_{EPOCHS}"][:], g[f"trust/epoch_{EPOCHS}"][:])
            np.testing.assert_array_equal(f["agents/strategy"][:], g["agents/strategy"][:])

    def test_dry_run_prints_the_plan(self):
        d = os.path.join(self.tmp.name, "dry")
        plan = json.loads(simulate(d, "--dry-run").stdout)
        self.assertEqual(plan["backend"], "cpu")
        self.assertEqual(plan["epochs"], EPOCHS)
        self.assertEqual(plan["agents"], 20000)
        self.assertGreater(plan["memory_bytes_estimate"], 0)
        self.assertFalse(os.path.exists(d))


if __name__ == "__main__":
    unittest.main()
