// The EigenTrust driver: places a graph on a backend, iterates
// kernels::eigentrust_step until ‖Δt‖₁ < tolerance or max_iterations, and
// reports how it went. Never fails silently on non-convergence: the result
// says converged = false and the caller decides (DESIGN §3).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/graph_share.hpp"
#include "io/graph.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// ‖Δt‖₁ below which an iteration stops gathering from the float32 copy of t
// (EigenTrustOptions::float32_gather).
inline constexpr double float32_gather_limit = 1e-7;

// A warm start whose sum is within this of 1 is taken as it is; others are
// scaled to sum 1.
inline constexpr double warm_start_sum_slack = 1e-6;

// Whether the float32 gather ends after an iteration of residual ‖Δt‖₁ that
// followed one of `previous` (+∞ for the first): below float32_gather_limit,
// or where the residual did not shrink. The exact iteration shrinks it by at
// least the factor 1 − a every time (Cᵀ with the dangling mass keeps L1
// norms), so a residual that stays is float32 rounding of t as large as a
// step, which can hold it above the limit for ever (a two-cycle of agents).
inline bool float32_gather_ends(double residual, double previous) {
  return residual < float32_gather_limit || residual >= previous;
}

struct EigenTrustOptions {
  double restart = 0.15;       // a: probability of jumping back to the pre-trust p (PageRank damping = 1 − a)
  double tolerance = 1e-6;     // stop when ‖t_{k+1} − t_k‖₁ < tolerance
  int max_iterations = 1000;
  // Gather Cᵀt from a float32 copy of t (kernels/eigentrust.hpp) until
  // float32_gather_ends, then in float64: faster, and the result differs from the
  // all-double iteration's by float32 rounding (≈1e-9 L1) only when the
  // tolerance stops it before the switch. false: float64 throughout.
  bool float32_gather = true;
  // Sources per cache block of Cᵀ on the CPU (kernels::SourceBlocks): 0 lets
  // the backend choose (SELL-8 rows, else source blocks from the graph's
  // size); n or more: no blocks.
  std::int64_t block_agents = 0;
};

// One vocabulary for every iterative model (issue 4): how the iteration ended.
struct Convergence {
  int iterations = 0;
  double residual = 0.0;       // the last ‖Δ‖₁
  bool converged = false;
  std::vector<double> residuals;  // per iteration
};

struct EigenTrustResult {
  std::vector<double> trust;   // n, sums to 1
  Convergence convergence;
  bool value_free = false;     // Cᵀ was built without values (kernels/eigentrust.hpp)
  std::int64_t block_width = 0;   // sources per cache block of Cᵀ; 0: none
  std::int64_t source_blocks = 1;
  std::string cpu_simd;           // a SELL-8 Cᵀ (CPU): the SIMD level of its products; empty: CSR
  double setup_seconds = 0.0;  // upload and transition matrix
  double iterate_seconds = 0.0;
  double exchange_seconds = 0.0;  // distributed: the part of iterate_seconds spent exchanging t between processes
};

// Checks the options; throws ConfigError naming the bad parameter.
void validate(const EigenTrustOptions& options);

// The iteration between two steps: all that the next one reads beside the
// graph, p and the options, so a checkpoint of it continues bit for bit
// (host/rank_checkpoint.hpp).
struct EigenTrustState {
  const kernels::Array<double>& trust;  // t after convergence.iterations iterations, on the backend
  bool float32_gather;                  // whether the next iteration gathers in float32
  const Convergence& convergence;       // the record so far
};

// Where an interrupted iteration goes on (a checkpoint): t is taken as it
// is (not normalised), and the copy the gather reads is rebuilt from t —
// float32(t), or float32(t·1/d) / t·1/d for a value-free Cᵀ — which is
// exactly what every iteration leaves it as.
struct EigenTrustResume {
  std::vector<double> trust;
  bool float32_gather = true;
  Convergence convergence;
};

// Called after every iteration (progress reports, checkpoints); it may
// throw to end the run (a stop with a checkpoint).
using IterationObserver = std::function<void(const EigenTrustState&)>;

// `pretrust` is the distribution p (n entries summing to 1); `start`, when
// not empty, is the warm-start vector (n entries, scaled here to sum 1 unless
// it does within warm_start_sum_slack);
// `resume`, when given, replaces it and the record so far.
EigenTrustResult run_eigentrust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                                const std::vector<double>& pretrust, const EigenTrustOptions& options,
                                const std::vector<double>& start = {}, const IterationObserver& observe = {},
                                const EigenTrustResume* resume = nullptr);

// The same iteration across the processes of a distributed run (DESIGN
// §7), each holding its rows of W (host/graph_share.hpp): Cᵀ is split by
// rows among them (host/transition_share.hpp), each step computes a
// process's rows of t', and t' and its gathered copy are exchanged after
// every step (12 bytes per agent to every process with the float32 gather,
// 16 with the float64 one). Collective; every process returns the whole
// result. Each t'_j is the same dot product in the same order as one
// process's step with a CSR or SELL-8 Cᵀ, so the trust vector has the same
// bits for any number of processes (not against a source-blocked Cᵀ,
// whose sums run in another order); the residual is added over the
// processes and may differ in its last bits. `resume` is the whole state,
// the same on every process (rank_checkpoint.hpp's broadcast_resume).
EigenTrustResult run_eigentrust(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                                const std::vector<double>& pretrust, const EigenTrustOptions& options,
                                const std::vector<double>& start = {}, const IterationObserver& observe = {},
                                const EigenTrustResume* resume = nullptr);

}  // namespace trustprop::host
