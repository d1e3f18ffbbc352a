// kill -9 at random moments (docs/checkpoint.md): a run is killed at least
// 20 times at seeded random instants (during setup, an epoch, the write of a
// checkpoint, metrics or results) and resumed with --resume auto each time.
// After every kill each checkpoint at its final name must verify and
// metrics.jsonl must hold epochs 1..k once each; at the end metrics.jsonl
// and results.h5 must equal an uninterrupted run's in every field that does
// not measure time.
#include <gtest/gtest.h>

#include <random>

#include "checkpoint_test_support.hpp"
#include "io/checkpoint_file.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

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

  // Each run is killed during its setup, as soon as a checkpoint is being written, or after its first
  // epoch at a random instant of the epoch / checkpoint cycle, so that the run creeps forward and kills
  // land in every phase; it goes on until at least one kill has landed in a write (on a loaded machine
  // the random instants alone may miss the short writes).
  const fs::path run = dir.path() / "run";
  std::mt19937_64 rng(20240607);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int kills = 0, mid_write = 0, finished = 0;
  for (int attempt = 0; (kills < 20 || mid_write == 0) && attempt < 200; ++attempt) {
    const std::size_t base = fs::exists(run / "metrics.jsonl") ? metric_lines(run) : 0;
    const pid_t pid = ckpt::spawn(ckpt::simulate_args(config, run, {"--resume", "auto"}), dir.path());
    bool ended = false;  // by itself, with exit code rc
    int rc = 0;
    const auto alive = [&] { return !ended && !(ended = !ckpt::running(pid, rc)); };
    const double phase = uniform(rng);
    if (phase < 0.2) {
      std::this_thread::sleep_for(std::chrono::duration<double>(0.3 * uniform(rng)));
    } else if (phase < 0.35) {
      while (alive() && !ckpt::has_temporary(run / "checkpoints")) std::this_thread::yield();
    } else {
      const std::size_t target = base + 1;
      while (alive() && metric_lines(run) < target) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::duration<double>(1.5 * epoch_cycle * uniform(rng)));
    }
    if (alive()) {
      kill(pid, SIGKILL);
      rc = ckpt::wait_for(pid);
      ASSERT_TRUE(rc == -SIGKILL || rc == 0) << rc << ": " << ckpt::child_stderr(dir.path());
      (rc == 0 ? finished : kills) += 1;  // 0: it finished just before the kill
    } else {
      ASSERT_EQ(rc, 0) << ckpt::child_stderr(dir.path());  // collected by running()
      ++finished;
    }

    // What a kill may leave: temporaries, never a damaged checkpoint or a repeated epoch.
    std::error_code none;  // a run killed early may not have made the directory
    for (const auto& e : fs::directory_iterator(run / "checkpoints", none)) {
      const std::string name = e.path().filename();
      if (name.find(".tmp-") != std::string::npos) {
        ++mid_write;
        continue;
      }
      EXPECT_NO_THROW(io::CheckpointReader(e.path().string()).verify()) << name;
    }
    if (fs::exists(run / "metrics.jsonl")) {
      const auto got = metric_epochs(run);
      for (std::size_t k = 0; k < got.size(); ++k) ASSERT_EQ(got[k], static_cast<std::int64_t>(k) + 1);
    }
  }
  ASSERT_GE(kills, 20);
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, run, {"--resume", "auto"}), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  std::printf("%d kills (%d during a checkpoint write), %d runs finished before their kill\n", kills, mid_write,
              finished);
  RecordProperty("kills", kills);
  RecordProperty("kills_during_checkpoint_writes", mid_write);
  EXPECT_GT(mid_write, 0) << "no kill landed in a checkpoint write";

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
