// `trustprop rank` is one command over several models. Each model is a
// RankModel in its own host/rank_<model>.cpp: it registers its own options on
// the rank subcommand, resolves its configuration, estimates its memory and
// runs. host/cmd_rank.cpp holds the list of models and the shared settings;
// adding a model is a new file and one line there.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>
#include <vector>

#include "host/commands.hpp"
#include "host/eigentrust.hpp"
#include "host/graph_share.hpp"
#include "host/rank_checkpointing.hpp"
#include "io/graph.hpp"
#include "io/results_file.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// Settings every model shares (one vocabulary, docs/models.md).
struct RankSettings {
  std::string graph, output, model = "eigentrust";
  double tolerance = 1e-6;
  int max_iterations = -1;  // -1: the model's default
  int top = 10;
  bool json = false, require_convergence = false, dry_run = false;
  RankCheckpointSettings checkpoint;  // --run-dir and the options that go with it
};

// What a model's run is handed.
struct RankRun {
  const RankSettings& settings;
  const io::Graph& graph;  // a distributed run: the agents' data only, no edges (GraphShare::agents)
  std::shared_ptr<const kernels::Executor> exec;
  std::string command;     // for provenance
  std::string config;      // the resolved configuration, TOML
  std::string progress;    // --progress mode (host/progress.hpp)
  std::int64_t edges = 0;  // W's entries
  // A distributed run (DESIGN §7): this process's share of W, for a model
  // distributed by rows (then `graph` has no edges).
  const GraphShare* share = nullptr;
  // The processes of a distributed run (null: one process). Process 0
  // alone writes the results and prints.
  const Communicator* comm = nullptr;

  bool writes_output() const { return comm == nullptr || comm->rank() == 0; }
  // The run's processes: `comm`, or this process alone.
  const Communicator& processes() const { return comm ? *comm : this_process(); }
};

// How a model runs across the processes of an MPI launch (DESIGN §7,
// docs/distributed.md).
enum class Distribution {
  rows,       // each process reads and iterates its share of the rows (RankRun::share)
  batch,      // each process reads the whole graph and computes its share of a batch of
              // independent columns (personalized: the seed sets; signed: the sources)
};

class RankModel {
 public:
  virtual ~RankModel() = default;
  virtual std::string name() const = 0;
  // Registers the model's own options on `rank` (help text says which model).
  virtual void add_options(CLI::App& rank) = 0;
  // The model's section of the resolved configuration.
  virtual toml::table config(const RankSettings& settings) const = 0;
  // Peak bytes on a backend of `kind` for an n-agent graph with nnz ties
  // (for --dry-run): the number the run checks before allocating. On the
  // CPU, what the run adds to the graph it has read. With processes > 1, one
  // process's share of a row-split run whose rows hold nnz ties.
  virtual std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind,
                                   int processes) const = 0;
  // Whether the model writes checkpoints into --run-dir (host/rank_checkpointing.hpp).
  virtual bool checkpoints() const { return false; }
  virtual Distribution distribution() const = 0;
  // Distribution::batch: each of `processes` processes' share of the batch
  // and memory estimate on a backend of `kind` for an n-agent graph with nnz
  // ties (--dry-run).
  virtual nlohmann::json batch_plan(std::int64_t /*n*/, std::int64_t /*nnz*/, kernels::BackendKind /*kind*/,
                                    int /*processes*/) const {
    return {};
  }
  // One process's --dry-run: fields the model adds to the plan of a run with
  // `settings` on a backend of `kind` with `available` bytes free once the
  // graph is read (personalized: its rounds of seed sets). A
  // "memory_bytes_estimate" given here replaces memory_bytes's.
  virtual nlohmann::json plan_details(const RankSettings& /*settings*/, std::int64_t /*n*/, std::int64_t /*nnz*/,
                                      kernels::BackendKind /*kind*/, std::size_t /*available*/) const {
    return nlohmann::json::object();
  }
  virtual void run(const RankRun& run) = 0;
};

std::unique_ptr<RankModel> make_eigentrust_model();
std::unique_ptr<RankModel> make_fairness_goodness_model();
std::unique_ptr<RankModel> make_signed_model();
std::unique_ptr<RankModel> make_sybilrank_model();
std::unique_ptr<RankModel> make_personalized_model();

// --- shared reporting -----------------------------------------------------

// Opens the results file with provenance (before computing, so an unusable
// path fails at once).
io::ResultsWriter open_results(const RankRun& run);
io::Provenance results_provenance(const RankRun& run);
// /convergence/<model>: residual history and the attributes iterations,
// residual, converged, tolerance, seconds_per_iteration.
void write_convergence(io::ResultsWriter& out, const std::string& model, const Convergence& c, double tolerance,
                       double seconds);
// The header lines of the text summary: model, graph, device.
void print_run_header(const RankRun& run);
void print_convergence(const Convergence& c, double tolerance, double seconds);
// Warns on non-convergence; throws DataError (exit 65) when --require-convergence.
void check_convergence(const RankRun& run, const Convergence& c, double tolerance);
// The fields of --json every model shares.
nlohmann::json summary_json(const RankRun& run, const Convergence& c, double seconds);

}  // namespace trustprop::host
