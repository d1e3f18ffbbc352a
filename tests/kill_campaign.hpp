// The kill -9 campaign of the checkpoint tests (test_checkpoint_kill.cpp for
// simulate, test_rank_checkpoint_kill.cpp for rank): a run is started again
// and again and killed at seeded moments — during its setup, as soon as a
// checkpoint is being written, or after it made progress at a random
// instant of its work/checkpoint cycle — so that it creeps forward and kills
// land in every phase. It goes on until `kills` kills have landed and at
// least one of them in a checkpoint write (on a loaded machine the random
// instants alone may miss the short writes). After each attempt every
// checkpoint at its final name must verify, and `check` looks at the rest.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "checkpoint_test_support.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::testing::ckpt {

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct KillPlan {
  std::uint64_t seed = 1;
  int kills = 20;
  double setup_window = 0.2;  // seconds: a kill during setup comes within this of the start
  double cycle = 0.01;        // seconds: one unit of work and its checkpoint, roughly
  fs::path checkpoints;       // the run's checkpoints directory
  fs::path scratch;           // where the children's stderr goes (child_stderr)
};

struct KillTally {
  int kills = 0, mid_write = 0, finished = 0;
};

// spawn(): starts a run, returns its pid. progress(): how far the run
// directory is (checkpoints, metric lines). check(tally): after each attempt.
template <class Spawn, class Progress, class Check>
KillTally kill_at_random(const KillPlan& plan, Spawn spawn, Progress progress, Check check) {
  std::mt19937_64 rng(plan.seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  KillTally tally;
  for (int attempt = 0; (tally.kills < plan.kills || tally.mid_write == 0) && attempt < 200; ++attempt) {
    const auto base = progress();
    const pid_t pid = spawn();
    bool ended = false;  // by itself, with exit code rc
    int rc = 0;
    const auto alive = [&] { return !ended && !(ended = !running(pid, rc)); };
    const double phase = uniform(rng);
    if (phase < 0.2) {
      std::this_thread::sleep_for(std::chrono::duration<double>(plan.setup_window * uniform(rng)));
    } else if (phase < 0.35) {
      while (alive() && !has_temporary(plan.checkpoints)) std::this_thread::yield();
    } else {
      while (alive() && progress() <= base) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::duration<double>(1.5 * plan.cycle * uniform(rng)));
    }
    if (alive()) {
      kill(pid, SIGKILL);
      rc = wait_for(pid);
      EXPECT_TRUE(rc == -SIGKILL || rc == 0) << rc << ": " << child_stderr(plan.scratch);
      (rc == 0 ? tally.finished : tally.kills) += 1;  // 0: it finished just before the kill
    } else {
      EXPECT_EQ(rc, 0) << child_stderr(plan.scratch);  // collected by running()
      ++tally.finished;
    }
    // What a kill may leave: temporaries, never a damaged checkpoint.
    std::error_code none;  // a run killed early may not have made the directory
    for (const auto& e : fs::directory_iterator(plan.checkpoints, none)) {
      const std::string name = e.path().filename();
      if (name.find(".tmp-") != std::string::npos) {
        ++tally.mid_write;
        continue;
      }
      EXPECT_NO_THROW(io::CheckpointReader(e.path().string()).verify()) << name;
    }
    check(tally);
    if (::testing::Test::HasFatalFailure()) break;
  }
  return tally;
}

// Prints and records the tally; a campaign that fell short of its kills or
// never hit a checkpoint write fails the test.
inline void report(const KillTally& t, const KillPlan& plan) {
  std::printf("%d kills (%d during a checkpoint write), %d runs finished before their kill\n", t.kills, t.mid_write,
              t.finished);
  std::fflush(stdout);  // before the next child is forked with a copy of the buffer
  ::testing::Test::RecordProperty("kills", t.kills);
  ::testing::Test::RecordProperty("kills_during_checkpoint_writes", t.mid_write);
  EXPECT_GE(t.kills, plan.kills);
  EXPECT_GT(t.mid_write, 0) << "no kill landed in a checkpoint write";
}

}  // namespace trustprop::testing::ckpt
