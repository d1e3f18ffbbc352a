// The CPU backend refuses up front, with exit 70 and the bytes needed and
// available, a run its job's memory cannot hold (kernels::require_memory
// with the host's room, kernels/cpu/host_memory.hpp), instead of being
// killed half-way: `rank` and `simulate` under an address-space limit
// (ulimit -v) that lets them start and read their graph but not run, with
// no results or metrics left behind.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli_runner.hpp"

using namespace trustprop::testing::cli;

TEST(CpuMemoryRefusal, RankRefusesAGraphItsJobCannotHold) {
  TempDir dir;
  const std::string graph = shell_quoted((dir.path() / "g.h5").string()), out = (dir.path() / "t.h5").string();
  ASSERT_EQ(run("generate city --agents 200000 -o " + graph, dir.path()).rc, 0);
  // 215 MiB of address space: the process (one thread: each thread's stack
  // counts against the limit) and the 9.5M-tie graph take about 120, and
  // EigenTrust's estimate beside the graph is 175.
  const RunResult r = run(under_ulimit(dir.path(), 220000) + " --device cpu --threads 1 rank " + graph + " -o " + shell_quoted(out),
                          dir.path(), false);
  EXPECT_EQ(r.rc, 70) << r.err;
  EXPECT_NE(r.err.find("EigenTrust on the graph of 200000 agents"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of memory beside the graph, cpu has"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  // With room, the same run goes through.
  EXPECT_EQ(run("--device cpu rank " + graph + " -o " + shell_quoted(out), dir.path()).rc, 0);
}

TEST(CpuMemoryRefusal, SimulateRefusesACityItsJobCannotHold) {
  TempDir dir;
  const fs::path config = dir.path() / "c.toml", runs = dir.path() / "run";
  std::ofstream(config) << "[run]\nepochs = 2\n[graph]\nagents = 100000\n";
  // 293 MiB of address space: the process and the 4.8M-tie city take about
  // 210, and the simulation's estimate beside the city is 321. (One thread:
  // each thread's stack counts against the limit.)
  const RunResult r = run(under_ulimit(dir.path(), 300000) + " --device cpu --threads 1 simulate " +
                              shell_quoted(config.string()) + " --run-dir " + shell_quoted(runs.string()),
                          dir.path(), false);
  EXPECT_EQ(r.rc, 70) << r.err;
  EXPECT_NE(r.err.find("The simulation of generated city"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("of memory beside the graph, cpu has"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(runs / "metrics.jsonl"));
  EXPECT_TRUE(!fs::exists(runs / "checkpoints") || fs::is_empty(runs / "checkpoints"));
}
