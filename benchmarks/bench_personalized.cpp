// bench_personalized: aggregate throughput of batched personalized trust
// (issue 4, item 1; docs/personalized.md) — k seed columns propagated
// together as one SpMM (kernels::personalized_step) against k sequential
// single-seed runs (kernels::eigentrust_step, one per seed), for k = 1, 8,
// 32 and 128 on one graph, on the CPU or a GPU.
//
//   bench_personalized GRAPH.h5 -o result.json [--device cpu|cuda[:N]]
//                      [--threads N] [--ks 1,8,32,128] [--iterations 10]
//                      [--restart 0.15] [--label NAME]
//
// Cᵀ is built once and shared by both sides (its cost, setup_seconds, is
// paid once by a batch and k times by k separate runs; it is not in the
// throughput). Seed c is agent ⌊c·n/k⌋. Both sides start at their seeds and
// do one untimed iteration; then, `iterations` rounds of one batched
// iteration and one iteration of each of the k single-seed runs (so that
// load from other processes falls on both alike), each side timed per round
// (a step returns after the device has finished: its residual is copied to
// the host). Throughput is seed-columns × iterations per second:
//   batched      k / median seconds of one batched iteration
//   sequential   k / median seconds of one iteration of all k runs
// and the speedup is their ratio (also given from the minima). Afterwards
// every batched column is compared with its single-seed run (max L1
// distance; 0 on the CPU, where the columns are bitwise equal). Other
// processes' CPU use over the rounds is recorded as background_cpu_share
// (the share of all cores they took). Memory: the batch (16·n·k bytes) and
// the k runs (8·n·(2k + 1) bytes) are held together.
#include <omp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_machine.hpp"
#include "common/error.hpp"
#include "common/version.hpp"
#include "host/personalized.hpp"
#include "io/graph_file.hpp"
#include "kernels/array.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/executor.hpp"
#include "kernels/personalized.hpp"

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
namespace tk = trustprop::kernels;

namespace {

using trustprop::bench::machine_info;
using trustprop::bench::utc_now;
using trustprop::bench::BackgroundMeter;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// ---------------------------------------------------------------- machine

// Measures the share of all cores that other processes used while `f` ran.
template <class F>
double background_share(F&& f) {
  const BackgroundMeter meter;
  f();
  return meter.share();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  return k == 0 ? 0.0 : k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

double minimum(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

// ---------------------------------------------------------------- the two sides

struct Measured {
  std::vector<double> batched;     // per round: seconds of one batched iteration
  std::vector<double> sequential;  // per round: seconds of one iteration of each of the k single-seed runs
  double background = 0;           // other processes' share of the machine over all rounds
  double max_l1 = 0;               // batched column vs its single-seed run
};

Measured measure(const std::shared_ptr<const tk::Executor>& exec, const tk::Transition& tr, std::int64_t n,
                 std::int64_t k, int iterations, double restart) {
  Measured m;
  const auto nn = static_cast<std::size_t>(n), kk = static_cast<std::size_t>(k);
  const tk::CsrView ct = tr.ct.view();
  const auto n_dangling = static_cast<std::int64_t>(tr.dangling.size());
  std::vector<std::int32_t> seed(kk), columns(kk);
  std::vector<std::uint32_t> seeded((nn + 31) / 32, 0u);
  for (std::size_t c = 0; c < kk; ++c) {
    seed[c] = static_cast<std::int32_t>(static_cast<std::int64_t>(c) * n / k);  // ascending: P is sorted by agent
    columns[c] = static_cast<std::int32_t>(c);
    seeded[static_cast<std::size_t>(seed[c] / 32)] |= 1u << (seed[c] % 32);
  }

  // The batch: P with one entry per column, T and T'.
  const auto d_agent = tk::Array<std::int32_t>::from_host(exec, seed);
  const auto d_column = tk::Array<std::int32_t>::from_host(exec, columns);
  const auto d_weight = tk::Array<double>::from_host(exec, std::vector<double>(kk, 1.0));
  const auto d_seeded = tk::Array<std::uint32_t>::from_host(exec, seeded);
  const auto d_active = tk::Array<std::uint8_t>::from_host(exec, std::vector<std::uint8_t>(kk, 1));
  const tk::SeedMatrixView pv{k, d_agent.data(), d_column.data(), d_weight.data(), d_seeded.data()};
  tk::Array<double> t(exec, nn * kk), t_next(exec, nn * kk);
  tk::dispatch(*exec, [&](const auto& e) { personalized_start(e, n, k, pv, t.data()); });
  auto batched_step = [&] {
    tk::dispatch(*exec, [&](const auto& e) {
      return personalized_step(e, ct, tr.dangling.data(), n_dangling, pv, k, d_active.data(), restart, t.data(),
                               t_next.data());
    });
    std::swap(t, t_next);
  };

  // The k single-seed runs: p_c = e_seed, t_c starting at p_c, one shared t'.
  std::vector<tk::Array<double>> p, single;
  std::vector<double> unit(nn, 0.0);
  for (std::size_t c = 0; c < kk; ++c) {
    unit[static_cast<std::size_t>(seed[c])] = 1.0;
    p.push_back(tk::Array<double>::from_host(exec, unit));
    single.push_back(tk::Array<double>::from_host(exec, unit));
    unit[static_cast<std::size_t>(seed[c])] = 0.0;
  }
  tk::Array<double> single_next(exec, nn);
  auto single_step = [&](std::size_t c) {
    tk::dispatch(*exec, [&](const auto& e) {
      return eigentrust_step(e, ct, tr.dangling.data(), n_dangling, p[c].data(), restart, single[c].data(),
                             single_next.data());
    });
    std::swap(single[c], single_next);
  };

  // One untimed iteration each, then rounds of one batched iteration and one
  // iteration of every single-seed run, so that load from other processes
  // falls on both sides alike.
  batched_step();
  for (std::size_t c = 0; c < kk; ++c) single_step(c);
  m.background = background_share([&] {
    for (int round = 0; round < iterations; ++round) {
      auto t0 = Clock::now();
      batched_step();
      m.batched.push_back(seconds(t0, Clock::now()));
      t0 = Clock::now();
      for (std::size_t c = 0; c < kk; ++c) single_step(c);
      m.sequential.push_back(seconds(t0, Clock::now()));
    }
  });

  const std::vector<double> block = t.to_host();
  for (std::size_t c = 0; c < kk; ++c) {
    const std::vector<double> v = single[c].to_host();
    double l1 = 0.0;
    for (std::size_t j = 0; j < nn; ++j) l1 += std::fabs(block[j * kk + c] - v[j]);
    m.max_l1 = std::max(m.max_l1, l1);
  }
  return m;
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Batched personalized trust vs k sequential single-seed runs: aggregate throughput"};
  std::string graph_path, out_path, device = "cpu", ks_text = "1,8,32,128", label;
  int threads = 0, iterations = 10;
  double restart = 0.15;
  app.add_option("graph", graph_path, "Graph file (HDF5)")->required();
  app.add_option("-o,--out", out_path, "JSON results file")->required();
  app.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--ks", ks_text, "Seed columns per batch, comma-separated")->capture_default_str();
  app.add_option("--iterations", iterations, "Timed iterations per measurement")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--restart", restart, "Restart probability a")->capture_default_str();
  app.add_option("--label", label, "Name of the graph in the results (default: the file name)");
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<std::int64_t> ks = trustprop::bench::parse_counts(ks_text, "--ks");
    const auto exec = tk::make_executor(device, threads);
    const trustprop::io::Graph g = trustprop::io::read_graph(graph_path);
    if (label.empty()) label = graph_path.substr(graph_path.find_last_of('/') + 1);
    std::fprintf(stderr, "bench_personalized: %s: %lld agents, %lld edges on %s\n", label.c_str(),
                 static_cast<long long>(g.n), static_cast<long long>(g.nnz()), exec->description().c_str());

    const auto t0 = Clock::now();
    tk::Transition tr;
    {
      tk::CsrMatrix w;
      w.rows = w.cols = g.n;
      w.indptr = tk::Array<std::int64_t>::from_host(exec, g.indptr);
      w.indices = tk::Array<std::int32_t>::from_host(exec, g.indices);
      w.values = tk::Array<float>::from_host(exec, g.data);
      tr = tk::dispatch(*exec, [&](const auto& e) { return build_transition(e, w.view()); });
      exec->synchronize();
    }
    const double setup_seconds = seconds(t0, Clock::now());

    json results = json::array();
    for (const std::int64_t k : ks) {
      const std::size_t need = trustprop::host::personalized_bytes(exec->kind(), g.n, g.nnz(), k, k) +
                               static_cast<std::size_t>(g.n) * static_cast<std::size_t>(2 * k + 1) * sizeof(double);
      if (need > exec->available_memory()) {
        std::fprintf(stderr, "bench_personalized: k = %lld needs %zu bytes, %s has %zu: skipped\n",
                     static_cast<long long>(k), need, exec->name().c_str(), exec->available_memory());
        continue;
      }
      const Measured m = measure(exec, tr, g.n, k, iterations, restart);
      const double b_median = median(m.batched), b_min = minimum(m.batched);
      const double s_median = median(m.sequential), s_min = minimum(m.sequential);
      const double kk = static_cast<double>(k);
      json r;
      r["k"] = k;
      r["batched"] = {{"seconds_per_iteration_median", b_median},
                      {"seconds_per_iteration_min", b_min},
                      {"columns_iterations_per_second", kk / b_median},
                      {"seconds", m.batched}};
      r["sequential"] = {{"seconds_per_iteration_median", s_median},
                         {"seconds_per_iteration_min", s_min},
                         {"columns_iterations_per_second", kk / s_median},
                         {"seconds", m.sequential}};
      r["speedup_median"] = s_median / b_median;
      r["speedup_min"] = s_min / b_min;
      r["max_column_l1_difference"] = m.max_l1;
      r["background_cpu_share"] = m.background;
      std::fprintf(stderr,
                   "  k = %4lld: batched %.4f s/iter (%.1f col-iter/s), sequential %.4f s/iter (%.1f col-iter/s), "
                   "speedup %.2fx (from minima %.2fx), max L1 %.1e, background %.0f%%\n",
                   static_cast<long long>(k), b_median, kk / b_median, s_median, kk / s_median, s_median / b_median,
                   s_min / b_min, m.max_l1, 100 * m.background);
      results.push_back(r);
    }

    std::string command;
    for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
    json doc;
    doc["benchmark"] = "personalized";
    doc["command"] = command;
    doc["date_utc"] = utc_now();
    doc["machine"] = machine_info();
    doc["device"] = exec->description();
    doc["backend"] = exec->name();
    doc["threads"] = exec->kind() == tk::BackendKind::cpu ? omp_get_max_threads() : 0;
    doc["trustprop"] = {{"version", trustprop::version_string}, {"git_revision", trustprop::git_revision}};
    doc["graph"] = {{"label", label},
                    {"path", graph_path},
                    {"agents", g.n},
                    {"edges", g.nnz()},
                    {"ct_entries", tr.ct.nnz()},
                    {"dangling", tr.dangling.size()},
                    {"content_hash", g.content_hash}};
    doc["iterations"] = iterations;
    doc["restart"] = restart;
    doc["setup_seconds"] = setup_seconds;
    doc["results"] = results;
    std::ofstream out(out_path);
    if (!(out << doc.dump(2) << "\n")) throw trustprop::IoError(out_path + ": cannot write the results");
    std::fprintf(stderr, "bench_personalized: wrote %s\n", out_path.c_str());
  } catch (const trustprop::Error& e) {
    std::fprintf(stderr, "bench_personalized: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
