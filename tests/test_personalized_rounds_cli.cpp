// `rank --model personalized` with more seed sets than memory holds: under
// an address-space limit (ulimit -v, as a job scheduler sets it) that leaves
// room for about 20 of 60 seed sets, the run goes through in rounds (as its
// dry run plans) and writes the same results file datasets, bit for bit, as
// the run without the limit; --seed-batch sets the
// rounds by hand, and is refused where checkpoints or MPI need one batch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mpi_runner.hpp"

using namespace trustprop::testing::cli;

namespace {

// Every dataset of the two results files, bit for bit (the attributes,
// with the seconds and the round size, may differ).
void expect_same_results(const std::string& a, const std::string& b) {
  const auto x = datasets(a);
  EXPECT_TRUE(x.count("trust/personalized/trust"));
  EXPECT_TRUE(x.count("trust/personalized/top_agent"));
  EXPECT_EQ(x, datasets(b));
}


}  // namespace

TEST(PersonalizedRoundsCli, SeedSetsPastMemoryRunInRoundsWithTheSameResults) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string());
  const std::string whole = (dir.path() / "whole.h5").string(), rounds = (dir.path() / "rounds.h5").string();
  // Many agents and few ties: 2 MiB per seed set against Cᵀ's 2.5 MiB.
  ASSERT_EQ(run("generate rmat --scale 17 --edge-factor 2 -o " + graph, dir.path()).rc, 0);
  const std::string rank = " --device cpu --threads 1 rank " + graph +
                           " --model personalized --full --top-per-seed 20 --seeds " + id_list(60, 2000);
  ASSERT_EQ(run(rank + " -o " + shell_quoted(whole), dir.path()).rc, 0);

  // The room 15 seed sets ask for by their dry run, and 16 MiB: the dry run
  // plans rounds of about 22 seed sets; the run, which maps more than its
  // dry run beside the estimate (results file, HDF5's caches: about 10 MiB
  // here), rounds of about 18.
  const auto room = dry_run_room(dir.path(), [&](const std::string& start) {
    return start + rank + " --seed-batch 15 --dry-run";
  });
  if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
  ASSERT_EQ(room->plan["rounds"], 4);
  const double fifteen = room->plan["memory_bytes_estimate"].get<double>();
  const std::string limited = under_ulimit(dir.path(), room->limit_kib(fifteen + (16 << 20)));

  const RunResult plan = run(limited + rank + " --dry-run", dir.path(), false);
  ASSERT_EQ(plan.rc, 0) << plan.err;
  const auto p = nlohmann::json::parse(plan.out);
  EXPECT_TRUE(p["fits"].get<bool>());
  EXPECT_GE(p["rounds"].get<int>(), 2);
  EXPECT_LE(p["rounds"].get<int>(), 4);

  const RunResult r = run(limited + rank + " --json -o " + shell_quoted(rounds), dir.path(), false);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const int per_round = j["seed_sets_per_round"], count = j["rounds"];
  EXPECT_GE(count, 2);
  EXPECT_LE(count, 6);
  EXPECT_EQ(count, (60 + per_round - 1) / per_round);
  EXPECT_NE(r.err.find("60 seed sets in " + std::to_string(count) + " rounds of " + std::to_string(per_round)),
            std::string::npos)
      << r.err;
  expect_same_results(whole, rounds);

  // Without rounds, the same limit refuses all 60 at once.
  const RunResult one = run(limited + rank + " --seed-batch 60 -o " + shell_quoted(rounds + ".2"), dir.path(), false);
  EXPECT_EQ(one.rc, 70) << one.err;
  EXPECT_NE(one.err.find("personalized trust for 60 seed sets"), std::string::npos) << one.err;
  EXPECT_FALSE(fs::exists(rounds + ".2"));
}

TEST(PersonalizedRoundsCli, SeedBatchSetsTheRoundsByHand) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string());
  const std::string whole = (dir.path() / "whole.h5").string(), rounds = (dir.path() / "rounds.h5").string();
  ASSERT_EQ(run("generate city --agents 20000 -o " + graph, dir.path()).rc, 0);
  const std::string rank = " --device cpu rank " + graph + " --model personalized --full --top-per-seed 20";  // 20 institutions
  const std::string unwritten = shell_quoted((dir.path() / "x.h5").string());
  ASSERT_EQ(run(rank + " -o " + shell_quoted(whole), dir.path()).rc, 0);
  const RunResult r = run(rank + " --seed-batch 7 -o " + shell_quoted(rounds), dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("20 seeds, in 3 rounds of 7"), std::string::npos) << r.out;
  expect_same_results(whole, rounds);

  // Checkpoints hold one batch of every seed set.
  const RunResult ckpt =
      run(rank + " --seed-batch 7 --run-dir " + shell_quoted((dir.path() / "d").string()) + " -o " + unwritten, dir.path());
  EXPECT_EQ(ckpt.rc, 64) << ckpt.err;
  EXPECT_NE(ckpt.err.find("--seed-batch 7 with --run-dir"), std::string::npos) << ckpt.err;
  EXPECT_EQ(run(rank + " --seed-batch 0 -o " + unwritten, dir.path()).rc, 64);
  EXPECT_FALSE(fs::exists(dir.path() / "x.h5"));
}
