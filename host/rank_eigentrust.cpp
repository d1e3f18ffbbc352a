// `trustprop rank --model eigentrust`: global trust (DESIGN §3, docs/models.md).
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/pretrust.hpp"
#include "host/progress.hpp"
#include "host/rank_checkpoint.hpp"
#include "host/rank_model.hpp"
#include "host/top_agents.hpp"
#include "host/world.hpp"
#include "io/h5.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

namespace {

// How Cᵀ was stored (kernels/eigentrust.hpp), for the report.
std::string transition_form(const EigenTrustResult& r) {
  std::string s = r.value_free ? "value-free (every agent trusts in equal shares: c_ij = 1/d_i)" : "weighted";
  if (r.source_blocks > 1)
    s += ", " + std::to_string(r.source_blocks) + " source blocks of " + std::to_string(r.block_width) +
         " agents (CPU cache blocking)";
  if (!r.cpu_simd.empty()) s += ", SELL-8 rows (CPU, " + r.cpu_simd + ")";
  return s;
}

// An earlier run's /trust/eigentrust, each entry finite and >= 0, given to
// the agents of `g` by original id (FILE's /agents/id, else the entry's
// index, looked up as host::agents_of_ids does: the same graph, a
// renumbered copy of it, or an earlier version of it; agents it lacks start
// at 0), not all 0, of a finite sum (it is scaled to sum 1 unless it sums
// to 1 within warm_start_sum_slack). Throws DataError naming the file and entry.
std::vector<double> read_warm_start(const std::string& path, const io::Graph& g) {
  const io::h5::File file = io::h5::File::open_read(path);
  const std::vector<double> earlier = file.read_1d<double>("/trust/eigentrust");
  const std::string where = path + ": dataset /trust/eigentrust (--warm-start)";
  for (std::size_t i = 0; i < earlier.size(); ++i)
    if (!(earlier[i] >= 0.0) || !std::isfinite(earlier[i]))
      throw DataError(where + ": entry " + std::to_string(i) + " is " + fmt::format("{}", earlier[i]) +
                      "; trust must be finite and >= 0");
  const auto m = static_cast<std::int64_t>(earlier.size());
  std::vector<std::int64_t> ids(static_cast<std::size_t>(m));
  if (file.exists("/agents/id"))
    ids = file.read_1d<std::int64_t>("/agents/id", m);
  else
    std::iota(ids.begin(), ids.end(), std::int64_t{0});
  std::vector<std::int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
    throw DataError(path + ": dataset /agents/id: id " + std::to_string(*twice) + " appears twice");
  const std::vector<std::int64_t> agents = agents_of_ids(g, ids);
  std::vector<double> t(static_cast<std::size_t>(g.n), 0.0);
  std::int64_t matched = 0;
  bool in_place = m == g.n;  // every entry at its own agent: the same graph
  for (std::size_t i = 0; i < agents.size(); ++i) {
    in_place = in_place && agents[i] == static_cast<std::int64_t>(i);
    if (agents[i] < 0) continue;
    t[static_cast<std::size_t>(agents[i])] = earlier[i];
    ++matched;
  }
  if (matched == 0)
    throw DataError(where + ": none of its " + std::to_string(m) + " agents is an agent of the graph (by original "
                    "id); a warm start needs results of this graph or of an earlier version of it");
  if (!in_place)
    spdlog::info("warm start: {} of the graph's {} agents found in {} by original id (the others start at 0)", matched,
                 g.n, path);
  const double sum = std::accumulate(t.begin(), t.end(), 0.0);  // entries >= 0: 0 only when all are
  if (sum == 0.0) throw DataError(where + ": every entry is 0; a start needs some trust");
  if (!std::isfinite(sum))
    throw DataError(where + ": the entries sum to " + fmt::format("{}", sum) +
                    ", beyond float64; a start is scaled to sum 1 and needs a finite sum");
  return t;
}

class EigenTrustModel final : public RankModel {
 public:
  std::string name() const override { return "eigentrust"; }

  void add_options(CLI::App& rank) override {
    rank.add_option("--restart-probability", options_.restart,
                    "eigentrust: probability a of restarting at the pre-trust distribution (PageRank damping = 1 - a)")
        ->check(finite_number_in(0.0, true, 1.0))
        ->capture_default_str();
    rank.add_option("--pretrust", pretrust_,
                    "eigentrust: pre-trusted agents: institutions (all agents if none), all, or a file of agent ids")
        ->capture_default_str();
    rank.add_option("--warm-start", warm_start_, "eigentrust: start from /trust/eigentrust of an earlier results file");
    rank.add_option("--gather-precision", gather_precision_,
                    "eigentrust: precision of the trust vector gathered by the SpMV: float32 (faster, ~1e-9 L1 from "
                    "float64) or float64; accumulation is always float64")
        ->check(CLI::IsMember({"float32", "float64"}))
        ->capture_default_str();
    rank.add_option("--cpu-block-agents", options_.block_agents,
                    "eigentrust: sources per cache block of Cᵀ on the CPU (kernels/eigentrust.hpp); 0: the "
                    "backend's choice (SELL-8 rows, else blocks by the graph's size), n or more: no blocking")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{std::numeric_limits<std::int32_t>::max()}))
        ->capture_default_str();
  }

  toml::table config(const RankSettings& s) const override {
    return toml::table{{"restart_probability", options_.restart},
                       {"tolerance", s.tolerance},
                       {"max_iterations", s.max_iterations >= 0 ? s.max_iterations : options_.max_iterations},
                       {"pretrust", pretrust_},
                       {"warm_start", warm_start_},
                       {"gather_precision", gather_precision_},
                       {"cpu_block_agents", options_.block_agents}};
  }

  std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int) const override {
    return kernels::eigentrust_bytes(kind, n, nnz);
  }

  bool checkpoints() const override { return true; }
  Distribution distribution() const override { return Distribution::rows; }

  // One process, or every process of a distributed run (DESIGN §7): each
  // reads the pre-trust set and the warm start and iterates (its share);
  // process 0 alone keeps the run directory, writes and prints. Each step
  // that may fail is collective (one process: the error as it is), so an
  // error ends every process with its exit code, reported once.
  void run(const RankRun& run) override {
    const io::Graph& g = run.graph;
    const Communicator& comm = run.processes();
    EigenTrustOptions o = options_;
    o.tolerance = run.settings.tolerance;
    o.float32_gather = gather_precision_ == "float32";
    if (run.settings.max_iterations >= 0) o.max_iterations = run.settings.max_iterations;
    if (run.comm && o.block_agents > 0 && comm.rank() == 0)
      spdlog::warn("--cpu-block-agents {} applies to one process: under MPI each process keeps its rows of Ct in CSR "
                   "or SELL-8 lanes (docs/distributed.md)",
                   o.block_agents);
    Pretrust pre;
    collectively(comm, [&] { pre = build_pretrust(g, pretrust_); });
    std::optional<EigenTrustResume> resume;
    std::optional<RankCheckpoints> checkpoints;
    if (!run.settings.checkpoint.run_dir.empty()) {
      RankCheckpointModel m;
      m.series = &eigentrust_checkpoints;
      m.data_hash = hash_bytes(pre.p.data(), pre.p.size() * sizeof(double));
      m.data_changed = "the pre-trust distribution differs: the --pretrust file has changed";
      m.max_iterations = o.max_iterations;
      checkpoints.emplace(run, m, [&](const io::CheckpointReader& c) {
        resume = restore_eigentrust_checkpoint(c, g.n);
        return resume->convergence;
      });
      if (run.comm) broadcast_resume(comm, resume);
    }
    std::vector<double> start;  // a resumed run starts from its checkpoint instead
    std::optional<io::ResultsWriter> out;
    collectively(comm, [&] {
      if (!warm_start_.empty() && !resume) start = read_warm_start(warm_start_, g);
      if (run.writes_output()) out.emplace(run.settings.output, results_provenance(run));
    });

    Progress progress(run.writes_output() ? run.progress : "none", "eigentrust");
    const auto observe = [&](const EigenTrustState& s) {
      char status[48];
      std::snprintf(status, sizeof status, "residual %.2e", s.convergence.residual);
      progress.update(s.convergence.iterations, o.max_iterations, status);
      if (!checkpoints) return;
      const bool last = s.convergence.residual < o.tolerance || s.convergence.iterations >= o.max_iterations;
      checkpoints->after_iteration(s.convergence.iterations, s.convergence.residual, last, [&](const std::string& path,
                                                                       const io::CheckpointHeader& h) {
        save_eigentrust_checkpoint(path, h, s);
      });
    };
    const EigenTrustResume* from = resume ? &*resume : nullptr;
    const EigenTrustResult r = run.share ? run_eigentrust(run.exec, *run.share, pre.p, o, start, observe, from)
                                         : run_eigentrust(run.exec, g, pre.p, o, start, observe, from);
    progress.finish();
    collectively(comm, [&] {
      if (out) {
        write_results(run, o, r, *out);
        report(run, o, pre, r);
      }
      check_convergence(run, r.convergence, o.tolerance);
    });
  }

 private:
  static void write_results(const RankRun& run, const EigenTrustOptions& o, const EigenTrustResult& r,
                            io::ResultsWriter& out) {
    out.write("/trust/eigentrust", r.trust);
    if (!run.graph.id.empty()) out.write("/agents/id", run.graph.id);
    write_convergence(out, "eigentrust", r.convergence, o.tolerance, r.iterate_seconds);
    out.commit();
  }

  void report(const RankRun& run, const EigenTrustOptions& o, const Pretrust& pre, const EigenTrustResult& r) const {
    const io::Graph& g = run.graph;
    const Convergence& c = r.convergence;
    const auto top = top_agents(r.trust, run.settings.top);
    if (run.settings.json) {
      nlohmann::json j = summary_json(run, c, r.iterate_seconds);
      j["pretrust"] = pre.description;
      j["setup_seconds"] = r.setup_seconds;
      j["transition"] = transition_form(r);
      if (run.share) j["exchange_seconds_per_iteration"] = c.iterations ? r.exchange_seconds / c.iterations : 0.0;
      for (const auto& a : top)
        j["top"].push_back({{"agent", a.agent}, {"id", g.id.empty() ? a.agent : g.id[a.agent]}, {"trust", a.value}});
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print_run_header(run);
      std::printf("restart     %g\n", o.restart);
      std::printf("pre-trust   %s (%lld agents)\n", pre.description.c_str(), static_cast<long long>(pre.agents));
      std::printf("transition  %s\n", transition_form(r).c_str());
      if (run.share)
        std::printf("processes   %d (MPI), each iterating its share of Cᵀ's rows; exchanging t: %.6f s per iteration\n",
                    run.comm->size(), c.iterations ? r.exchange_seconds / c.iterations : 0.0);
      print_convergence(c, o.tolerance, r.iterate_seconds);
      print_top_agents(g, top, "trust");
      std::printf("results     %s\n", run.settings.output.c_str());
    }
  }

  EigenTrustOptions options_;
  std::string pretrust_ = "institutions", warm_start_;
  std::string gather_precision_ = "float32";
};

}  // namespace

std::unique_ptr<RankModel> make_eigentrust_model() { return std::make_unique<EigenTrustModel>(); }

}  // namespace trustprop::host
