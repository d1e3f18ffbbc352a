#!/usr/bin/python3
"""Plots the validation experiment of the city dynamics (docs/dynamics.md)
from the run directories of scripts/run_dynamics_experiment.sh, and prints
the summary table (markdown) that docs/dynamics.md quotes.

    plot_dynamics_experiment.py RUNS_DIR OUTPUT.png

Each run directory holds the metrics.jsonl of one configuration in
configs/experiments/. "Long run" is the mean over the last 10 epochs."""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LONG_RUN = 10


def series(runs, name, field):
    path = os.path.join(runs, name, "metrics.jsonl")
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return [r["epoch"] for r in rows], [math.nan if r[field] is None else r[field] for r in rows]


def long_run(values):
    tail = [v for v in values[-LONG_RUN:] if not math.isnan(v)]
    return sum(tail) / len(tail) if tail else math.nan


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    runs, output = sys.argv[1], sys.argv[2]
    fig, ax = plt.subplots(2, 2, figsize=(12, 9))
    table = []

    # (a) No recognition reward: defection spreads, more slowly for larger b/c.
    a = ax[0][0]
    for bc in (2, 8, 32):
        x, y = series(runs, f"no_reward_bc{bc}", "cooperation_rate")
        a.plot(x, y, label=f"b/c = {bc}")
        table.append((f"no_reward_bc{bc}", "cooperation rate", y[0], long_run(y)))
    a.set(title="(a) no recognition reward: defection spreads", xlabel="epoch", ylabel="cooperation rate",
          ylim=(-0.02, 1.02))
    a.legend()

    # (b) The recognition reward raises long-run cooperation.
    b = ax[0][1]
    for rho in (0, 50, 100, 200, 400):
        x, y = series(runs, f"reward_{rho}", "cooperation_rate")
        b.plot(x, y, label=f"ρ = {rho}")
        table.append((f"reward_{rho}", "cooperation rate", y[0], long_run(y)))
    b.set(title="(b) recognition reward ρ (b/c = 4, no supervision)", xlabel="epoch", ylabel="cooperation rate",
          ylim=(-0.02, 1.02))
    b.legend()

    # (c) Supervision raises the cooperation of registered providers.
    c = ax[1][0]
    sigmas = (0, 25, 50, 100)
    registered, unregistered = [], []
    for s in sigmas:
        _, yr = series(runs, f"supervision_{s}", "cooperation_rate_registered")
        _, yu = series(runs, f"supervision_{s}", "cooperation_rate_unregistered")
        registered.append(long_run(yr))
        unregistered.append(long_run(yu))
        table.append((f"supervision_{s}", "registered enterprises cooperating", yr[0], registered[-1]))
        table.append((f"supervision_{s}", "unregistered enterprises cooperating", yu[0], unregistered[-1]))
    pos = range(len(sigmas))
    c.bar([p - 0.2 for p in pos], registered, width=0.4, label="registered enterprises")
    c.bar([p + 0.2 for p in pos], unregistered, width=0.4, label="unregistered enterprises")
    c.set_xticks(list(pos), [f"σ = {s / 100:g}" for s in sigmas])
    c.set(title=f"(c) supervision σ (fine 10; mean of the last {LONG_RUN} epochs)", ylabel="cooperation rate",
          ylim=(0, 1.25))
    c.legend(loc="upper center", ncol=2)

    # (d) Pooled feedback: customers refuse defecting registered providers sooner.
    d = ax[1][1]
    for mode in ("private", "pooled"):
        x, y = series(runs, f"feedback_{mode}", "refusal_rate_registered_defectors")
        d.plot(x, y, marker="o", markersize=3, label=f"{mode} feedback")
        table.append((f"feedback_{mode}", "refusal rate, defecting registered providers (epoch 2 / 5 / long run)",
                       y[0], "{:.3f} / {:.3f} / {:.3f}".format(y[1], y[4], long_run(y))))
    d.set(title="(d) pooled feedback: defecting registered providers refused", xlabel="epoch",
          ylabel="share of drawn interactions refused", ylim=(-0.02, 1.02))
    d.legend()

    fig.suptitle("trustprop city dynamics: generated city of 20,000 agents, seed 1")
    fig.tight_layout()
    fig.savefig(output, dpi=110)

    print(f"| arm | quantity | epoch 1 | long run (mean of the last {LONG_RUN} epochs) |")
    print("|---|---|---|---|")
    for name, what, first, last in table:
        print(f"| {name} | {what} | {first:.3f} | {last if isinstance(last, str) else f'{last:.3f}'} |")


if __name__ == "__main__":
    main()
