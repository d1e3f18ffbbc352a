// `trustprop bench`: the same workload on each backend in one invocation —
// the CPU fallback and the GPU — side by side (issue 3, item 6): time per
// iteration (per epoch for the dynamics), the speed-up over the first
// backend, and how far each backend's result lies from the first one's.
// This is how users decide where to run; docs/benchmarks.md has the method.
//
// Each model runs a fixed number of iterations (tolerance 0), so every
// backend does the same work; times are the host drivers' own iteration
// timers (the iteration loop, after setup, synchronised every step).
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/utc_time.hpp"
#include "common/version.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/dynamics.hpp"
#include "host/eigentrust.hpp"
#include "host/fairness_goodness.hpp"
#include "host/personalized.hpp"
#include "host/pretrust.hpp"
#include "host/signed_trust.hpp"
#include "host/sybilrank.hpp"
#include "io/atomic_output.hpp"
#include "io/generate_city.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kModels{"eigentrust", "personalized", "fairness-goodness", "signed", "sybilrank",
                                        "dynamics"};

struct BenchOptions {
  std::string graph;                 // empty: a generated city
  std::int64_t agents = 200000;      // the generated city's agents
  std::uint64_t seed = 1;
  std::string models = "eigentrust,personalized,fairness-goodness,signed,sybilrank,dynamics";
  std::string backends = "auto";     // auto: cpu, then cuda:0 when a GPU is present
  int iterations = 20;
  std::int64_t seed_sets = 8;        // personalized, signed, sybilrank: the first k institutions
  int epochs = 3;
  bool json_stdout = false;
  std::string out;
};

std::vector<std::string> split(const std::string& list, const std::string& option) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  if (items.empty()) throw UsageError(option + " '" + list + "': names nothing");
  return items;
}

// What one model produced on one backend: seconds per iteration (or epoch),
// the result vector the backends are compared on, and for the dynamics the
// discrete outcomes of the last epoch.
struct Measurement {
  double seconds_per_step = 0.0;
  int steps = 0;
  std::vector<double> result;
  std::vector<std::uint8_t> outcomes;
};

double l1(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s;
}

EigenTrustOptions fixed(int iterations) {
  EigenTrustOptions o;
  o.tolerance = 0.0;  // run every iteration: the same work on every backend
  o.max_iterations = iterations;
  return o;
}

Measurement run_model(const std::string& model, const std::shared_ptr<const kernels::Executor>& exec,
                      const io::Graph& g, const std::string& graph_text, const Pretrust& pre, const SeedSets& seeds,
                      const BenchOptions& o) {
  Measurement m;
  if (model == "eigentrust") {
    const auto r = run_eigentrust(exec, g, pre.p, fixed(o.iterations));
    m.steps = r.convergence.iterations;
    m.seconds_per_step = r.iterate_seconds / std::max(1, m.steps);
    m.result = r.trust;
  } else if (model == "personalized") {
    const auto r = run_personalized(exec, g, seeds, fixed(o.iterations), graph_text);
    m.steps = r.convergence.iterations;
    m.seconds_per_step = r.iterate_seconds / std::max(1, m.steps);
    m.result = r.trust;
  } else if (model == "fairness-goodness") {
    FairnessGoodnessOptions fo;
    fo.tolerance = 0.0;
    fo.max_iterations = o.iterations;
    const auto r = run_fairness_goodness(exec, g, fo, graph_text);
    m.steps = r.convergence.iterations;
    m.seconds_per_step = r.iterate_seconds / std::max(1, m.steps);
    m.result = r.fairness;
    m.result.insert(m.result.end(), r.goodness.begin(), r.goodness.end());
  } else if (model == "signed") {
    // Sources: the seed agents; one-step distrust where the graph has any,
    // else trust only; --iterations atomic-propagation steps.
    SignedTrustOptions so;
    so.mode = std::any_of(g.data.begin(), g.data.end(), [](float w) { return w < 0.0f; }) ? SignedMode::one_step
                                                                                          : SignedMode::trust_only;
    so.steps = o.iterations;
    const auto r = run_signed_trust(exec, g, seeds.agents, so, graph_text);
    m.steps = o.iterations;
    m.seconds_per_step = r.seconds / o.iterations;  // the driver times upload and download too
    m.result = r.belief;
  } else if (model == "sybilrank") {
    SybilRankOptions so;
    so.steps = o.iterations;
    const auto r = run_sybilrank(exec, g, seeds.agents, so);
    m.steps = r.steps;
    m.seconds_per_step = r.iterate_seconds / std::max(1, m.steps);
    m.result = r.trust;
  } else {  // dynamics: the default parameters of configs/city.toml
    Simulation sim(exec, g, DynamicsParameters{}, o.seed);
    std::vector<double> seconds;
    for (int e = 0; e < o.epochs; ++e) seconds.push_back(sim.run_epoch().seconds);
    std::sort(seconds.begin(), seconds.end());
    m.steps = o.epochs;
    m.seconds_per_step = seconds[seconds.size() / 2];  // median epoch
    m.result = sim.state().trust.to_host();
    m.outcomes = sim.last_outcomes();
  }
  return m;
}

std::string time_text(double s) {
  if (s < 1e-3) return fmt::format("{:.1f} us", s * 1e6);
  return s < 1 ? fmt::format("{:.2f} ms", s * 1e3) : fmt::format("{:.3f} s", s);
}

void run_bench(const BenchOptions& o, const GlobalOptions& global) {
  // With --json, stdout holds the JSON document alone; the table goes to stderr.
  std::FILE* table = o.json_stdout ? stderr : stdout;
  const std::vector<std::string> models = split(o.models, "--models");
  for (const auto& m : models)
    if (std::find(kModels.begin(), kModels.end(), m) == kModels.end())
      throw UsageError("--models: unknown model '" + m +
                       "' (eigentrust, personalized, fairness-goodness, signed, sybilrank, dynamics)");
  std::vector<std::string> specs;
  std::string cuda_note;
  if (o.backends == "auto") {
    specs.push_back("cpu");
    if (kernels::cuda_device_count() > 0)
      specs.push_back("cuda:0");
    else
      cuda_note = TRUSTPROP_HAVE_CUDA ? "no GPU found" : "this build has no CUDA backend";
  } else {
    specs = split(o.backends, "--backends");
    for (const auto& spec : specs)
      if (spec == "auto" || !kernels::device_spec_problem(spec).empty())
        throw UsageError("--backends: unknown backend '" + spec +
                         "' (cpu, cuda or cuda:N, comma-separated; or auto alone)");
  }
  // An unusable output path fails before any work.
  if (!o.out.empty()) {
    io::AtomicOutput probe(o.out);
    if (!o.graph.empty()) io::require_output_is_not_input(o.out, o.graph);
  }
  // Every backend is opened before any work: a GPU that is not there fails now (exit 70).
  std::vector<std::shared_ptr<const kernels::Executor>> execs;
  for (const auto& spec : specs) execs.push_back(kernels::make_executor(spec, global.threads));

  io::Graph g;
  std::string graph_text;
  if (o.graph.empty()) {
    io::CityParams params;
    params.agents = o.agents;
    params.seed = o.seed;
    g = io::generate_city_graph(params);
    graph_text = fmt::format("a generated city of {} agents (seed {})", o.agents, o.seed);
  } else {
    g = io::read_graph(o.graph);
    graph_text = o.graph;
  }
  if (g.n == 0) throw DataError(graph_text + ": the graph has no agents: nothing to benchmark");
  const Pretrust pre = build_pretrust(g, "institutions");
  SeedSets seeds;
  {
    // One set per institution (or per agent 0.. when there are none), the
    // first k: personalized's seed sets, signed's sources, SybilRank's seeds.
    const bool institutions = std::any_of(g.kind.begin(), g.kind.end(), [](std::uint8_t k) { return k == 2; });
    for (std::int64_t i = 0; i < g.n && seeds.count() < o.seed_sets; ++i)
      if (!institutions || g.kind[static_cast<std::size_t>(i)] == 2) {
        seeds.agents.push_back(i);
        seeds.offsets.push_back(seeds.entries());
      }
    seeds.description = fmt::format("{} sets of one {}", seeds.count(), institutions ? "institution" : "agent");
  }

  json doc;
  doc["benchmark"] = "trustprop_bench";
  doc["command"] = command_line();
  doc["date_utc"] = utc_iso8601();
  doc["trustprop"] = {{"version", version_string}, {"git_revision", git_revision}};
  doc["graph"] = {{"source", graph_text}, {"agents", g.n}, {"ties", g.nnz()}, {"content_hash", g.content_hash}};
  doc["method"] = {{"iterations", o.iterations},
                   {"tolerance", 0.0},
                   {"dynamics_epochs", o.epochs},
                   {"personalized_seed_sets", seeds.description},
                   {"pretrust", pre.description},
                   {"timer", "the host drivers' iteration timers; dynamics: median epoch"}};
  json backends = json::array();
  for (const auto& e : execs) backends.push_back({{"name", e->name()}, {"description", e->description()}});
  doc["backends"] = backends;
  if (!cuda_note.empty()) doc["cuda"] = cuda_note;

  std::fprintf(table, "bench  %s: %lld agents, %lld ties; %d iterations per model, %d dynamics epochs\n",
               graph_text.c_str(), static_cast<long long>(g.n), static_cast<long long>(g.nnz()), o.iterations,
               o.epochs);
  for (const auto& e : execs) std::fprintf(table, "  %-8s %s\n", e->name().c_str(), e->description().c_str());
  if (!cuda_note.empty()) std::fprintf(table, "  cuda     not measured: %s\n", cuda_note.c_str());
  std::fprintf(table, "\n%-20s", "model");
  for (const auto& e : execs) std::fprintf(table, " %16s", (e->name() + " / step").c_str());
  for (std::size_t b = 1; b < execs.size(); ++b) std::fprintf(table, " %9s %12s", "speed-up", "L1 vs first");
  std::fprintf(table, "\n");

  json results = json::object();
  for (const auto& model : models) {
    std::vector<Measurement> ms;
    for (const auto& e : execs) {
      spdlog::info("bench: {} on {}", model, e->name());
      ms.push_back(run_model(model, e, g, graph_text, pre, seeds, o));
    }
    json per = json::object();
    per["unit"] = model == "dynamics" ? "epoch" : "iteration";
    per["steps"] = ms[0].steps;
    json runs = json::array();
    std::fprintf(table, "%-20s",
                 (model == "personalized" ? fmt::format("personalized k={}", seeds.count()) : model).c_str());
    for (const auto& m : ms) std::fprintf(table, " %16s", time_text(m.seconds_per_step).c_str());
    for (std::size_t b = 0; b < execs.size(); ++b) {
      json r = {{"backend", execs[b]->name()}, {"seconds_per_step", ms[b].seconds_per_step}};
      if (b > 0) {
        const double speedup = ms[0].seconds_per_step / ms[b].seconds_per_step;
        const double diff = l1(ms[b].result, ms[0].result);
        r["speedup_over_first"] = speedup;
        r["l1_vs_first"] = diff;
        if (!ms[0].outcomes.empty()) {
          std::int64_t differ = 0;
          for (std::size_t k = 0; k < ms[0].outcomes.size(); ++k) differ += ms[b].outcomes[k] != ms[0].outcomes[k];
          r["edge_outcomes_differing_from_first"] = differ;
        }
        std::fprintf(table, " %8.2fx %12.2e", speedup, diff);
      }
      runs.push_back(r);
    }
    std::fprintf(table, "\n");
    per["runs"] = runs;
    results[model] = per;
  }
  doc["models"] = results;
  if (o.json_stdout) std::printf("%s\n", doc.dump(2).c_str());
  if (!o.out.empty()) {
    io::AtomicOutput out(o.out);
    {
      std::ofstream f(out.temp_path());
      f << doc.dump(2) << "\n";
      if (!f) throw IoError(out.temp_path() + ": cannot write the bench results");
    }
    out.commit();
    std::fprintf(table, "results  %s\n", o.out.c_str());
  }
}

}  // namespace

void add_bench(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand(
      "bench", "Run the same workload on the CPU and the GPU side by side: time per iteration, speed-up, agreement");
  cmd->add_option("graph", o->graph, "Graph file (HDF5; default: a generated city of --agents)");
  cmd->add_option("--agents", o->agents, "Agents of the generated city")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{std::numeric_limits<std::int32_t>::max()}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the generated city and of the dynamics")->capture_default_str();
  cmd->add_option("--models", o->models,
                  "Comma-separated: eigentrust, personalized, fairness-goodness, signed, sybilrank, dynamics")
      ->capture_default_str();
  cmd->add_option("--backends", o->backends, "auto (cpu, and cuda:0 when a GPU is present) or a comma-separated list")
      ->capture_default_str();
  cmd->add_option("--iterations", o->iterations, "Iterations per model (fixed: tolerance 0)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--seed-sets", o->seed_sets,
                  "personalized seed sets, signed sources and SybilRank seeds: the first k institutions")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "dynamics: epochs (the median one is reported)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_flag("--json", o->json_stdout, "Print the results as JSON on stdout, alone (the table goes to stderr)");
  cmd->add_option("-o,--out", o->out, "Write the results as JSON here (for benchmarks/results/)");
  cmd->callback([o, &global] { run_bench(*o, global); });
}

}  // namespace trustprop::host
