// bench_memory: resident memory of each model on the CPU backend, in bytes
// per edge beyond the input arrays (issue 7: "EigenTrust on the CPU at most
// 10 bytes per edge beyond the input arrays"; docs/benchmarks.md).
//
//   bench_memory GRAPH.h5 -o result.json [--models eigentrust,personalized,
//                fairness-goodness,signed,sybilrank] [--iterations 10] [--threads N]
//
// Each model runs in a fresh process (this program started again with
// --child MODEL), so that no memory freed by an earlier model is reused and
// hidden from the count. The child reads the graph — the input arrays:
// indptr, indices, data, kinds and ids, as `trustprop rank` holds them —
// then resets the kernel's high-water mark (/proc/self/clear_refs = 5),
// runs the model's host driver as `trustprop rank` does, and reports
//   extra_bytes = VmHWM after the run − VmRSS before it
// i.e. everything the model adds at its peak: Cᵀ, vectors, workspaces, the
// result. Parameters are fixed and recorded (k seed sets, sources, steps),
// since the block models' memory grows with them, with the estimate the run
// checked before allocating (estimate_bytes).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_machine.hpp"
#include "benchmarks/bench_main.hpp"
#include "common/error.hpp"
#include "common/version.hpp"
#include "host/eigentrust.hpp"
#include "host/fairness_goodness.hpp"
#include "host/personalized.hpp"
#include "host/signed_trust.hpp"
#include "host/sybilrank.hpp"
#include "io/graph_file.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/memory_estimate.hpp"

extern char** environ;

using json = nlohmann::ordered_json;
namespace th = trustprop::host;

namespace {

// A "VmXXX:  N kB" line of /proc/self/status, in bytes.
double status_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return 1024.0 * std::stod(line.substr(key.size() + 1));
  throw trustprop::InternalError("/proc/self/status has no " + key);
}

void reset_high_water_mark() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  if (!f) throw trustprop::InternalError("cannot reset VmHWM through /proc/self/clear_refs");
}

// `count` agents spread evenly over 0..n−1.
std::vector<std::int64_t> spread(std::int64_t n, std::int64_t count) {
  std::vector<std::int64_t> a;
  for (std::int64_t c = 0; c < count && c < n; ++c) a.push_back(c * n / std::min(count, n));
  return a;
}

// Runs one model as `trustprop rank` would and returns its parameters and
// the estimate the run checked before allocating (what it adds to the
// graph, margin included).
json run_model(const std::string& model, const std::shared_ptr<const trustprop::kernels::Executor>& exec,
               const trustprop::io::Graph& g, int iterations) {
  th::EigenTrustOptions et;
  et.tolerance = 0.0;  // a fixed number of iterations
  et.max_iterations = iterations;
  if (model == "eigentrust") {
    const auto r = th::run_eigentrust(exec, g, std::vector<double>(static_cast<std::size_t>(g.n), 1.0 / g.n), et);
    return {{"iterations", iterations}, {"gather", "float32"}, {"value_free", r.value_free},
            {"estimate_bytes", trustprop::kernels::eigentrust_host_bytes(g.n, g.nnz())}};
  }
  if (model == "personalized") {
    th::SeedSets seeds;
    seeds.offsets = {0};
    for (std::int64_t a : spread(g.n, 8)) {
      seeds.agents.push_back(a);
      seeds.offsets.push_back(static_cast<std::int64_t>(seeds.agents.size()));
    }
    th::run_personalized(exec, g, seeds, et);
    return {{"iterations", iterations}, {"seed_sets", seeds.count()},
            {"estimate_bytes", th::personalized_bytes(exec->kind(), g.n, g.nnz(), seeds.count(), seeds.entries())}};
  }
  if (model == "fairness-goodness") {
    th::FairnessGoodnessOptions o;
    o.max_iterations = iterations;
    o.tolerance = 0.0;
    for (float w : g.data) o.weight_divisor = std::max(o.weight_divisor, static_cast<double>(std::fabs(w)));
    th::run_fairness_goodness(exec, g, o);
    return {{"iterations", iterations}, {"weight_divisor", o.weight_divisor},
            {"estimate_bytes", th::fairness_goodness_bytes(exec->kind(), g.n, g.nnz(), g.nnz(), false)}};
  }
  if (model == "signed") {
    // One-step distrust where the graph has distrust ties, trust-only where not.
    th::SignedTrustOptions o;
    o.steps = 5;
    o.batch = 64;
    if (std::none_of(g.data.begin(), g.data.end(), [](float w) { return w < 0.0f; }))
      o.mode = th::SignedMode::trust_only;
    // As `rank` runs it: each batch's rows handed on (there, to the results file).
    th::run_signed_trust(exec, g, spread(g.n, 64), o, "graph", [](std::int64_t, std::int64_t, const double*) {});
    return {{"steps", o.steps}, {"sources", 64}, {"batch", o.batch}, {"mode", th::to_string(o.mode)},
            {"estimate_bytes", th::signed_trust_bytes(exec->kind(), g.n, g.nnz(), 64, o)}};
  }
  if (model == "sybilrank") {
    const auto r = th::run_sybilrank(exec, g, spread(g.n, 16), {});
    return {{"steps", r.steps}, {"seeds", 16}, {"estimate_bytes", th::sybilrank_bytes(exec->kind(), g.n, g.nnz(), false)}};
  }
  throw trustprop::UsageError("--models: unknown model '" + model + "'");
}

// The child: read, reset the mark, run, print one JSON object.
int child(const std::string& graph_path, const std::string& model, int iterations, int threads) {
  const trustprop::io::Graph g = trustprop::io::read_graph(graph_path);
  auto exec = std::make_shared<trustprop::kernels::cpu::CpuExecutor>(threads);
  reset_high_water_mark();
  const double before = status_bytes("VmRSS");
  json out = {{"model", model}};
  const auto t0 = std::chrono::steady_clock::now();
  try {
    out["parameters"] = run_model(model, exec, g, iterations);
  } catch (const trustprop::Error& e) {
    // A model that refuses this graph (a signed model on an unsigned graph) is recorded as refused.
    out["refused"] = e.what();
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  const double peak = status_bytes("VmHWM");
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out["rss_before_bytes"] = before;
  out["peak_rss_bytes"] = peak;
  out["extra_bytes"] = peak - before;
  out["extra_bytes_per_edge"] = (peak - before) / static_cast<double>(std::max<std::int64_t>(g.nnz(), 1));
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

// Starts this program with `args` and returns what it printed.
std::string run_child(const std::vector<std::string>& args) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) throw trustprop::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fd[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fd[1]);
  if (rc != 0) throw trustprop::InternalError("posix_spawn failed");
  std::string text;
  char buf[4096];
  ssize_t got;
  while ((got = read(pipe_fd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(got));
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw trustprop::InternalError("the child for " + args.back() + " failed (status " + std::to_string(status) + ")");
  return text;
}

int run(int argc, char** argv) {
  CLI::App app{"resident bytes per edge of each model on the CPU backend"};
  std::string graph_path, out_path, models = "eigentrust,personalized,fairness-goodness,signed,sybilrank", child_model;
  int iterations = 10, threads = 0;
  app.add_option("graph", graph_path, "graph file (HDF5, DESIGN §2)")->required()->check(CLI::ExistingFile);
  app.add_option("--out,-o", out_path, "write the JSON result here");
  app.add_option("--models", models, "comma-separated models");
  app.add_option("--iterations", iterations, "iterations of the iterative models")->check(CLI::Range(1, 100000));
  app.add_option("--threads", threads, "OpenMP threads (0: all)");
  app.add_option("--child", child_model, "(internal) run one model and print its JSON");
  CLI11_PARSE(app, argc, argv);
  if (!child_model.empty()) return child(graph_path, child_model, iterations, threads);
  if (out_path.empty()) throw trustprop::UsageError("--out is required");

  const trustprop::io::GraphHeader h = trustprop::io::read_graph_header(graph_path);
  const double n = static_cast<double>(h.n), nnz = static_cast<double>(h.nnz);
  json out;
  out["benchmark"] = "memory_cpu";
  out["date_utc"] = trustprop::bench::utc_now();
  out["machine"] = trustprop::bench::machine_info();
  out["trustprop"] = {{"version", trustprop::version_string}, {"git_revision", trustprop::git_revision}};
  out["graph"] = {{"path", graph_path},
                  {"source", h.source},
                  {"n", h.n},
                  {"nnz", h.nnz},
                  {"content_hash", h.content_hash},
                  {"input_bytes", 8 * (n + 1) + 8 * nnz + (h.has_kinds ? n : 0) + (h.has_ids ? 8 * n : 0)}};
  out["method"] = "each model in a fresh process: VmHWM after the run minus VmRSS after reading the graph "
                  "(/proc/self/clear_refs = 5 resets the mark); the input arrays (indptr 8 B per agent, indices "
                  "and data 8 B per edge, kinds and ids) are not counted";
  std::printf("%s: n=%lld nnz=%lld\n  %-18s %14s %14s %10s\n", graph_path.c_str(), static_cast<long long>(h.n),
              static_cast<long long>(h.nnz), "model", "extra MiB", "B per edge", "seconds");
  std::stringstream list(models);
  std::string model;
  json results = json::array();
  while (std::getline(list, model, ',')) {
    if (model != "eigentrust" && model != "personalized" && model != "fairness-goodness" && model != "signed" &&
        model != "sybilrank")
      throw trustprop::UsageError("--models: unknown model '" + model + "'");
    const json r = json::parse(run_child({argv[0], graph_path, "--iterations", std::to_string(iterations),
                                          "--threads", std::to_string(threads), "--child", model}));
    if (r.contains("refused")) {
      std::printf("  %-18s refused: %s\n", model.c_str(), r["refused"].get<std::string>().c_str());
    } else {
      std::printf("  %-18s %14.1f %14.2f %10.2f\n", model.c_str(), r["extra_bytes"].get<double>() / (1 << 20),
                  r["extra_bytes_per_edge"].get<double>(), r["seconds"].get<double>());
    }
    results.push_back(r);
  }
  out["models"] = results;
  trustprop::bench::write_json(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return trustprop::bench::bench_main("bench_memory", run, argc, argv); }
