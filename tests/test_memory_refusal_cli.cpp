// The CPU backend refuses up front, with exit 70 and the bytes needed and
// available, a run its job's memory cannot hold (kernels::require_memory
// with the host's room, kernels/cpu/host_memory.hpp), instead of being
// killed half-way: `rank` and `simulate` under an address-space limit
// (ulimit -v) that leaves room for the process as it starts (measured by a
// dry run: the CUDA build maps far more) and its graph, and half of what
// the run's estimate needs beside them, with no results or metrics left
// behind.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_runner.hpp"

using namespace trustprop::testing::cli;

TEST(CpuMemoryRefusal, RankRefusesAGraphItsJobCannotHold) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string()), out = (dir.path() / "t.h5").string();
  ASSERT_EQ(run("generate city --agents 200000 -o " + graph, dir.path()).rc, 0);
  // One thread: each thread's stack counts against the limit.
  const std::string rank = " --device cpu --threads 1 rank " + graph;
  const auto room = dry_run_room(dir.path(), [&](const std::string& start) { return start + rank + " --dry-run"; });
  if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
  const double need = room->plan["memory_bytes_estimate"].get<double>();
  const RunResult r =
      run(under_ulimit(dir.path(), room->limit_kib(need / 2)) + rank + " -o " + shell_quoted(out), dir.path(), false);
  EXPECT_EQ(r.rc, 70) << r.err;
  EXPECT_NE(r.err.find("EigenTrust on the graph of 200000 agents"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of memory beside the graph, cpu has"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  // With the room it asks for, the same run goes through.
  EXPECT_EQ(run(under_ulimit(dir.path(), room->limit_kib(need + (64 << 20))) + rank + " -o " + shell_quoted(out),
                dir.path(), false)
                .rc,
            0);
}

TEST(CpuMemoryRefusal, SimulateRefusesACityItsJobCannotHold) {
  TempDir dir;
  const fs::path config = dir.path() / "c.toml", runs = dir.path() / "run";
  std::ofstream(config) << "[run]\nepochs = 2\n[graph]\nagents = 100000\n";
  const std::string simulate =
      " --device cpu --threads 1 simulate " + shell_quoted(config.string()) + " --run-dir " + shell_quoted(runs.string());
  const auto room =
      dry_run_room(dir.path(), [&](const std::string& start) { return start + simulate + " --dry-run"; });
  if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
  const double need = room->plan["memory_bytes_estimate"].get<double>();
  const double graph = static_cast<double>(
      trustprop::io::graph_bytes(room->plan["agents"].get<std::int64_t>(), room->plan["edges"].get<std::int64_t>()));
  // Room for the graph and half the state; then for half the graph alone,
  // which the generator used to run out of ("out of host memory", no
  // bytes): both refused before the city is generated.
  for (const double beside : {need / 2, -graph / 2}) {
    SCOPED_TRACE(beside);
    const RunResult r = run(under_ulimit(dir.path(), room->limit_kib(beside)) + simulate, dir.path(), false);
    EXPECT_EQ(r.rc, 70) << r.err;
    EXPECT_NE(r.err.find("simulating generated city"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("agents, about 4"), std::string::npos) << r.err;  // ~4.7M ties, estimated
    EXPECT_NE(r.err.find("of memory, its graph included, cpu has"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("out of host memory"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(runs / "metrics.jsonl"));
    EXPECT_TRUE(!fs::exists(runs / "checkpoints") || fs::is_empty(runs / "checkpoints"));
  }
  // With the room it asks for, and a graph's worth more for the
  // generator's scratch (sorting the rows), the same run goes through.
  const RunResult fits =
      run(under_ulimit(dir.path(), room->limit_kib(need + graph + (64 << 20))) + simulate, dir.path(), false);
  EXPECT_EQ(fits.rc, 0) << fits.err;
}

// The other models of `rank`, each with its own estimate (host/<model>.hpp):
// under a limit that leaves beside the graph half of what the estimate asks
// before its margin (5% and 64 MiB), so that the run cannot fit, refused
// with exit 70, the model named, and no results; with what it asks, the
// same run goes through.
TEST(CpuMemoryRefusal, EveryRankModelRefusesAGraphItsJobCannotHold) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string()), out = (dir.path() / "t.h5").string();
  ASSERT_EQ(run("generate city --agents 100000 -o " + graph, dir.path()).rc, 0);
  std::string sources;  // 64 signed-trust sources spread over the city
  for (int s = 0; s < 64; ++s) sources += (s > 0 ? "," : "") + std::to_string(s * 1500);
  const struct {
    std::string args, what;
  } cases[] = {
      {"--model fairness-goodness", "fairness-goodness on "},
      {"--model sybilrank --steps 5", "SybilRank on "},
      {"--model signed --mode trust-only --steps 2 --sources " + sources, "signed trust for 64 sources on "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const std::string rank = " --device cpu --threads 1 rank " + graph + " " + c.args;
    const auto room = dry_run_room(dir.path(), [&](const std::string& start) { return start + rank + " --dry-run"; });
    if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
    const double need = room->plan["memory_bytes_estimate"].get<double>(), terms = (need - (64 << 20)) / 1.05;
    const RunResult r =
        run(under_ulimit(dir.path(), room->limit_kib(terms / 2)) + rank + " -o " + shell_quoted(out), dir.path(), false);
    EXPECT_EQ(r.rc, 70) << r.err;
    EXPECT_NE(r.err.find(c.what), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("of memory beside the graph, cpu has"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    const RunResult ok = run(under_ulimit(dir.path(), room->limit_kib(need + (64 << 20))) + rank + " -o " +
                                 shell_quoted(out),
                             dir.path(), false);
    EXPECT_EQ(ok.rc, 0) << ok.err;
    fs::remove(out);
  }
}

// Personalized trust sizes its rounds by the room it has (docs/personalized.md):
// where its seed sets do not fit at once, it runs them in rounds and ends
// with exit 0. The rounds used to be sized before the results file was
// opened, and the first round's check then found a set or two less room
// (exit 70, "at most 42 seed sets fit" after planning rounds of 43).
TEST(CpuMemoryRefusal, PersonalizedRunsInRoundsWhereItsSetsDoNotFitAtOnce) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string()), out = (dir.path() / "t.h5").string();
  ASSERT_EQ(run("generate city --agents 20000 --seed 42 -o " + graph, dir.path()).rc, 0);
  std::string seeds;  // 200 seed sets of one agent each
  for (int s = 0; s < 200; ++s) seeds += (s > 0 ? "," : "") + std::to_string(s * 100);
  const std::string rank = " --device cpu --threads 1 rank " + graph + " --model personalized --top 1 --seeds " + seeds;
  const auto room = dry_run_room(dir.path(), [&](const std::string& start) { return start + rank + " --dry-run"; });
  if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
  ASSERT_EQ(room->plan["rounds"], 1);
  const double need = room->plan["memory_bytes_estimate"].get<double>(), sets = 16.0 * 20000 * 200;
  for (const double fraction : {0.25, 0.5, 0.75}) {
    SCOPED_TRACE(fraction);
    const RunResult r = run(under_ulimit(dir.path(), room->limit_kib(need - (1 - fraction) * sets)) + rank + " -o " +
                                shell_quoted(out),
                            dir.path(), false);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.err.find("200 seed sets in "), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(out));
    fs::remove(out);
  }
}
