#!/usr/bin/python3
"""Plot (or tabulate) benchmarks/results/cpu_eigentrust.json.

  plot_cpu_eigentrust.py RESULTS.json OUT.png   time per iteration against
                                                edges, one line per system and
                                                thread count, floor dashed
  plot_cpu_eigentrust.py --table RESULTS.json   Markdown table on stdout (the
                                                one in docs/benchmarks.md)

Needs matplotlib for the plot (Debian: python3-matplotlib); run with /usr/bin/python3.
"""
import json
import sys

SYSTEMS = [("trustprop", "trustprop", "tab:blue"),
           ("graphblas_fp32", "GraphBLAS FP32", "tab:orange"),
           ("graphblas_fp64", "GraphBLAS FP64", "tab:green")]
# The rows of the table that are not plotted: trustprop with one lever off,
# and (value-free graphs only) trustprop with the values kept and GraphBLAS
# as LAGraph runs an unweighted graph.
LEVERS = [("trustprop_fp64_gather", "trustprop, float64 gather"),
          ("trustprop_with_values", "trustprop, values kept"),
          ("graphblas_fp32_structural", "GraphBLAS FP32 structural"),
          ("trustprop_csr", "trustprop, CSR (no SELL-8)"),
          ("trustprop_blocked", "trustprop, source-blocked CSR"),
          ("trustprop_unblocked", "trustprop, no cache blocking")]
L1_KEYS = {"graphblas_fp32": "l1_trustprop_vs_graphblas_fp32",
           "graphblas_fp64": "l1_trustprop_vs_graphblas_fp64",
           "trustprop_fp64_gather": "l1_float32_gather_vs_float64_gather",
           "trustprop_with_values": "l1_value_free_vs_with_values",
           "graphblas_fp32_structural": "l1_trustprop_vs_graphblas_fp32_structural",
           "trustprop_csr": "l1_trustprop_vs_csr",
           "trustprop_blocked": "l1_trustprop_vs_blocked",
           "trustprop_unblocked": "l1_blocked_vs_unblocked"}
STYLES = {1: "-", 2: "--"}


def rows(doc):
    for g in doc["graphs"]:
        for run in g["runs"]:
            yield g, run


def fmt_s(s):
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.3f} s"


def table(doc):
    m = doc["machine"]
    print(f"Machine: {m['cpu_model']}, {m['cores']} cores, L3 {m.get('l3_cache', '?')}, "
          f"{m.get('memory_gib', '?')} GiB ({m.get('hypervisor') or 'bare metal'} guest); "
          f"{doc['graphblas']['library']} {doc['graphblas']['version']}; "
          f"trustprop {doc['trustprop_version']} at git {doc['git_revision']}"
          f"{' + %d uncommitted paths' % doc['git_uncommitted_paths'] if doc.get('git_uncommitted_paths') else ''}; "
          f"{doc['date_utc']}.")
    print()
    print("| graph | n | nnz | threads | STREAM GB/s | floor | system | median / iter | min / iter "
          "| GB/s | × floor | × value-free floor | × GrB FP32 | × GrB FP32 structural | × GrB FP64 "
          "| L1 vs trustprop | busy |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g, run in rows(doc):
        gr = g["graph"]
        agree = run["agreement"]
        for key, name, _ in SYSTEMS + [(k, n, None) for k, n in LEVERS]:
            if key not in run["systems"]:
                continue  # a result from before the lever rows existed
            s = run["systems"][key]
            l1 = "—" if key == "trustprop" else f"{agree.get(L1_KEYS[key], float('nan')):.1e}"
            optional = lambda k: f"{s[k]:.2f}" if k in s else "—"
            print(f"| {gr['label']} | {gr['n']:,} | {gr['nnz_transition']:,} | {run['threads']} "
                  f"| {run['stream_triad_GBps']:.1f} | {fmt_s(run['floor_seconds'])} | {name} "
                  f"| {fmt_s(s['median_seconds'])} | {fmt_s(s['min_seconds'])} | {s['bandwidth_GBps']:.2f} "
                  f"| {s['ratio_to_floor']:.2f} | {optional('ratio_to_floor_value_free')} "
                  f"| {s['ratio_to_graphblas_fp32']:.2f} | {optional('ratio_to_graphblas_fp32_structural')} "
                  f"| {s['ratio_to_graphblas_fp64']:.2f} | {l1} | {100 * run.get('background_cpu_share', 0):.0f}% |")


def plot(doc, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graphs = sorted(doc["graphs"], key=lambda g: g["graph"]["nnz_transition"])
    threads = sorted({run["threads"] for g in graphs for run in g["runs"]})
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 5.8), gridspec_kw={"width_ratios": [1.15, 1]})

    # left: seconds per iteration against edges, log-log, for the graphs as
    # made (a reordered copy, labelled <graph>-<method>, has the same size:
    # it is compared on the right)
    sizes = [g for g in graphs if "-" not in g["graph"]["label"]]
    for key, name, color in SYSTEMS:
        for k in threads:
            xs, ys = [], []
            for g in sizes:
                for run in g["runs"]:
                    if run["threads"] == k:
                        xs.append(g["graph"]["nnz_transition"])
                        ys.append(run["systems"][key]["median_seconds"])
            ax.plot(xs, ys, STYLES.get(k, ":"), marker="o", color=color, label=f"{name}, {k} thread{'s' * (k > 1)}")
    for k in threads:
        xs = [g["graph"]["nnz_transition"] for g in sizes]
        ys = [next(r["floor_seconds"] for r in g["runs"] if r["threads"] == k) for g in sizes]
        ax.plot(xs, ys, STYLES.get(k, ":"), color="grey", alpha=0.7,
                label=f"compulsory-bytes floor, {k} thread{'s' * (k > 1)}")
    for g in sizes:
        x = g["graph"]["nnz_transition"]
        y = max(r["systems"][key]["median_seconds"] for r in g["runs"] for key, _, _ in SYSTEMS)
        ax.annotate(g["graph"]["label"], (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("edges of Cᵀ (nnz)")
    ax.set_ylabel("seconds per EigenTrust iteration (median)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("time per iteration against graph size", fontsize=10)

    # right: nanoseconds per edge, grouped by graph
    groups = [(key, name, color, k) for key, name, color in SYSTEMS for k in threads]
    width = 0.8 / len(groups)
    for q, (key, name, color, k) in enumerate(groups):
        xs = [i + (q - (len(groups) - 1) / 2) * width for i in range(len(graphs))]
        ys = [1e9 * next(r["systems"][key]["median_seconds"] for r in g["runs"] if r["threads"] == k)
              / g["graph"]["nnz_transition"] for g in graphs]
        bx.bar(xs, ys, width, color=color, alpha=1.0 if k == threads[0] else 0.55,
               hatch=None if k == threads[0] else "//", edgecolor="white", label=f"{name}, {k} thr")
    bx.set_xticks(range(len(graphs)))
    bx.set_xticklabels([g["graph"]["label"] for g in graphs], rotation=30, ha="right", fontsize=8)
    bx.set_ylabel("nanoseconds per edge (median iteration / nnz)")
    bx.grid(True, axis="y", alpha=0.3)
    bx.legend(fontsize=7, ncol=2)
    bx.set_title("cost per edge (lower is better)", fontsize=10)

    m = doc["machine"]
    fig.suptitle(f"CPU EigenTrust iteration: trustprop vs SuiteSparse:GraphBLAS {doc['graphblas']['version']} — "
                 f"{m['cpu_model']}, {m['cores']} cores, git {doc['git_revision']}, {doc['date_utc'][:10]}",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        table(json.load(open(sys.argv[2])))
    elif len(sys.argv) == 3:
        plot(json.load(open(sys.argv[1])), sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
