// The fairness–goodness driver (DESIGN §3; Kumar et al., ICDM 2016): places
// both directions of the graph on a backend with float64 weights, starts at
// f = 1 and g = the mean incoming weight, alternates the goodness and the
// fairness step, and stops when Σ|Δf| and Σ|Δg| are both below the
// tolerance or after max_iterations — the authors' loop, step for step.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "host/eigentrust.hpp"
#include "host/graph_share.hpp"
#include "io/graph.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

struct FairnessGoodnessOptions {
  double tolerance = 1e-6;
  int max_iterations = 100;
  // Weights are divided by this in float64 before use; 10 turns Bitcoin OTC
  // ratings (−10..10) into [−1, 1] exactly as the authors' code does.
  double weight_divisor = 1.0;
};

// The state after each iteration (progress, checkpoints): f and g, whole
// (on every process of a distributed run), on the backend, and the record
// so far.
struct FairnessGoodnessState {
  const kernels::Array<double>& fairness;
  const kernels::Array<double>& goodness;
  const Convergence& convergence;  // residuals[i] = max(fairness_change[i], goodness_change[i])
  const std::vector<double>& fairness_change;
  const std::vector<double>& goodness_change;
};

// Called after every iteration; it may throw to end the run (a stop with a
// checkpoint).
using FairnessGoodnessObserver = std::function<void(const FairnessGoodnessState&)>;

// Where an interrupted run goes on (a checkpoint): f and g after
// convergence.iterations iterations, and the record so far. The next
// iteration reads nothing else that is not derived from the graph and the
// options, so a resumed run continues bit for bit on the same backend.
struct FairnessGoodnessResume {
  std::vector<double> fairness, goodness;
  Convergence convergence;
  std::vector<double> fairness_change, goodness_change;
};

struct FairnessGoodnessResult {
  std::vector<double> fairness, goodness;
  Convergence convergence;                       // residual = max(Σ|Δf|, Σ|Δg|)
  std::vector<double> fairness_change, goodness_change;  // per iteration
  double iterate_seconds = 0.0;
};

// Both directions of the graph with float64 weights w / divisor, on the
// host, and the start f = 1, g = the mean incoming weight (0 if nobody
// rates): what the driver places on its backend (and what the benchmarks
// give GraphBLAS). Each in-row lists its raters ascending. Throws DataError
// (naming `graph_name` and the edge) when a weight lies outside [−1, 1].
struct FairnessGoodnessInput {
  std::vector<double> out_w, in_w;  // out_w follows graph.indices
  std::vector<std::int64_t> in_ptr;
  std::vector<std::int32_t> in_idx;
  std::vector<double> f0, g0;
};
FairnessGoodnessInput fairness_goodness_input(const io::Graph& graph, double weight_divisor,
                                              const std::string& graph_name);

// Peak bytes of a run on the backend of `kind`, margin included
// (kernels::with_margin), for a process whose rows of W hold `out_entries`
// ties and whose in-rows `in_entries` ratings (both the graph's nnz for one
// process); `routed`: a distributed run, whose ratings travel to their
// in-rows' owners. On the CPU, what the run adds to the graph it has read:
// the float64 weights of both directions and the in-rows' raters (20 B per
// tie), and per agent the start, f, g, their results and the in-row
// offsets; routed, each rating also passes through a 16 B send and a 16 B
// receive buffer. On a GPU: both directions (24 B per tie) and 40 B per agent.
std::size_t fairness_goodness_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t out_entries,
                                    std::int64_t in_entries, bool routed);

// Throws ConfigError for bad options, DataError (naming `graph_name` and the
// edge) when a weight lies outside [−1, 1] after the division, InternalError
// (exit 70) before allocating when the backend cannot hold the run.
// `resume`, when given, replaces the start (f = 1, g = the mean incoming
// weight) and the record so far.
FairnessGoodnessResult run_fairness_goodness(const std::shared_ptr<const kernels::Executor>& exec,
                                             const io::Graph& graph, const FairnessGoodnessOptions& options,
                                             const std::string& graph_name = "graph",
                                             const FairnessGoodnessObserver& observe = {},
                                             const FairnessGoodnessResume* resume = nullptr);

// A distributed run (DESIGN §7, docs/distributed.md), each process holding
// its rows of W (the raters it updates f of): the rated agents are split by
// their in-degrees, one all-to-all exchange gives each process its in-rows
// (listing raters ascending, as one process does), and after each goodness
// and each fairness step the process's rows of g and f are exchanged (8
// bytes per agent each). Every value is the same sum in the same order as
// one process's, so f and g have the same bits for any number of
// processes, on every process; the changes are added over the processes
// and may differ in their last bits. Collective.
FairnessGoodnessResult run_fairness_goodness(const std::shared_ptr<const kernels::Executor>& exec,
                                             const GraphShare& share, const FairnessGoodnessOptions& options,
                                             const std::string& graph_name = "graph",
                                             const FairnessGoodnessObserver& observe = {},
                                             const FairnessGoodnessResume* resume = nullptr);

}  // namespace trustprop::host
