// The SybilRank driver (Cao, Sirivianos, Yang, Pregueiro, NSDI 2012;
// docs/sybilrank.md). The undirected graph is the symmetrised pattern of
// the positive ties of W: u and v are neighbours when u trusts v or v
// trusts u (w > 0; distrust and zero ties are no social link, and
// self-loops are dropped); deg(v) = |N(v)|. An agent with no neighbour
// gets a self-loop, so it keeps its trust and has degree 1. The total trust
// T_G = Σ_v deg(v) (the graph's volume) is placed evenly on the seeds, and
// `steps` steps of t'(v) = Σ_{u∈N(v)} t(u)/deg(u) follow (default
// ⌈log₂ n⌉: the paper's early termination, before trust leaks through the
// few attack edges into a Sybil region). With this T_G a fully mixed walk
// gives every agent degree-normalised trust 1, so the score reads as a
// multiple of the stationary value.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "host/eigentrust.hpp"
#include "host/graph_share.hpp"
#include "io/graph.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

struct SybilRankOptions {
  int steps = -1;  // -1: ⌈log₂ n⌉
};

struct SybilRankResult {
  std::vector<double> trust;       // degree-normalised t(v)/deg(v): the ranking score (n)
  std::vector<double> raw;         // t(v) after the steps
  int steps = 0;
  double total_trust = 0.0;        // T_G
  std::int64_t seeds = 0;          // distinct seeds
  Convergence convergence;         // iterations = steps; residuals: ‖Δt‖₁ of each step
  double iterate_seconds = 0.0;
};

// ⌈log₂ n⌉ (0 for n <= 1).
int sybilrank_default_steps(std::int64_t n);

// Peak bytes of a run on the backend of `kind`, margin included
// (kernels::with_margin), for a process whose rows of W hold `ties` (the
// graph's nnz for one process); `routed`: a distributed run, whose links
// travel to their rows' owners. On the CPU, what the run adds to the graph
// it has read: both directions of every link with repeats (8 B per tie; the
// pattern is made in place) and per agent the offsets, t, t′, q and the
// results; routed, each link also passes through 16 B of send and of receive
// buffer. On a GPU: the pattern (at most 8 B per tie) and 44 B per agent.
std::size_t sybilrank_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t ties, bool routed);

// `seeds` are agents (0..n-1; duplicates count once). Throws UsageError for
// an empty seed list, ConfigError for steps < -1, InternalError (exit 70)
// before allocating when the backend cannot hold the run.
SybilRankResult run_sybilrank(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                              const std::vector<std::int64_t>& seeds, const SybilRankOptions& options,
                              const std::string& graph_name = "graph");

// A distributed run (DESIGN §7, docs/distributed.md), each process holding
// its rows of W: the agents are split by their links, each process builds
// its rows of the undirected pattern (one all-to-all exchange) and computes
// its rows of every step, and q = t/deg is exchanged after each
// normalisation (8 bytes per agent to every process). Every t′(v) is the
// same sum in the same order as one process's, so process 0 gets the same
// trust and raw vectors, bit for bit, for any number of processes (the
// others get them empty); the residuals are added over the processes and
// may differ in their last bits. Collective.
SybilRankResult run_sybilrank(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                              const std::vector<std::int64_t>& seeds, const SybilRankOptions& options);

}  // namespace trustprop::host
