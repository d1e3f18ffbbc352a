// kill -9 of `trustprop rank --model eigentrust --run-dir D` at seeded
// random moments (docs/checkpoint.md): a run is killed at least 20 times
// (during setup, iterations, checkpoint writes: it asserts that at least
// one kill left a half-written checkpoint behind) and resumed with
// --resume auto each time. After every kill each checkpoint at its final
// name must verify and the results file must not exist half-written; at the
// end the trust vector and the residual history must equal an
// uninterrupted run's byte for byte, and the unfinished results files of
// the killed runs must be gone.
#include <gtest/gtest.h>

#include <random>

#include "io/checkpoint_file.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The iteration of the newest checkpoint at its final name, or 0.
std::int64_t newest_checkpoint(const fs::path& run) {
  std::int64_t newest = 0;
  for (const std::string& name : rank_ckpt::checkpoint_names(run))
    if (name.find(".tmp-") == std::string::npos) newest = std::max<std::int64_t>(newest, std::stoll(name.substr(6)));
  return newest;
}

TEST(RankCheckpointKill, KilledTwentyTimesAtRandomTheResultIsBitwiseTheSame) {
  cli::TempDir dir;
  const fs::path graph = rank_ckpt::write_graph(dir.path());
  const fs::path reference = dir.path() / "reference.h5", out = dir.path() / "out.h5", run = dir.path() / "run";
  const std::vector<std::string> checkpointing{"--checkpoint-every", "2"};

  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, reference, dir.path() / "reference-run", checkpointing),
                            dir.path()),
            0)
      << ckpt::child_stderr(dir.path());
  const double whole_run = seconds_since(t0);

  const double cycle = whole_run / 211;  // two iterations and a checkpoint, roughly (422 iterations)

  // Each run is killed during its setup, as soon as a checkpoint is being written, or after its next
  // checkpoint at a random instant of the iteration / checkpoint cycle, so that the run creeps forward and
  // kills land in every phase; it goes on until at least one kill has landed in a write (on a loaded
  // machine the random instants alone may miss the short writes).
  std::mt19937_64 rng(20261201);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int kills = 0, mid_write = 0, finished = 0;
  for (int attempt = 0; (kills < 20 || mid_write == 0) && attempt < 200; ++attempt) {
    const std::int64_t base = newest_checkpoint(run);
    const pid_t pid = ckpt::spawn(rank_ckpt::rank_args(graph, out, run, checkpointing), dir.path());
    int rc = 0;
    bool ended = false;
    const auto alive = [&] { return !ended && !(ended = !ckpt::running(pid, rc)); };
    const double phase = uniform(rng);
    if (phase < 0.2) {
      std::this_thread::sleep_for(std::chrono::duration<double>(0.2 * uniform(rng)));
    } else if (phase < 0.35) {
      while (alive() && !ckpt::has_temporary(run / "checkpoints")) std::this_thread::yield();
    } else {
      while (alive() && newest_checkpoint(run) <= base) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::duration<double>(1.5 * cycle * uniform(rng)));
    }
    if (alive()) {
      kill(pid, SIGKILL);
      rc = ckpt::wait_for(pid);
      ASSERT_TRUE(rc == -SIGKILL || rc == 0) << rc << ": " << ckpt::child_stderr(dir.path());
      (rc == 0 ? finished : kills) += 1;  // 0: it finished just before the kill
    } else {
      ASSERT_EQ(rc, 0) << ckpt::child_stderr(dir.path());
      ++finished;
    }
    if (finished == 0) EXPECT_FALSE(fs::exists(out)) << "a killed run left results";
    for (const std::string& name : rank_ckpt::checkpoint_names(run)) {
      if (name.find(".tmp-") != std::string::npos) {
        ++mid_write;
        continue;
      }
      EXPECT_NO_THROW(io::CheckpointReader((run / "checkpoints" / name).string()).verify()) << name;
    }
  }
  ASSERT_GE(kills, 20);
  ASSERT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, out, run, checkpointing), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  std::printf("%d kills (%d during a checkpoint write), %d runs finished before their kill\n", kills, mid_write,
              finished);
  RecordProperty("kills", kills);
  RecordProperty("kills_during_checkpoint_writes", mid_write);
  EXPECT_GT(mid_write, 0) << "no kill landed in a checkpoint write";
  rank_ckpt::expect_same_results(out, reference);
  for (const std::string& name : rank_ckpt::checkpoint_names(run))
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;  // the last run cleaned up,
  for (const auto& e : fs::directory_iterator(dir.path()))     // the unfinished results files too
    EXPECT_EQ(e.path().filename().string().find("out.h5.tmp-"), std::string::npos) << e.path();
}

}  // namespace
