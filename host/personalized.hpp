// Batched personalized trust (DESIGN §3, docs/personalized.md): k seed sets
// propagated together, each column an EigenTrust run whose pre-trust is
// uniform over its seed set — "how much does seed set c trust everyone".
//
// The driver builds Cᵀ once (kernels::build_transition), places the n × k
// block (kernels/personalized.hpp) on the backend after checking that it
// fits, and iterates all columns together; a column that has converged
// (‖ΔT[:, c]‖₁ < tolerance) is frozen, so each column stops at the same
// iteration, with the same values, as its own single-seed run
// (host::run_eigentrust; bitwise on the CPU). It stops when every column has
// converged or after max_iterations, and says which columns did not.
//
// Seed sets come from `--seeds` (original ids, one set per id, or
// `institutions`: one set per institution, the default) or `--seeds-file`
// (one set per line); every parse error names the option, or the file and
// line.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/eigentrust.hpp"
#include "host/world.hpp"
#include "io/graph.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// k seed sets in CSR form: set c is agents[offsets[c] .. offsets[c + 1]),
// agent indices 0..n−1, ascending and unique within a set.
struct SeedSets {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int64_t> agents;
  std::string description;  // for logs and provenance

  std::int64_t count() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  std::int64_t entries() const { return static_cast<std::int64_t>(agents.size()); }
};

// `--seeds LIST`: "institutions", or comma-separated original ids (one set
// per id). Throws UsageError naming --seeds for a malformed or unknown id,
// and naming `graph_name` for "institutions" on a graph without any (as
// sybilrank: the seeds are then the user's to give).
SeedSets seeds_from_list(const io::Graph& graph, const std::string& list, const std::string& graph_name);
// `--seeds-file PATH`: one seed set per line, ids separated by spaces, tabs
// or commas, '#' starts a comment. Throws NoInputError for an unreadable
// file, DataError naming path:line for a malformed or unknown id, UsageError
// when the file lists no set.
SeedSets seeds_from_file(const io::Graph& graph, const std::string& path);

// The number of ids of each set a list or file gives, as written (repeats
// counted), without the graph (for --dry-run); "institutions" needs the
// graph's kinds and is not counted here.
std::vector<std::int64_t> seed_set_sizes_of_list(const std::string& list);
std::vector<std::int64_t> seed_set_sizes_of_file(const std::string& path);

// Peak bytes on the backend of `kind` for k seed sets with `seed_entries`
// seeds in all, on an n-agent graph with nnz ties, margin included
// (kernels::with_margin): the larger of building Cᵀ (as for EigenTrust: on
// a GPU 24 B per tie + 32 B per agent, on the CPU its host estimate) and
// iterating (Cᵀ, the dangling list, the seed matrix, and 16 B per agent
// per column for T and T' — on a GPU with the step's per-column
// workspace, on the CPU for the host copy and the result that replace
// them at the end). On the CPU, what the run adds to the graph it has read.
std::size_t personalized_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t nnz, std::int64_t k,
                               std::int64_t seed_entries);

// host/result_room.hpp for k seed sets on `graph_name`: a GPU run, whose
// block is on the device, or process 0 of a split run, which gathers every
// process's columns beside its own run. (A one-process CPU run's result
// takes the place of its block: personalized_bytes covers it.)
void require_result_room(std::int64_t n, std::int64_t k, std::size_t beside, const std::string& graph_name);

struct PersonalizedResult {
  std::int64_t n = 0, k = 0;
  std::vector<double> trust;                    // [k, n] row-major: trust[c·n + j] = seed set c's trust in agent j
  Convergence convergence;                      // residuals[i]: max over the columns iterated at i; residual: max over columns
  std::vector<std::int64_t> column_iterations;  // per column: the iteration it converged at (or the last one)
  std::vector<double> column_residuals;         // per column: its last ‖ΔT[:, c]‖₁
  double setup_seconds = 0.0;                   // upload, Cᵀ, start block
  double iterate_seconds = 0.0;
};

// The state after an iteration, for the observer (progress, checkpoints):
// with the seed sets, the graph and the options, all the next iteration
// reads — the SpMM gathers from T itself (float64, no other copy), and an
// inactive (converged) column is carried over unchanged.
struct PersonalizedState {
  const kernels::Array<double>& trust;                // T, n × k agent-major (T[j·k + c]), on the backend
  const std::vector<std::uint8_t>& active;            // per column: 1 while it iterates
  const std::vector<std::int64_t>& column_iterations;  // as in PersonalizedResult, so far
  const std::vector<double>& column_residuals;
  const Convergence& convergence;                     // the record so far
};

// Where an interrupted iteration goes on (a checkpoint): the same, on the host.
struct PersonalizedResume {
  std::vector<double> trust;  // n × k agent-major; released once it is on the backend
  std::vector<std::uint8_t> active;
  std::vector<std::int64_t> column_iterations;
  std::vector<double> column_residuals;
  Convergence convergence;
};

// Called after every iteration; it may throw to end the run (a stop with a checkpoint).
using PersonalizedObserver = std::function<void(const PersonalizedState&)>;

// Uses options' restart, tolerance and max_iterations; the SpMM always
// gathers in float64 (options.float32_gather is EigenTrust's alone).
// `resume`, when given, replaces the start block and the record so far (its
// trust is moved to the backend and freed on the host).
// Throws ConfigError for bad options, and InternalError (exit 70) before
// allocating anything when the block does not fit in the backend's memory,
// naming the bytes needed and available and how many seed sets would fit.
PersonalizedResult run_personalized(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                                    const SeedSets& seeds, const EigenTrustOptions& options,
                                    const std::string& graph_name = "graph", const PersonalizedObserver& observe = {},
                                    PersonalizedResume* resume = nullptr);

// The most of k seed sets (`seed_entries` seeds in all) a backend of `kind`
// with `available` bytes free holds in one batch (personalized_bytes with
// all the seeds; on a GPU also the host room for the batch's result): k when
// they all fit, 0 when not even one does.
std::int64_t personalized_round_size(kernels::BackendKind kind, std::size_t available, std::int64_t n, std::int64_t nnz,
                                     std::int64_t k, std::int64_t seed_entries);

// Called after each round with its result: seed sets [first, first + round.k).
using PersonalizedRoundSink = std::function<void(std::int64_t first, const PersonalizedResult& round)>;

// Seed sets more than memory holds at once, in consecutive rounds of
// `round_size` sets (< 1: personalized_round_size), Cᵀ built once: each
// round is run_personalized on its sets, handed to `sink` and released, so
// the host and the backend hold one round's block at a time. Returns the
// whole run's record with an empty `trust`: the residual history, per-set
// iterations and residuals exactly as one batch of every set would give
// them (each set's column is independent of the others'). Every round's
// memory is checked before anything is allocated: InternalError (exit 70)
// when a round (or, automatically sized, one seed set) does not fit.
PersonalizedResult run_personalized_rounds(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph,
                                           const SeedSets& seeds, const EigenTrustOptions& options,
                                           std::int64_t round_size, const std::string& graph_name,
                                           const PersonalizedRoundSink& sink);

// Observing a distributed run (checkpoints): called on every process after
// each iteration of the whole run, with the iterations done, that
// iteration's residual (the largest over the seed sets iterated at it, as
// one process's history has it) and whether the run ends there (every seed
// set converged, or max_iterations); `gather`,
// when a process calls it, must be called by all of them (a collective) and
// gives process 0 the whole state as one process holds it then (T
// agent-major, a stopped column as it stopped) and the others an empty one.
// It may throw a CollectiveError on every process to end the run.
using PersonalizedGather = std::function<PersonalizedResume()>;
using SplitObserver =
    std::function<void(std::int64_t iterations, double residual, bool last, const PersonalizedGather& gather)>;

// A distributed run (DESIGN §7, docs/distributed.md): the seed sets are
// split among the processes of `comm` (host::even_bounds), each process
// iterates its own sets on the whole graph with run_personalized above, and
// process 0 gathers the whole result: the same [k, n] block, per-set
// iterations and residuals, and residual history (at each iteration the
// largest over the sets still iterating) as one process computes; the
// other processes return an empty result. Seed sets are independent
// columns, so nothing is exchanged while iterating unless `observe` is
// given: then the processes meet once per iteration. `resume`, given on
// process 0 only, is the whole state to go on from (a checkpoint's; its
// block is released once shared). With `sink`, process 0 does not hold the
// whole block: it receives the columns one process's share at a time and
// hands each to `sink` (r.trust stays empty), so beside its own run it
// needs room for the largest share only (without checkpoints, which gather
// the whole block). Collective: an error on any process (the memory check,
// a non-finite residual, the sink's write) ends all of them with its exit
// code (host::collectively).
PersonalizedResult run_personalized(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                    const io::Graph& graph, const SeedSets& seeds, const EigenTrustOptions& options,
                                    const std::string& graph_name = "graph", const SplitObserver& observe = {},
                                    PersonalizedResume* resume = nullptr, const PersonalizedRoundSink& sink = {});

// Sets [first, last) of `seeds`, renumbered from 0.
SeedSets slice(const SeedSets& seeds, std::int64_t first, std::int64_t last);

}  // namespace trustprop::host
