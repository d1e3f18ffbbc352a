// kill -9 of `trustprop rank --model eigentrust|personalized|fairness-goodness --run-dir D`
// at seeded random moments (docs/checkpoint.md): a run is killed at least 20 times
// (during setup, iterations, checkpoint writes: it asserts that at least
// one kill left a half-written checkpoint behind) and resumed with
// --resume auto each time. After every kill each checkpoint at its final
// name must verify and the results file must not exist half-written; at the
// end the trust vector and the residual history must equal an
// uninterrupted run's byte for byte, metrics.jsonl must hold each
// iteration once with its residual, and the unfinished results files of
// the killed runs must be gone.
#include <gtest/gtest.h>

#include <algorithm>

#include "io/checkpoint_file.hpp"
#include "kill_campaign.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;
using ckpt::seconds_since;

// The iteration of the newest checkpoint at its final name, or 0.
std::int64_t newest_checkpoint(const fs::path& run) {
  std::int64_t newest = 0;
  for (const std::string& name : rank_ckpt::checkpoint_names(run))
    if (name.find(".tmp-") == std::string::npos) newest = std::max<std::int64_t>(newest, std::stoll(name.substr(6)));
  return newest;
}

// A model's command line: its own options beside the checkpointing ones.
struct KillCase {
  const char* name;
  std::vector<std::string> extra;
  rank_ckpt::Iteration iteration;
  std::uint64_t seed;
};

KillCase eigentrust_case() { return {"eigentrust", {"--checkpoint-every", "2"}, {}, 20261201}; }

KillCase personalized_case() {
  // Four seed sets (T is n × 4) that converge at different iterations.
  rank_ckpt::Iteration it;
  it.model = "personalized";
  it.tolerance = "1e-12";
  return {"personalized", {"--seeds", "5,1234,9876,15000", "--full", "--checkpoint-every", "2"}, it, 20261202};
}

KillCase fairness_goodness_case() {
  // A fixed 600 iterations (tolerance 0): past the fixed point, as a resumed run must go.
  rank_ckpt::Iteration it;
  it.model = "fairness-goodness";
  it.tolerance = "0";
  it.max_iterations = "600";
  return {"fairness-goodness", {"--checkpoint-every", "2"}, it, 20261207};
}

void PrintTo(const KillCase& c, std::ostream* os) { *os << c.name; }

class RankCheckpointKill : public ::testing::TestWithParam<KillCase> {};

TEST_P(RankCheckpointKill, KilledTwentyTimesAtRandomTheResultIsBitwiseTheSame) {
  const KillCase& c = GetParam();
  cli::TempDir dir;
  const fs::path graph = rank_ckpt::write_graph(dir.path());
  const fs::path reference = dir.path() / "reference.h5", out = dir.path() / "out.h5", run = dir.path() / "run";
  const auto args = [&](const fs::path& results, const fs::path& run_dir) {
    return rank_ckpt::rank_args(graph, results, run_dir, c.extra, c.iteration);
  };

  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(ckpt::run_child(args(reference, dir.path() / "reference-run"), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const double whole_run = seconds_since(t0);
  const std::int64_t iterations = rank_ckpt::iterations_of(reference, c.name);
  ASSERT_GT(iterations, 40) << "too short a run to kill in every phase";

  const double cycle = whole_run / static_cast<double>(iterations / 2);  // two iterations and a checkpoint, roughly

  ckpt::KillPlan plan;
  plan.seed = c.seed;
  plan.cycle = cycle;
  plan.checkpoints = run / "checkpoints";
  plan.scratch = dir.path();
  const ckpt::KillTally tally = ckpt::kill_at_random(
      plan, [&] { return ckpt::spawn(args(out, run), dir.path()); },
      [&] { return newest_checkpoint(run); },
      [&](const ckpt::KillTally& t) {
        if (t.finished == 0) EXPECT_FALSE(fs::exists(out)) << "a killed run left results";
      });
  ckpt::report(tally, plan);
  ASSERT_GE(tally.kills, plan.kills);
  ASSERT_EQ(ckpt::run_child(args(out, run), dir.path()), 0) << ckpt::child_stderr(dir.path());
  rank_ckpt::expect_same_results(out, reference, c.name);
  rank_ckpt::expect_metrics_log(run, out, c.name);  // each iteration once, whatever the kills cut off
  for (const std::string& name : rank_ckpt::checkpoint_names(run))
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;  // the last run cleaned up,
  for (const auto& e : fs::directory_iterator(dir.path()))     // the unfinished results files too
    EXPECT_EQ(e.path().filename().string().find("out.h5.tmp-"), std::string::npos) << e.path();
}

INSTANTIATE_TEST_SUITE_P(Models, RankCheckpointKill,
                         ::testing::Values(eigentrust_case(), personalized_case(), fairness_goodness_case()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
