// kill -9 at random moments (docs/checkpoint.md): a run is killed at least
// 20 times at seeded random instants (during setup, an epoch, the write of a
// checkpoint, metrics or results) and resumed with --resume auto each time.
// After every kill each checkpoint at its final name must verify and
// metrics.jsonl must hold epochs 1..k once each; at the end metrics.jsonl
// and results.h5 must equal an uninterrupted run's in every field that does
// not measure time.
#include <gtest/gtest.h>

#include "checkpoint_test_support.hpp"
#include "io/checkpoint_file.hpp"
#include "kill_campaign.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;
using ckpt::seconds_since;

// The epochs of metrics.jsonl's lines, which must all parse.
std::vector<std::int64_t> metric_epochs(const fs::path& run) {
  std::vector<std::int64_t> epochs;
  std::ifstream in(run / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) epochs.push_back(nlohmann::json::parse(line).at("epoch"));
  return epochs;
}

std::size_t metric_lines(const fs::path& run) {
  std::ifstream in(run / "metrics.jsonl");
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

TEST(CheckpointKill, KilledTwentyTimesAtRandomTheResultIsBitwiseTheSame) {
  constexpr std::int64_t epochs = 60;  // room for 20 kills that each let the run creep forward an epoch or two
  cli::TempDir dir;
  const fs::path config = ckpt::write_config(dir.path(), epochs, 1);

  const auto t0 = std::chrono::steady_clock::now();
  const fs::path reference = dir.path() / "reference";
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, reference), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const double epoch_cycle = seconds_since(t0) / epochs;  // an epoch and its checkpoint, roughly

  const fs::path run = dir.path() / "run";
  ckpt::KillPlan plan;
  plan.seed = 20240607;
  plan.setup_window = 0.3;
  plan.cycle = epoch_cycle;
  plan.checkpoints = run / "checkpoints";
  plan.scratch = dir.path();
  const ckpt::KillTally tally = ckpt::kill_at_random(
      plan, [&] { return ckpt::spawn(ckpt::simulate_args(config, run, {"--resume", "auto"}), dir.path()); },
      [&] { return fs::exists(run / "metrics.jsonl") ? metric_lines(run) : std::size_t{0}; },
      [&](const ckpt::KillTally&) {
        // Never a repeated or missing epoch in the metrics.
        if (!fs::exists(run / "metrics.jsonl")) return;
        const auto got = metric_epochs(run);
        for (std::size_t k = 0; k < got.size(); ++k) ASSERT_EQ(got[k], static_cast<std::int64_t>(k) + 1);
      });
  ckpt::report(tally, plan);
  ASSERT_GE(tally.kills, plan.kills);
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, run, {"--resume", "auto"}), dir.path()), 0)
      << ckpt::child_stderr(dir.path());

  EXPECT_EQ(ckpt::deterministic_metrics(run), ckpt::deterministic_metrics(reference));
  const auto a = ckpt::deterministic_datasets(run / "results.h5");
  const auto b = ckpt::deterministic_datasets(reference / "results.h5");
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) {
    ASSERT_TRUE(a.count(name)) << name;
    EXPECT_TRUE(bytes == a.at(name)) << name << " differs";
  }
  for (const auto& e : fs::directory_iterator(run)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();  // the last run cleaned up
  }
}

}  // namespace
