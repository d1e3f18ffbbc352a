// `trustprop rank --model fairness-goodness`: Kumar et al. ICDM 2016
// (DESIGN §3, docs/models.md).
#include <cmath>
#include <cstdio>
#include <optional>

#include "host/cli_checks.hpp"
#include "host/fairness_goodness.hpp"
#include "host/progress.hpp"
#include "host/rank_checkpointing.hpp"
#include "host/rank_fairness_goodness_checkpoint.hpp"
#include "host/rank_model.hpp"
#include "host/top_agents.hpp"
#include "host/world.hpp"

namespace trustprop::host {

namespace {

class FairnessGoodnessModel final : public RankModel {
 public:
  std::string name() const override { return "fairness-goodness"; }

  void add_options(CLI::App& rank) override {
    rank.add_option("--weight-divisor", options_.weight_divisor,
                    "fairness-goodness: divide weights by this in float64 first (10 for raw Bitcoin OTC ratings)")
        ->check(finite_number_in(0.0, true, HUGE_VAL))
        ->capture_default_str();
  }

  toml::table config(const RankSettings& s) const override {
    return toml::table{{"tolerance", s.tolerance},
                       {"max_iterations", s.max_iterations >= 0 ? s.max_iterations : options_.max_iterations},
                       {"weight_divisor", options_.weight_divisor}};
  }

  std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int processes) const override {
    // A process's in-rows hold about as many ratings as its rows of W ties.
    return fairness_goodness_bytes(kind, n, nnz, nnz, processes > 1);
  }

  bool checkpoints() const override { return true; }
  Distribution distribution() const override { return Distribution::rows; }

  // One process, or every process of a distributed run (DESIGN §7): process
  // 0 alone keeps the run directory, writes and prints; each step that may
  // fail is collective. f and g are whole on every process, so process 0
  // checkpoints without gathering, and restores for all.
  void run(const RankRun& run) override {
    const Communicator& comm = run.processes();
    FairnessGoodnessOptions o = options_;
    o.tolerance = run.settings.tolerance;
    if (run.settings.max_iterations >= 0) o.max_iterations = run.settings.max_iterations;
    std::optional<FairnessGoodnessResume> resume;
    std::optional<RankCheckpoints> checkpoints;
    if (!run.settings.checkpoint.run_dir.empty()) {
      RankCheckpointModel m;
      m.series = &fairness_goodness_checkpoints;
      m.max_iterations = o.max_iterations;
      checkpoints.emplace(run, m, [&](const io::CheckpointReader& c) {
        resume = restore_fairness_goodness_checkpoint(c, run.graph.n);
        return resume->convergence;
      });
      if (run.comm) broadcast_resume(comm, resume);
    }
    std::optional<io::ResultsWriter> out;
    collectively(comm, [&] {
      if (run.writes_output()) out.emplace(run.settings.output, results_provenance(run));
    });
    Progress progress(run.writes_output() ? run.progress : "none", "fairness-goodness");
    const auto observe = [&](const FairnessGoodnessState& s) {
      char status[48];
      std::snprintf(status, sizeof status, "change %.2e", s.convergence.residual);
      progress.update(s.convergence.iterations, o.max_iterations, status);
      if (!checkpoints) return;
      const bool last = s.convergence.converged || s.convergence.iterations >= o.max_iterations;
      checkpoints->after_iteration(s.convergence.iterations, s.convergence.residual, last,
                                   [&](const std::string& path, const io::CheckpointHeader& h) {
                                     save_fairness_goodness_checkpoint(path, h, s);
                                   });
    };
    const FairnessGoodnessResume* from = resume ? &*resume : nullptr;
    const auto r = run.share ? run_fairness_goodness(run.exec, *run.share, o, run.settings.graph, observe, from)
                             : run_fairness_goodness(run.exec, run.graph, o, run.settings.graph, observe, from);
    progress.finish();
    collectively(comm, [&] {
      if (out) write_and_report(run, o, r, *out);
      check_convergence(run, r.convergence, o.tolerance);
    });
  }

 private:
  void write_and_report(const RankRun& run, const FairnessGoodnessOptions& o, const FairnessGoodnessResult& r,
                        io::ResultsWriter& out) const {
    const io::Graph& g = run.graph;
    const Convergence& c = r.convergence;
    out.write("/trust/fairness", r.fairness);
    out.write("/trust/goodness", r.goodness);
    if (!g.id.empty()) out.write("/agents/id", g.id);
    write_convergence(out, "fairness-goodness", c, o.tolerance, r.iterate_seconds);
    out.write("/convergence/fairness-goodness/fairness_change", r.fairness_change);
    out.write("/convergence/fairness-goodness/goodness_change", r.goodness_change);
    out.commit();
    if (run.settings.json) {
      std::printf("%s\n", summary_json(run, c, r.iterate_seconds).dump(2).c_str());
    } else {
      print_run_header(run);
      print_convergence(c, o.tolerance, r.iterate_seconds);
      std::printf("goodness (how well an agent is rated, fairness-weighted):\n");
      print_top_agents(g, top_agents(r.goodness, run.settings.top), "goodness");
      std::printf("results     %s\n", run.settings.output.c_str());
    }
  }

  FairnessGoodnessOptions options_;
};

}  // namespace

std::unique_ptr<RankModel> make_fairness_goodness_model() { return std::make_unique<FairnessGoodnessModel>(); }

}  // namespace trustprop::host
