// `trustprop rank GRAPH --model eigentrust|fairness-goodness ... -o results.h5`:
// one-shot trust propagation over a fixed graph. Prints how the iteration
// went and the most trusted agents; writes the per-agent outputs, the
// convergence record and the provenance to a results file.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <toml++/toml.h>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/eigentrust.hpp"
#include "host/fairness_goodness.hpp"
#include "host/pretrust.hpp"
#include "host/top_agents.hpp"
#include "io/graph_file.hpp"
#include "kernels/memory_estimate.hpp"
#include "io/results_file.hpp"

namespace trustprop::host {

namespace {

struct RankOptions {
  std::string graph, output, model = "eigentrust", pretrust = "institutions", warm_start;
  EigenTrustOptions eigentrust;
  FairnessGoodnessOptions fairness_goodness;
  double tolerance = 1e-6;
  int max_iterations = -1;  // -1: the model's default
  int top = 10;
  bool json = false, require_convergence = false, dry_run = false;
};

std::vector<double> read_warm_start(const std::string& path, std::int64_t n) {
  const auto f = io::h5::File::open_read(path);
  return f.read_1d<double>("/trust/eigentrust", n);
}

std::string resolved_config(const RankOptions& o) {
  toml::table t{{"model", o.model}, {"graph", o.graph}};
  if (o.model == "eigentrust")
    t.insert("eigentrust", toml::table{{"restart_probability", o.eigentrust.restart},
                                       {"tolerance", o.eigentrust.tolerance},
                                       {"max_iterations", o.eigentrust.max_iterations},
                                       {"pretrust", o.pretrust},
                                       {"warm_start", o.warm_start}});
  else
    t.insert("fairness_goodness", toml::table{{"tolerance", o.fairness_goodness.tolerance},
                                              {"max_iterations", o.fairness_goodness.max_iterations},
                                              {"weight_divisor", o.fairness_goodness.weight_divisor}});
  std::ostringstream s;
  s << t;
  return s.str();
}

void write_convergence(io::ResultsWriter& out, const std::string& group, const Convergence& c, double tolerance,
                       double seconds) {
  out.write(group + "/residuals", c.residuals);
  auto& f = out.file();
  f.write_attr(group, "iterations", static_cast<std::int64_t>(c.iterations));
  f.write_attr(group, "residual", c.residual);
  f.write_attr(group, "converged", static_cast<std::int64_t>(c.converged));
  f.write_attr(group, "tolerance", tolerance);
  f.write_attr(group, "seconds_per_iteration", c.iterations ? seconds / c.iterations : 0.0);
}

void report_convergence(const RankOptions& o, const std::string& model, const Convergence& c, double tolerance) {
  if (c.converged) return;
  spdlog::warn("{} did not converge: residual {:.3e} after {} iterations (tolerance {:g})", model, c.residual,
               c.iterations, tolerance);
  if (o.require_convergence) throw DataError("--require-convergence: " + model + " did not converge on " + o.graph);
}

void print_header(const RankOptions& o, const io::Graph& g, const kernels::Executor& exec) {
  std::printf("model       %s\n", o.model.c_str());
  std::printf("graph       %s: %lld agents, %lld edges\n", o.graph.c_str(), static_cast<long long>(g.n),
              static_cast<long long>(g.nnz()));
  std::printf("device      %s\n", exec.description().c_str());
}

void print_convergence(const Convergence& c, double tolerance, double seconds) {
  std::printf("iterations  %d, residual %.3e, %s (tolerance %g)\n", c.iterations, c.residual,
              c.converged ? "converged" : "NOT CONVERGED", tolerance);
  std::printf("time        %.6f s per iteration\n", c.iterations ? seconds / c.iterations : 0.0);
}

void run_fairness_goodness_model(const RankOptions& o, const io::Graph& g, const GlobalOptions& global,
                                 const std::string& command) {
  const auto exec = global.executor();
  io::ResultsWriter out(o.output, {command, resolved_config(o), o.graph, g.content_hash, 0, exec->name(),
                                   exec->device_name()});
  const auto r = run_fairness_goodness(exec, g, o.fairness_goodness, o.graph);
  const Convergence& c = r.convergence;
  out.write("/trust/fairness", r.fairness);
  out.write("/trust/goodness", r.goodness);
  if (!g.id.empty()) out.write("/agents/id", g.id);
  const std::string group = "/convergence/fairness-goodness";
  write_convergence(out, group, c, o.fairness_goodness.tolerance, r.iterate_seconds);
  out.write(group + "/fairness_change", r.fairness_change);
  out.write(group + "/goodness_change", r.goodness_change);
  out.commit();
  if (o.json) {
    nlohmann::json j{{"model", o.model}, {"graph", o.graph}, {"agents", g.n}, {"edges", g.nnz()},
                     {"device", exec->description()}, {"iterations", c.iterations}, {"residual", c.residual},
                     {"converged", c.converged}, {"output", o.output}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    print_header(o, g, *exec);
    print_convergence(c, o.fairness_goodness.tolerance, r.iterate_seconds);
    std::printf("goodness (how well an agent is rated, fairness-weighted):\n");
    print_top_agents(g, top_agents(r.goodness, o.top), "goodness");
    std::printf("results     %s\n", o.output.c_str());
  }
  report_convergence(o, "fairness-goodness", c, o.fairness_goodness.tolerance);
}

void run_eigentrust_model(const RankOptions& o, const io::Graph& g, const GlobalOptions& global,
                          const std::string& command) {
  const Pretrust pre = build_pretrust(g, o.pretrust);
  std::vector<double> start;
  if (!o.warm_start.empty()) start = read_warm_start(o.warm_start, g.n);
  // Open the output before computing, so an unwritable path fails at once.
  const auto exec = global.executor();
  io::Provenance prov{command, resolved_config(o), o.graph, g.content_hash, 0, exec->name(), exec->device_name()};
  io::ResultsWriter out(o.output, prov);

  const EigenTrustResult r = run_eigentrust(exec, g, pre.p, o.eigentrust, start);
  const Convergence& c = r.convergence;
  const auto top = top_agents(r.trust, o.top);

  out.write("/trust/eigentrust", r.trust);
  if (!g.id.empty()) out.write("/agents/id", g.id);
  write_convergence(out, "/convergence/eigentrust", c, o.eigentrust.tolerance, r.iterate_seconds);
  out.commit();

  const double per_iter = c.iterations ? r.iterate_seconds / c.iterations : 0.0;
  if (o.json) {
    nlohmann::json j{{"model", o.model},       {"graph", o.graph},          {"agents", g.n},
                     {"edges", g.nnz()},       {"device", exec->description()},
                     {"pretrust", pre.description},
                     {"iterations", c.iterations}, {"residual", c.residual}, {"converged", c.converged},
                     {"setup_seconds", r.setup_seconds}, {"seconds_per_iteration", per_iter},
                     {"output", o.output}};
    for (const auto& a : top)
      j["top"].push_back({{"agent", a.agent}, {"id", g.id.empty() ? a.agent : g.id[a.agent]}, {"trust", a.value}});
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    print_header(o, g, *exec);
    std::printf("restart     %g\n", o.eigentrust.restart);
    std::printf("pre-trust   %s (%lld agents)\n", pre.description.c_str(), static_cast<long long>(pre.agents));
    print_convergence(c, o.eigentrust.tolerance, r.iterate_seconds);
    print_top_agents(g, top, "trust");
    std::printf("results     %s\n", o.output.c_str());
  }
  report_convergence(o, "EigenTrust", c, o.eigentrust.tolerance);
}

// --dry-run: read only the graph header and print the plan as JSON.
void print_plan(const RankOptions& o, const GlobalOptions& global) {
  const io::GraphHeader h = io::read_graph_header(o.graph);
  const auto exec = global.executor();
  const bool gpu = exec->kind() == kernels::BackendKind::cuda;
  const std::size_t need = kernels::eigentrust_device_bytes(h.n, h.nnz);
  nlohmann::json plan{{"model", o.model},
                      {"graph", o.graph},
                      {"agents", h.n},
                      {"edges", h.nnz},
                      {"backend", exec->name()},
                      {"device", exec->description()},
                      {"memory_bytes_estimate", need},
                      {"memory_bytes_available", exec->available_memory()},
                      {"fits", !gpu || need <= exec->available_memory()},
                      {"config", resolved_config(o)}};
  std::printf("%s\n", plan.dump(2).c_str());
}

void run_rank(RankOptions o, const GlobalOptions& global, const std::string& command) {
  o.eigentrust.tolerance = o.fairness_goodness.tolerance = o.tolerance;
  if (o.max_iterations >= 0) o.eigentrust.max_iterations = o.fairness_goodness.max_iterations = o.max_iterations;
  if (o.dry_run) return print_plan(o, global);
  if (o.output.empty()) throw UsageError("rank: -o/--output is required");
  const io::Graph g = io::read_graph(o.graph);
  spdlog::info("{}: {} agents, {} edges", o.graph, g.n, g.nnz());
  if (o.model == "fairness-goodness")
    run_fairness_goodness_model(o, g, global, command);
  else
    run_eigentrust_model(o, g, global, command);
}

}  // namespace

void add_rank(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<RankOptions>();
  auto* cmd = app.add_subcommand("rank", "Propagate trust over a graph and rank the agents");
  cmd->add_option("graph", o->graph, "Graph file (HDF5)")->required();
  cmd->add_option("-o,--output", o->output, "Results file to write (HDF5; required unless --dry-run)");
  cmd->add_option("--model", o->model, "Trust model")
      ->check(CLI::IsMember({"eigentrust", "fairness-goodness"}))
      ->capture_default_str();
  cmd->add_option("--restart-probability", o->eigentrust.restart,
                  "Probability a of restarting at the pre-trust distribution (PageRank damping = 1 - a)")
      ->capture_default_str();
  cmd->add_option("--tolerance", o->tolerance,
                  "Stop when the L1 change of an iteration is below this (fairness-goodness: of both vectors)")
      ->capture_default_str();
  cmd->add_option("--max-iterations", o->max_iterations,
                  "Iteration limit (default: 1000 for eigentrust, 100 for fairness-goodness)");
  cmd->add_option("--weight-divisor", o->fairness_goodness.weight_divisor,
                  "fairness-goodness: divide weights by this in float64 first (10 for raw Bitcoin OTC ratings)")
      ->capture_default_str();
  cmd->add_option("--pretrust", o->pretrust,
                  "Pre-trusted agents: institutions (all agents if none), all, or a file of agent ids")
      ->capture_default_str();
  cmd->add_option("--warm-start", o->warm_start, "Start from /trust/eigentrust of an earlier results file");
  cmd->add_option("--top", o->top, "How many of the most trusted agents to print")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON");
  cmd->add_flag("--dry-run", o->dry_run,
                "Read only the graph header and print the plan (backend, memory estimate) as JSON");
  cmd->add_flag("--require-convergence", o->require_convergence,
                "Exit 65 when the iteration does not converge within --max-iterations");
  cmd->callback([o, &global] { run_rank(*o, global, command_line()); });
}

}  // namespace trustprop::host
