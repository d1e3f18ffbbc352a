// `trustprop demo`: the quick-start job on a built-in default. Generates a
// city into the run directory, ranks it with EigenTrust on --device (a GPU
// when there is one, else the CPU), prints the most trusted agents and
// writes the results file. Everything it does is also a plain command:
// `generate city` then `rank`.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/eigentrust.hpp"
#include "host/pretrust.hpp"
#include "host/top_agents.hpp"
#include "io/generate_city.hpp"
#include "io/graph_file.hpp"
#include "io/results_file.hpp"

namespace trustprop::host {

namespace {

struct DemoOptions {
  std::int64_t agents = 100000;
  std::uint64_t seed = 1;
  std::string run_dir = "runs/demo";
};

void make_dir(const std::string& path) {
  std::string partial;
  for (std::size_t pos = 0; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST)
      throw IoError(partial + ": cannot create directory: " + std::strerror(errno));
  }
}

void run_demo(const DemoOptions& o, const GlobalOptions& global) {
  io::CityParams params;
  params.agents = o.agents;
  params.seed = o.seed;
  io::validate_city_params(params);  // before the run directory is made
  make_dir(o.run_dir);
  const std::string graph_path = o.run_dir + "/city.h5", results_path = o.run_dir + "/results.h5";
  const auto gen = io::generate_city(graph_path, params);
  std::printf("generated   %s: %lld agents (%lld institutions, %lld enterprises), %lld edges in %.2f s\n",
              graph_path.c_str(), static_cast<long long>(gen.agents), static_cast<long long>(gen.layout.institutions),
              static_cast<long long>(gen.layout.enterprises), static_cast<long long>(gen.edges), gen.seconds);

  const io::Graph g = io::read_graph(graph_path);
  const auto exec = global.executor();
  const Pretrust pre = build_pretrust(g, "institutions");
  EigenTrustOptions options;
  io::ResultsWriter out(results_path, {command_line(), "[demo]\nagents = " + std::to_string(o.agents) +
                                                           "\nseed = " + std::to_string(o.seed) + "\n",
                                       graph_path, g.content_hash, o.seed, exec->name(), exec->device_name()});
  const auto r = run_eigentrust(exec, g, pre.p, options);
  out.write("/trust/eigentrust", r.trust);
  out.write("/convergence/eigentrust/residuals", r.convergence.residuals);
  out.file().write_attr("/convergence/eigentrust", "iterations", static_cast<std::int64_t>(r.convergence.iterations));
  out.file().write_attr("/convergence/eigentrust", "converged", static_cast<std::int64_t>(r.convergence.converged));
  out.commit();

  const auto& c = r.convergence;
  std::printf("device      %s\n", exec->description().c_str());
  std::printf("eigentrust  %d iterations, residual %.3e, %s; %.4f s per iteration\n", c.iterations, c.residual,
              c.converged ? "converged" : "NOT CONVERGED", c.iterations ? r.iterate_seconds / c.iterations : 0.0);
  std::printf("most trusted agents (pre-trust: %s):\n", pre.description.c_str());
  print_top_agents(g, top_agents(r.trust, 10), "trust");
  std::printf("results     %s\n", results_path.c_str());
}

}  // namespace

void add_demo(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Generate a city and rank it: the quick-start job");
  cmd->add_option("--agents", o->agents, "Agents in the generated city")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--run-dir", o->run_dir, "Where the graph and results go")
      ->check(directory_check())
      ->capture_default_str();
  cmd->callback([o, &global] { run_demo(*o, global); });
}

}  // namespace trustprop::host
