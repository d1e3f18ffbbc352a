// `trustprop rank GRAPH --model eigentrust ... -o results.h5`: one-shot trust
// propagation over a fixed graph. Prints how the iteration went and the most
// trusted agents; writes the trust vector, the convergence record and the
// provenance to a results file.
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
#include "host/pretrust.hpp"
#include "host/top_agents.hpp"
#include "io/graph_file.hpp"
#include "io/results_file.hpp"

namespace trustprop::host {

namespace {

struct RankOptions {
  std::string graph, output, model = "eigentrust", pretrust = "institutions", warm_start;
  EigenTrustOptions eigentrust;
  int top = 10;
  bool json = false, require_convergence = false;
};

std::vector<double> read_warm_start(const std::string& path, std::int64_t n) {
  const auto f = io::h5::File::open_read(path);
  return f.read_1d<double>("/trust/eigentrust", n);
}

std::string resolved_config(const RankOptions& o) {
  toml::table t{{"model", o.model},
                {"graph", o.graph},
                {"eigentrust", toml::table{{"restart_probability", o.eigentrust.restart},
                                           {"tolerance", o.eigentrust.tolerance},
                                           {"max_iterations", o.eigentrust.max_iterations},
                                           {"pretrust", o.pretrust},
                                           {"warm_start", o.warm_start}}}};
  std::ostringstream s;
  s << t;
  return s.str();
}

void run_rank(const RankOptions& o, const GlobalOptions& global, const std::string& command) {
  const io::Graph g = io::read_graph(o.graph);
  spdlog::info("{}: {} agents, {} edges", o.graph, g.n, g.nnz());
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
  out.write("/convergence/eigentrust/residuals", c.residuals);
  auto& f = out.file();
  f.write_attr("/convergence/eigentrust", "iterations", static_cast<std::int64_t>(c.iterations));
  f.write_attr("/convergence/eigentrust", "residual", c.residual);
  f.write_attr("/convergence/eigentrust", "converged", static_cast<std::int64_t>(c.converged));
  f.write_attr("/convergence/eigentrust", "tolerance", o.eigentrust.tolerance);
  f.write_attr("/convergence/eigentrust", "seconds_per_iteration",
               c.iterations ? r.iterate_seconds / c.iterations : 0.0);
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
    std::printf("model       %s (restart probability %g)\n", o.model.c_str(), o.eigentrust.restart);
    std::printf("graph       %s: %lld agents, %lld edges\n", o.graph.c_str(), static_cast<long long>(g.n),
                static_cast<long long>(g.nnz()));
    std::printf("device      %s\n", exec->description().c_str());
    std::printf("pre-trust   %s (%lld agents)\n", pre.description.c_str(), static_cast<long long>(pre.agents));
    std::printf("iterations  %d, residual %.3e, %s (tolerance %g)\n", c.iterations, c.residual,
                c.converged ? "converged" : "NOT CONVERGED", o.eigentrust.tolerance);
    std::printf("time        setup %.3f s, %.6f s per iteration\n", r.setup_seconds, per_iter);
    print_top_agents(g, top, "trust");
    std::printf("results     %s\n", o.output.c_str());
  }
  if (!c.converged) {
    spdlog::warn("EigenTrust did not converge: residual {:.3e} after {} iterations (tolerance {:g})", c.residual,
                 c.iterations, o.eigentrust.tolerance);
    if (o.require_convergence) throw DataError("--require-convergence: EigenTrust did not converge on " + o.graph);
  }
}

}  // namespace

void add_rank(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<RankOptions>();
  auto* cmd = app.add_subcommand("rank", "Propagate trust over a graph and rank the agents");
  cmd->add_option("graph", o->graph, "Graph file (HDF5)")->required();
  cmd->add_option("-o,--output", o->output, "Results file to write (HDF5)")->required();
  cmd->add_option("--model", o->model, "Trust model")->check(CLI::IsMember({"eigentrust"}))->capture_default_str();
  cmd->add_option("--restart-probability", o->eigentrust.restart,
                  "Probability a of restarting at the pre-trust distribution (PageRank damping = 1 - a)")
      ->capture_default_str();
  cmd->add_option("--tolerance", o->eigentrust.tolerance, "Stop when the L1 change of an iteration is below this")
      ->capture_default_str();
  cmd->add_option("--max-iterations", o->eigentrust.max_iterations, "Iteration limit")->capture_default_str();
  cmd->add_option("--pretrust", o->pretrust,
                  "Pre-trusted agents: institutions (all agents if none), all, or a file of agent ids")
      ->capture_default_str();
  cmd->add_option("--warm-start", o->warm_start, "Start from /trust/eigentrust of an earlier results file");
  cmd->add_option("--top", o->top, "How many of the most trusted agents to print")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON");
  cmd->add_flag("--require-convergence", o->require_convergence,
                "Exit 65 when the iteration does not converge within --max-iterations");
  cmd->callback([o, &global] { run_rank(*o, global, command_line()); });
}

}  // namespace trustprop::host
