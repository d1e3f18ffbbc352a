// `trustprop rank GRAPH --model NAME ... -o results.h5`: one-shot trust
// propagation over a fixed graph. The shared settings live here; each model
// (host/rank_<model>.cpp) adds its own options and does its own run.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/graph_share.hpp"
#include "host/partition.hpp"
#include "host/rank_model.hpp"
#include "host/world.hpp"
#include "io/atomic_output.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

namespace {

using Models = std::vector<std::unique_ptr<RankModel>>;

Models all_models() {
  Models m;
  m.push_back(make_eigentrust_model());
  m.push_back(make_fairness_goodness_model());
  m.push_back(make_signed_model());
  m.push_back(make_sybilrank_model());
  m.push_back(make_personalized_model());
  return m;
}

std::string resolved_config(const RankSettings& s, const RankModel& model) {
  toml::table t{{"model", s.model}, {"graph", s.graph}};
  t.insert(model.name(), model.config(s));
  std::ostringstream out;
  out << t;
  return out.str();
}

// Under MPI: each process's rows of W and its memory estimate, from
// /graph/indptr (Cᵀ's rows are split by in-degree when the run starts:
// host/transition_share.hpp).
nlohmann::json partition_plan(const RankSettings& s, const io::GraphHeader& h, const RankModel& model, int processes,
                              kernels::BackendKind kind) {
  const std::vector<std::int64_t> indptr = io::read_graph_indptr(s.graph, h);
  const std::vector<std::int64_t> bounds = balanced_bounds(indptr, processes);
  nlohmann::json plan = nlohmann::json::array();
  for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
    const std::int64_t edges = indptr[static_cast<std::size_t>(bounds[r + 1])] - indptr[static_cast<std::size_t>(bounds[r])];
    plan.push_back({{"process", r},
                    {"rows", {bounds[r], bounds[r + 1]}},
                    {"edges", edges},
                    {"memory_bytes_estimate", model.memory_bytes(h.n, edges, kind, processes)}});
  }
  return plan;
}

// --dry-run: read only the graph header (and, under MPI, /graph/indptr)
// and print the plan as JSON, from process 0.
void print_plan(const RankSettings& s, const RankModel& model, const GlobalOptions& global) {
  const Communicator& comm = world();
  if (comm.rank() != 0) return;
  const io::GraphHeader h = io::read_graph_header(s.graph);
  const auto exec = global.executor();
  const bool gpu = exec->kind() == kernels::BackendKind::cuda;
  const std::size_t available = exec->available_memory(), graph = gpu ? 0 : io::graph_bytes(h.n, h.nnz);
  const nlohmann::json details =
      comm.size() > 1 ? nlohmann::json::object()
                      : model.plan_details(s, h.n, h.nnz, exec->kind(), available - std::min(available, graph));
  const std::size_t need = details.contains("memory_bytes_estimate")
                               ? details["memory_bytes_estimate"].get<std::size_t>()
                               : model.memory_bytes(h.n, h.nnz, exec->kind(), 1);
  nlohmann::json plan{{"model", s.model},
                      {"graph", s.graph},
                      {"agents", h.n},
                      {"edges", h.nnz},
                      {"backend", exec->name()},
                      {"device", exec->description()},
                      {"memory_bytes_estimate", need},
                      {"memory_bytes_available", available},
                      {"fits", need + graph <= available},
                      {"config", resolved_config(s, model)}};
  plan.update(details);
  if (comm.size() > 1) {
    plan["processes"] = comm.size();
    const Distribution d = model.distribution();
    plan["distributed"] = d == Distribution::rows ? "rows" : "batch";
    plan["partition"] = d == Distribution::rows ? partition_plan(s, h, model, comm.size(), exec->kind())
                                                : model.batch_plan(h.n, h.nnz, exec->kind(), comm.size());
  }
  std::printf("%s\n", plan.dump(2).c_str());
}

// --run-dir with a model that writes no checkpoints: UsageError.
void require_checkpoints(const RankSettings& s, const RankModel& model) {
  if (!s.checkpoint.run_dir.empty() && !model.checkpoints())
    throw UsageError("rank --run-dir: checkpoints are written for --model eigentrust, personalized and "
                     "fairness-goodness only, not " + s.model);
}

// A graph of no agents (a 0 × 0 Matrix Market file imports as one) has
// nothing to rank: refused rather than answered with empty results.
void require_agents(const std::string& graph, std::int64_t n) {
  if (n == 0) throw DataError(graph + ": the graph has no agents: nothing to rank");
}

// An MPI launch (DESIGN §7): each process reads its share of the graph
// (a model distributed by rows) or the whole graph (by batch), and the
// model runs them together.
void run_distributed(const RankSettings& s, RankModel& model, const GlobalOptions& global) {
  const Communicator& comm = world();
  const Distribution d = model.distribution();
  GraphShare share;
  io::Graph whole;
  std::shared_ptr<const kernels::Executor> exec;
  std::string config;
  collectively(comm, [&] {
    require_checkpoints(s, model);
    config = resolved_config(s, model);  // the model's checks of its options, before any file is read
    if (s.output.empty()) throw UsageError("rank: -o/--output is required");
    io::require_output_is_not_input(s.output, s.graph);
    exec = global.executor();
    if (d == Distribution::rows)
      share = read_graph_share(comm, s.graph);
    else
      whole = io::read_graph(s.graph);
    require_agents(s.graph, d == Distribution::rows ? share.agents.n : whole.n);
  });
  if (d == Distribution::rows) {
    spdlog::info("{}: {} agents, {} edges; process {} of {} has rows {}..{} of W ({} edges)", s.graph, share.agents.n,
                 share.nnz, comm.rank(), comm.size(), share.rows.first, share.rows.last, share.rows.nnz());
    return model.run({s, share.agents, exec, command_line(), config, global.progress, share.nnz, &share, &comm});
  }
  spdlog::info("{}: {} agents, {} edges, whole in each of {} processes", s.graph, whole.n, whole.nnz(), comm.size());
  model.run({s, whole, exec, command_line(), config, global.progress, whole.nnz(), nullptr, &comm});
}

void run_rank(const RankSettings& s, RankModel& model, const GlobalOptions& global) {
  if (world().size() > 1 && !s.dry_run) return run_distributed(s, model, global);
  require_checkpoints(s, model);
  const std::string config = resolved_config(s, model);  // the model's checks of its options, before any file is read
  if (s.dry_run) return print_plan(s, model, global);
  if (s.output.empty()) throw UsageError("rank: -o/--output is required");
  io::require_output_is_not_input(s.output, s.graph);
  const io::Graph g = io::read_graph(s.graph);
  require_agents(s.graph, g.n);
  spdlog::info("{}: {} agents, {} edges", s.graph, g.n, g.nnz());
  model.run({s, g, global.executor(), command_line(), config, global.progress, g.nnz()});
}

}  // namespace

void add_rank(CLI::App& app, GlobalOptions& global) {
  auto s = std::make_shared<RankSettings>();
  auto models = std::make_shared<Models>(all_models());
  std::vector<std::string> names;
  for (const auto& m : *models) names.push_back(m->name());

  auto* cmd = app.add_subcommand("rank", "Propagate trust over a graph and rank the agents");
  cmd->add_option("graph", s->graph, "Graph file (HDF5)")->required();
  cmd->add_option("-o,--output", s->output, "Results file to write (HDF5; required unless --dry-run)");
  cmd->add_option("--model", s->model, "Trust model (docs/models.md)")->check(CLI::IsMember(names))->capture_default_str();
  cmd->add_option("--tolerance", s->tolerance,
                  "Stop when the L1 change of an iteration is below this (fairness-goodness: of both vectors)")
      ->check(finite_number_in(0.0, false, HUGE_VAL))
      ->capture_default_str();
  cmd->add_option("--max-iterations", s->max_iterations,
                  "Iteration limit (default: 1000 for eigentrust, 100 for fairness-goodness)")
      ->check(CLI::Range(0, 1000000000));
  cmd->add_option("--top", s->top, "How many of the most trusted agents to print")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", s->json, "Print the summary as JSON");
  cmd->add_flag("--dry-run", s->dry_run,
                "Read only the graph header and print the plan (backend, memory estimate) as JSON");
  cmd->add_flag("--require-convergence", s->require_convergence,
                "Exit 65 when the iteration does not converge within --max-iterations");
  RankCheckpointSettings& ck = s->checkpoint;
  auto* run_dir = cmd->add_option("--run-dir", ck.run_dir,
                                  "Write checkpoints to RUN_DIR/checkpoints and resume from them (eigentrust, personalized, "
                                  "fairness-goodness; docs/checkpoint.md)")
                      ->check(directory_check());
  cmd->add_option("--checkpoint-every", ck.every, "With --run-dir: a checkpoint every N iterations, and after the last "
                                                 "(0: only after the last and on stops)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{2147483647}))
      ->capture_default_str()
      ->needs(run_dir);
  cmd->add_option("--keep-checkpoints", ck.keep, "With --run-dir: keep the newest K checkpoints")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
      ->capture_default_str()
      ->needs(run_dir);
  cmd->add_option("--max-walltime", ck.max_walltime,
                  "With --run-dir: stop with a checkpoint and exit 75 before another iteration would pass this time "
                  "since the start (seconds, or e.g. 90m, 1.5h)")
      ->check(duration_check())
      ->needs(run_dir);
  cmd->add_option("--resume", ck.resume,
                  "With --run-dir: auto (from the newest valid checkpoint, if any), never (start afresh, deleting "
                  "the checkpoints), or the PATH of a checkpoint")
      ->capture_default_str()
      ->needs(run_dir);
  cmd->add_flag("--allow-config-change", ck.allow_config_change,
                "With --run-dir: resume from a checkpoint of other options or another graph instead of refusing")
      ->needs(run_dir);
  for (auto& m : *models) m->add_options(*cmd);
  cmd->callback([s, models, &global] {
    for (auto& m : *models)
      if (m->name() == s->model) return run_rank(*s, *m, global);
  });
}

}  // namespace trustprop::host
