// Benchmark of the city dynamics' edge update on the CPU (issue 5, item 6;
// docs/dynamics.md "Speed"): one epoch's edge update (dyn_interact +
// dyn_tally + dyn_dangling: the interactions, evidence, supervision, pooled
// feedback, local trust and Cᵀ's new values) against one EigenTrust
// iteration (eigentrust_step) on the same generated city, on the backend of
// --device. Writes JSON with the machine, the date and the git revision.
//
//   bench_dynamics [--agents 1000000] [--seed 1] [--epochs 8] [--iterations 10]
//                  [--device cpu] [--threads 0] [--reward 100] [-o FILE]
//
// The first epoch (cold caches, trust far from converged) is not counted.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <omp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "benchmarks/bench_machine.hpp"
#include "common/error.hpp"
#include "common/version.hpp"
#include "host/dynamics.hpp"
#include "host/pretrust.hpp"
#include "io/generate_city.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/executor.hpp"

using nlohmann::json;
using namespace trustprop;

namespace {

using trustprop::bench::machine_info;
using trustprop::bench::utc_now;
using trustprop::bench::run_command;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  return k == 0 ? 0.0 : k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t agents = 1000000;
  std::uint64_t seed = 1;
  int epochs = 8, iterations = 10, threads = 0;
  double reward = 100.0;
  std::string device = "cpu", output;
  CLI::App app{"trustprop: city dynamics edge update vs one EigenTrust iteration"};
  app.add_option("--agents", agents, "Agents in the generated city")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the city and of the simulation")->capture_default_str();
  app.add_option("--epochs", epochs, "Epochs to run (the first is not counted)")->check(CLI::Range(2, 1000));
  app.add_option("--iterations", iterations, "EigenTrust iterations to time")->check(CLI::Range(1, 1000));
  app.add_option("--device", device, "Backend: cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: all cores)");
  app.add_option("--reward", reward, "Recognition reward ρ of the simulated epochs")->capture_default_str();
  app.add_option("-o,--output", output, "JSON file to write (default: stdout only)");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto exec = kernels::make_executor(device, threads);
    std::fprintf(stderr, "bench_dynamics: %s; generating a city of %lld agents\n", exec->description().c_str(),
                 static_cast<long long>(agents));
    const std::string load_before = load_average();
    io::CityParams city;
    city.agents = agents;
    city.seed = seed;
    auto t0 = std::chrono::steady_clock::now();
    const io::Graph g = io::generate_city_graph(city);
    const double generate_seconds = seconds_since(t0);

    // One EigenTrust iteration on the same graph (its own transition matrix).
    t0 = std::chrono::steady_clock::now();
    kernels::CsrMatrix w;
    w.rows = w.cols = g.n;
    w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
    w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
    w.values = kernels::Array<float>::from_host(exec, g.data);
    const kernels::Transition tr =
        kernels::dispatch(*exec, [&](const auto& e) { return build_transition(e, w.view()); });
    w = kernels::CsrMatrix();
    const host::Pretrust pre = host::build_pretrust(g, "institutions");
    auto p = kernels::Array<double>::from_host(exec, pre.p);
    auto t = kernels::Array<double>::from_host(exec, pre.p);
    kernels::Array<double> t_next(exec, static_cast<std::size_t>(g.n));
    const double transition_seconds = seconds_since(t0);
    std::vector<double> iteration_seconds;
    for (int k = 0; k < iterations + 1; ++k) {
      t0 = std::chrono::steady_clock::now();
      kernels::dispatch(*exec, [&](const auto& e) {
        return eigentrust_step(e, tr.ct.view(), tr.dangling.data(), static_cast<std::int64_t>(tr.dangling.size()),
                               p.data(), 0.15, t.data(), t_next.data());
      });
      if (k > 0) iteration_seconds.push_back(seconds_since(t0));  // the first warms the caches
      std::swap(t, t_next);
    }

    // The simulation's epochs on the same graph.
    host::DynamicsParameters params;
    params.reward = reward;
    t0 = std::chrono::steady_clock::now();
    host::Simulation sim(exec, g, params, seed);
    const double setup_seconds = seconds_since(t0);
    json per_epoch = json::array();
    std::vector<double> edge_seconds, interaction_seconds, propagation_per_iteration, ratios;
    for (int e = 1; e <= epochs; ++e) {
      const host::EpochMetrics m = sim.run_epoch();
      per_epoch.push_back({{"epoch", m.epoch},
                           {"seconds_edges", m.seconds_edges},
                           {"seconds_interactions", m.seconds_interactions},
                           {"seconds_propagation", m.seconds_propagation},
                           {"propagation_iterations", m.propagation_iterations},
                           {"seconds_agents", m.seconds_agents},
                           {"seconds", m.seconds},
                           {"interactions", m.interactions},
                           {"cooperation_rate", m.cooperation_rate}});
      if (e > 1) {
        const double per_iteration = m.seconds_propagation / static_cast<double>(m.propagation_iterations);
        edge_seconds.push_back(m.seconds_edges);
        interaction_seconds.push_back(m.seconds_interactions);
        propagation_per_iteration.push_back(per_iteration);
        ratios.push_back(m.seconds_edges / per_iteration);
      }
    }
    const double edge = median(edge_seconds), iteration = median(iteration_seconds);
    const std::string command = [&] {
      std::string c;
      for (int i = 0; i < argc; ++i) c += (i ? " " : "") + std::string(argv[i]);
      return c;
    }();
    json out{{"benchmark", "dynamics_cpu"},
             {"command", command},
             {"date_utc", utc_now()},
             {"machine", machine_info()},
             {"device", exec->description()},
             {"threads", exec->kind() == kernels::BackendKind::cpu ? omp_get_max_threads() : 0},
             {"git_revision", run_command("git rev-parse --short=12 HEAD 2>/dev/null")},
             {"git_uncommitted_paths", std::stoi("0" + run_command("git status --porcelain 2>/dev/null | wc -l"))},
             {"build_git_revision", git_revision},
             {"trustprop_version", version_string},
             {"load_average_before", load_before},
             {"load_average_after", load_average()},
             {"graph",
              {{"model", "generate city"},
               {"agents", g.n},
               {"edges", g.nnz()},
               {"seed", seed},
               {"content_hash", g.content_hash},
               {"generate_seconds", generate_seconds}}},
             {"parameters", {{"reward", reward}, {"note", "defaults of host::DynamicsParameters otherwise"}}},
             {"setup_seconds", {{"transition", transition_seconds}, {"simulation", setup_seconds}}},
             {"eigentrust_iteration_seconds", iteration_seconds},
             {"epochs", per_epoch},
             {"median_edge_update_seconds", edge},
             {"median_interaction_pass_seconds", median(interaction_seconds)},
             {"median_eigentrust_iteration_seconds", iteration},
             {"median_propagation_seconds_per_iteration", median(propagation_per_iteration)},
             {"edge_update_in_eigentrust_iterations", iteration > 0 ? edge / iteration : 0.0},
             {"edge_update_in_same_epoch_propagation_iterations", median(ratios)},
             {"edge_update_ns_per_edge", 1e9 * edge / static_cast<double>(std::max<std::int64_t>(g.nnz(), 1))},
             {"note",
              "edge update = dyn_interact + dyn_tally + dyn_dangling (interactions, evidence, supervision, pools, "
              "local trust, Cᵀ's values gathered through the record slots); the first ratio divides its median by "
              "the median of standalone eigentrust_step calls on build_transition(W), timed before the epochs; the "
              "second is the median over epochs of the edge update divided by the same epoch's propagation time "
              "per iteration (adjacent in time: robust to load changes on a shared machine)"}};
    const std::string text = out.dump(2);
    std::printf("%s\n", text.c_str());
    if (!output.empty()) {
      std::ofstream f(output);
      f << text << '\n';
      if (!f) throw IoError(output + ": cannot write");
    }
    std::fprintf(stderr,
                 "bench_dynamics: edge update %.4f s (interaction pass %.4f s) = %.2f EigenTrust iterations (%.4f s); "
                 "%.2f iterations of the same epoch's propagation\n",
                 edge, median(interaction_seconds), iteration > 0 ? edge / iteration : 0.0, iteration, median(ratios));
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_dynamics: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
