// The signed trust and distrust driver (Guha, Kumar, Raghavan, Tomkins,
// WWW 2004; DESIGN §3, docs/signed.md). For a list of source agents it
// returns their belief rows F[s, ·], computed batch by batch of sources:
//
//   T = max(W, 0), D = max(−W, 0)
//   B = T (trust-only, one-step distrust) or T − D (propagated distrust)
//   C = α₁B + α₂BᵀB + α₃Bᵀ + α₄BBᵀ
//   Y₀ = E_S,  Y_j = N(Y_{j−1}·C)   (N: each row to unit L1 norm)
//   Z_j = Y_j·(T − D) for one-step distrust, Z_j = Y_j otherwise
//   eventual: F = Z_K;   weighted: F = Σ_{j=1..K} γʲ·Z_j
//
// The operands B, Bᵀ and (one-step) Wᵀ are built on the host once and
// uploaded; each batch holds four n × batch float64 blocks on the backend.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/world.hpp"
#include "io/graph.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

enum class SignedMode { trust_only, one_step, propagated };
enum class SignedIteration { eventual, weighted };

struct SignedTrustOptions {
  SignedMode mode = SignedMode::one_step;
  SignedIteration iteration = SignedIteration::eventual;
  std::array<double, 4> alpha = {0.4, 0.4, 0.1, 0.1};  // direct, co-citation, transpose, coupling
  double gamma = 0.9;                                   // weighted: the weight of step j is γʲ
  int steps = 20;                                       // K
  std::int64_t batch = 256;                             // sources per batch
};

// Command-line spellings: "trust-only", "one-step", "propagated";
// "eventual", "weighted".
SignedMode parse_signed_mode(const std::string& text);
SignedIteration parse_signed_iteration(const std::string& text);
std::string to_string(SignedMode mode);
std::string to_string(SignedIteration iteration);

// Throws ConfigError naming the option (--alpha, --gamma, --steps,
// --source-batch) for a value out of range.
void validate(const SignedTrustOptions& options);

// Peak bytes of a run with `sources` sources on an n-agent graph with nnz
// ties on the backend of `kind` (the batch is min(sources, options.batch)),
// margin included (kernels::with_margin): B, Bᵀ and, for one-step distrust,
// (T − D)ᵀ (8 B per tie and per agent each), the batch's 3 blocks (4 for
// the weighted iteration) of n float64 per source and the norms' partials;
// on the CPU also the batch's belief rows — what the run adds to the graph
// it has read. A GPU run checks its batch's host staging apart.
std::size_t signed_trust_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t nnz, std::int64_t sources,
                               const SignedTrustOptions& options);

struct SignedTrustResult {
  std::vector<double> belief;  // [sources, n], row-major: belief[s·n + a] (empty where handed to a sink)
  double seconds = 0.0;        // upload, propagation and download
};

// Called with each batch's belief rows as they are done: sources [first,
// first + count) of the run, rows[s·n + a] for s < count; the rows are
// reused afterwards.
using SignedRowSink = std::function<void(std::int64_t first, std::int64_t count, const double* rows)>;

// `sources` are agents (0..n-1), in output order; each batch's rows go to
// `sink` (the results file: the host holds one batch at a time). Throws
// DataError naming `graph_name` when a distrust mode meets a graph without
// negative weights, InternalError (exit 70) before allocating when the
// backend, or on a GPU the host for a batch's staging, cannot hold the run.
SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                                   const std::vector<std::int64_t>& sources, const SignedTrustOptions& options,
                                   const std::string& graph_name, const SignedRowSink& sink);
// The same, returning the whole [sources, n] block (refused, exit 70, when
// the host cannot hold it beside the run).
SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                                   const std::vector<std::int64_t>& sources, const SignedTrustOptions& options,
                                   const std::string& graph_name = "graph");

// A distributed run (DESIGN §7, docs/distributed.md): the sources are split
// among the processes of `comm` (host::even_bounds), each process computes
// its sources' rows on the whole graph, batch by batch as above, and in each
// round process 0 hands its own batch to `sink` and then receives each
// other process's and hands it on: process 0 holds one batch's rows at a
// time, and `sink` (process 0's alone) sees every source's row once. Each
// row is its own column of every product and norm (kernels/signed_trust.hpp),
// so the rows have the same bits as one process's. Collective: an error on
// any process (a check, the sink's write) ends all of them with its exit
// code (host::collectively); `seconds` is the slowest process's.
SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                   const io::Graph& graph, const std::vector<std::int64_t>& sources,
                                   const SignedTrustOptions& options, const std::string& graph_name,
                                   const SignedRowSink& sink);
// The same, process 0 returning the whole block (the others an empty one).
SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                   const io::Graph& graph, const std::vector<std::int64_t>& sources,
                                   const SignedTrustOptions& options, const std::string& graph_name = "graph");

}  // namespace trustprop::host
