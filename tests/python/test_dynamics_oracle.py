"""The city dynamics (docs/dynamics.md) against an independent numpy
implementation of one epoch, written from the documented rules with nothing
shared with the C++ code but the constants: Philox4x32-10 (checked against
Random123's known-answer vector), the interaction and detection draws, the
donation game with avoidance, Beta evidence with forgetting, supervision,
pooled feedback, the fixed-point local trust and Cᵀ, EigenTrust, payoffs with
recognition and value sharing, and the Fermi imitation.

`trustprop simulate` writes a checkpoint after every epoch; the oracle
computes each epoch from the state before it (epoch 1 from the initial state
it derives itself) and compares: evidence, pools and strategies exactly,
every outcome count of metrics.jsonl exactly, trust to 1e-10 (L1) and payoffs
to 1e-7. On a generated city with kinds, registration, distrust ties and
pooled feedback, and on the real Bitcoin OTC network (no kinds: uniform
pre-trust, no registration); the city also on the GPU where one is usable."""
import gzip
import json
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from trustprop_testlib import DATA, run, tempdir  # noqa: E402

EPOCHS = 3
# Philox purposes (kernels/dynamics_rules.hpp).
INTERACT, DETECT, REVISE, FERMI, INITIAL = 0x44590001, 0x44590002, 0x44590003, 0x44590004, 0x44590005
RESIDENT, ENTERPRISE, INSTITUTION = 0, 1, 2
M = np.uint64(0xFFFFFFFF)


def philox4x32_10(key, ctr):
    """Philox4x32-10 (Salmon et al. 2011) on arrays: key (k0, k1), ctr (c0..c3)."""
    k0, k1 = (np.asarray(k, np.uint64) for k in key)
    x0, x1, x2, x3 = (np.asarray(c, np.uint64) & M for c in ctr)
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * x0
        p1 = np.uint64(0xCD9E8D57) * x2
        x0, x1, x2, x3 = ((p1 >> np.uint64(32)) ^ x1 ^ k0, p1 & M, (p0 >> np.uint64(32)) ^ x3 ^ k1, p0 & M)
        k0 = (k0 + np.uint64(0x9E3779B9)) & M
        k1 = (k1 + np.uint64(0xBB67AE85)) & M
    return x0, x1, x2, x3


def draw4(seed, stream, index, draw):
    """Four words of (seed, stream, index, draw): key = seed, counter = (index, stream, draw)."""
    index = np.asarray(index, np.uint64)
    key = (np.uint64(seed & 0xFFFFFFFF), np.uint64(seed >> 32))
    return philox4x32_10(key, (index & M, index >> np.uint64(32), np.uint64(stream), np.asarray(draw, np.uint64)))


def threshold32(p):
    q = np.clip(np.nan_to_num(np.asarray(p, np.float64), nan=0.0), 0.0, 1.0)
    return (q * 4294967296.0).astype(np.uint64)


def local_trust(r, s):
    """(r+1)/(r+s+2) − 1/2 above 0, in multiples of 2^-32, truncated."""
    x = (r - s) / (2.0 * ((r + s) + 2.0))
    return np.maximum(np.trunc(x * 4294967296.0), 0.0).astype(np.uint64)


def fermi(gain, noise):
    """Probability of imitating a model whose payoff is `gain` higher."""
    with np.errstate(over="ignore"):  # e^x = inf for a large loss: probability 0
        return 1.0 / (1.0 + np.exp(-gain / noise))


def agent_class(kind, registered):
    return np.where(kind == INSTITUTION, 3, np.where(kind == ENTERPRISE, np.where(registered, 2, 1), 0))


class Model:
    """One graph and configuration; epoch() advances a state dict by one epoch."""

    def __init__(self, graph_path, cfg):
        with h5py.File(graph_path, "r") as f:
            g = f["graph"]
            self.n = int(g.attrs["shape"][0])
            self.indptr = g["indptr"][:].astype(np.int64)
            self.indices = g["indices"][:].astype(np.int64)
            self.w = g["data"][:].astype(np.float32)
            self.kind = f["agents/kind"][:] if "agents" in f and "kind" in f["agents"] else np.zeros(self.n, np.uint8)
        self.cfg = cfg
        self.row = np.repeat(np.arange(self.n), np.diff(self.indptr))
        self.nnz = len(self.indices)
        # Registration "graph": an enterprise registers with the institution
        # of its heaviest incoming tie from an institution (lowest id on ties).
        registrar = np.full(self.n, -1)
        best = np.zeros(self.n, np.float32)
        for inst in np.flatnonzero(self.kind == INSTITUTION):
            for k in range(self.indptr[inst], self.indptr[inst + 1]):
                j = self.indices[k]
                if self.kind[j] == ENTERPRISE and self.w[k] > best[j]:
                    best[j], registrar[j] = self.w[k], inst
        self.registered = registrar >= 0
        inst = self.kind == INSTITUTION
        self.pretrust = np.where(inst, 1.0 / inst.sum(), 0.0) if inst.any() else np.full(self.n, 1.0 / self.n)
        t = (np.float64(cfg["rate"]) * self.w.astype(np.float64))
        self.threshold = np.minimum(threshold32(t), np.uint64(0xFFFFFFFF))
        self.lam = np.float64(np.float32(cfg["forgetting"]))

    def initial(self):
        words = draw4(self.cfg["seed"], INITIAL, np.arange(self.n), 0)
        strategy = (self.kind == INSTITUTION) | (words[0] < threshold32(self.cfg["initial_cooperation"]))
        return {"r": np.zeros(self.nnz, np.float32), "s": np.zeros(self.nnz, np.float32),
                "pool_r": np.zeros(self.n), "pool_s": np.zeros(self.n), "strategy": strategy.astype(np.uint8),
                "payoff": np.zeros(self.n), "trust": self.pretrust.copy()}

    def epoch(self, st, e):
        c, n, k = self.cfg, self.n, np.arange(self.nnz)
        j = self.indices
        words = draw4(c["seed"], INTERACT, e, k >> 2)
        draw = np.choose(k & 3, words)
        reg = self.registered[j]
        pooled = reg & c["pooled_feedback"]
        r0, s0 = st["r"].astype(np.float64), st["s"].astype(np.float64)
        pr, ps = np.where(pooled, st["pool_r"][j], 0.0), np.where(pooled, st["pool_s"][j], 0.0)
        er, es = np.where(pooled, pr, r0), np.where(pooled, ps, s0)
        hit = draw < self.threshold
        refuse = (er + 1.0) < c["avoid_below"] * ((er + es) + 2.0)
        coop = st["strategy"][j] != 0
        served = hit & ~refuse
        good, bad = served & coop, served & ~coop
        outcome = np.where(hit, np.where(served, np.where(coop, 2, 3), 1), 0)
        detect = draw4(c["seed"], DETECT, k, e)[0] < threshold32(c["supervision"])
        outcome = np.where(bad & reg & detect, 4, outcome)
        r1 = (self.lam * r0 + good).astype(np.float32)
        s1 = (self.lam * s0 + bad).astype(np.float32)
        q = np.where(pooled, local_trust(pr, ps), local_trust(r1.astype(np.float64), s1.astype(np.float64)))
        rowsum = np.bincount(self.row, weights=q, minlength=n)  # exact: below 2^53
        inv = np.where(rowsum > 0, 1.0 / np.where(rowsum > 0, rowsum, 1.0), 0.0)
        cval = (q.astype(np.float64) * inv[self.row]).astype(np.float32).astype(np.float64)

        def count_by(index, mask):
            return np.bincount(index, weights=mask.astype(np.float64), minlength=n).astype(np.int64)

        received, given = count_by(self.row, outcome == 2), count_by(j, outcome == 2)
        defections, fines = count_by(j, outcome >= 3), count_by(j, outcome == 4)
        pool_r = np.where(self.registered, self.lam * st["pool_r"] + given, st["pool_r"])
        pool_s = np.where(self.registered, self.lam * st["pool_s"] + defections, st["pool_s"])

        # EigenTrust on Cᵀ, warm-started, to well below trustprop's tolerance.
        dangling = rowsum == 0
        t, a, p = st["trust"].copy(), c["restart"], self.pretrust
        for _ in range(5000):
            ct_t = np.bincount(j, weights=cval * t[self.row], minlength=n)
            t_next = (1 - a) * (ct_t + t[dangling].sum() * p) + a * p
            res = np.abs(t_next - t).sum()
            t = t_next
            if res < 1e-15:
                break

        rho, phi = c["reward"], c["sharing"]
        payoff = c["benefit"] * received - c["cost"] * given - c["fine"] * fines + (1 - phi) * rho * n * t + phi * rho

        # Fermi imitation of a random out-neighbour of the same class.
        cls = agent_class(self.kind, self.registered)
        nxt = st["strategy"].copy()
        rv = draw4(c["seed"], REVISE, np.arange(n), e)
        fm = draw4(c["seed"], FERMI, np.arange(n), e)
        revise_below = int(threshold32(c["revision"]))
        for i in range(n):
            degree = int(self.indptr[i + 1] - self.indptr[i])
            if cls[i] == 3 or degree == 0 or int(rv[0][i]) >= revise_below:
                continue
            pick = (int(rv[2][i]) << 32) | int(rv[1][i])
            model = int(self.indices[self.indptr[i] + ((pick * degree) >> 64)])
            if cls[model] != cls[i]:
                continue
            u = ((((int(fm[1][i]) << 32) | int(fm[0][i])) >> 11)) * 2.0 ** -53
            if u < fermi(payoff[model] - payoff[i], c["noise"]):
                nxt[i] = st["strategy"][model]
        counts = {"interactions": int((outcome >= 2).sum()), "cooperations": int((outcome == 2).sum()),
                  "defections": int((outcome >= 3).sum()), "defections_detected": int((outcome == 4).sum()),
                  "avoided": int((outcome == 1).sum())}
        return {"r": r1, "s": s1, "pool_r": pool_r, "pool_s": pool_s, "strategy": nxt, "payoff": payoff,
                "trust": t}, counts


CONFIG = """[run]
name = "oracle"
epochs = {epochs}
seed = {seed}
[graph]
path = "{graph}"
[interaction]
rate = {rate}
benefit = {benefit}
cost = {cost}
avoid_below = {avoid_below}
initial_cooperation = {initial_cooperation}
[evidence]
forgetting = {forgetting}
[platform]
registration = "graph"
supervision = {supervision}
fine = {fine}
pooled_feedback = {pooled}
[propagation]
restart_probability = {restart}
tolerance = 1e-13
max_iterations = 2000
gather_precision = "float64"
[recognition]
reward = {reward}
sharing = {sharing}
[adaptation]
noise = {noise}
revision = {revision}
[checkpoint]
every = 1
keep = {epochs}
"""

PARAMS = {"seed": 7, "rate": 0.5, "benefit": 4.0, "cost": 1.0, "avoid_below": 0.4, "initial_cooperation": 0.5,
          "forgetting": 0.9, "supervision": 0.5, "fine": 10.0, "pooled_feedback": True, "restart": 0.15,
          "reward": 100.0, "sharing": 0.2, "noise": 1.0, "revision": 0.5}


def checkpoint_state(path):
    with h5py.File(path, "r") as f:
        return {name: f["state/" + name][:] for name in ("r", "s", "pool_r", "pool_s", "strategy", "payoff", "trust")}


class DynamicsOracle(unittest.TestCase):
    def check_graph(self, graph, device="cpu", simulate=None):
        """simulate(config, run_dir): how trustprop runs (default: one process on `device`)."""
        with tempdir() as tmp:
            cfg_path, run_dir = os.path.join(tmp, "oracle.toml"), os.path.join(tmp, "run")
            with open(cfg_path, "w") as f:
                f.write(CONFIG.format(epochs=EPOCHS, graph=graph, pooled=str(PARAMS["pooled_feedback"]).lower(),
                                      **{k: v for k, v in PARAMS.items() if k != "pooled_feedback"}))
            if device != "cpu":
                probe = run("--device", device, "simulate", cfg_path, "--dry-run", "--run-dir", run_dir, check=False)
                if probe.returncode != 0:
                    self.skipTest(probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "no " + device)
            if simulate is None:
                run("--device", device, "simulate", cfg_path, "--run-dir", run_dir)
            else:
                simulate(cfg_path, run_dir)
            with open(os.path.join(run_dir, "metrics.jsonl")) as f:
                metrics = [json.loads(line) for line in f]
            model = Model(graph, PARAMS)
            before = model.initial()
            for e in range(1, EPOCHS + 1):
                got = checkpoint_state(os.path.join(run_dir, "checkpoints", f"ckpt-e{e}.h5"))
                want, counts = model.epoch(before, e)
                for name in ("r", "s", "pool_r", "pool_s", "strategy"):
                    np.testing.assert_array_equal(got[name], want[name], err_msg=f"epoch {e}: {name}")
                self.assertLess(np.abs(got["trust"] - want["trust"]).sum(), 1e-10, f"epoch {e}: trust")
                np.testing.assert_allclose(got["payoff"], want["payoff"], rtol=0, atol=1e-7,
                                           err_msg=f"epoch {e}: payoff")
                for name, value in counts.items():
                    self.assertEqual(metrics[e - 1][name], value, f"epoch {e}: {name}")
                self.assertGreater(counts["interactions"], 0)
                before = got  # the next epoch from trustprop's own state: no compounding
            return metrics, model

    def test_philox_known_answer(self):
        # Random123's kat_vectors: philox4x32_10, counter 0, key 0.
        self.assertEqual([int(x) for x in philox4x32_10((0, 0), (0, 0, 0, 0))],
                         [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8])

    def test_generated_city(self):
        with tempdir() as tmp:
            graph = os.path.join(tmp, "city.h5")
            run("generate", "city", "--agents", 3000, "--seed", 4, "--signed-share", 0.1, "-o", graph)
            metrics, model = self.check_graph(graph)
            # The mechanisms all took part.
            self.assertGreater(model.registered.sum(), 10)
            self.assertTrue(any(m["defections_detected"] > 0 for m in metrics))
            self.assertTrue(any(m["avoided"] > 0 for m in metrics))
            self.assertTrue((model.w < 0).any())

    def test_generated_city_on_the_gpu(self):
        # The same oracle for the CUDA backend; skipped, with the reason, where none is usable.
        with tempdir() as tmp:
            graph = os.path.join(tmp, "city.h5")
            run("generate", "city", "--agents", 3000, "--seed", 4, "--signed-share", 0.1, "-o", graph)
            self.check_graph(graph, device="cuda")

    def test_bitcoin_otc(self):
        with tempdir() as tmp:
            graph = os.path.join(tmp, "otc.h5")
            run("import", os.path.join(DATA, "real", "bitcoin-otc", "soc-sign-bitcoinotc.csv.gz"), "--signed",
                "-o", graph)
            metrics, model = self.check_graph(graph)
            self.assertEqual(model.n, 5881)
            self.assertTrue(any(m["avoided"] > 0 for m in metrics))


if __name__ == "__main__":
    unittest.main()
