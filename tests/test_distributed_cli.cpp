// `mpiexec -n R trustprop rank` against one process (DESIGN §7): the
// EigenTrust vector has the same bits for R = 1, 2 and 3 on a signed real
// network, an unweighted one (value-free Cᵀ) and a generated city, and so
// does every dataset of a personalized run split by seed sets; refusals and
// bad input end every process with one message and the right exit code, and
// leave no output behind. Skipped, with the reason, in a build without MPI
// or where no mpiexec is found.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli_runner.hpp"
#include "mpi_runner.hpp"
#include "rank_checkpoint_test_support.hpp"
#include "io/graph_file.hpp"
#include "io/h5.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using namespace trustprop::testing::cli;

namespace {

class DistributedRank : public MpiTest {
 protected:
  // The 50,000-agent city g.h5 of the tests of large results, and the file
  // `ids_name` listing `count` of its agent ids `stride` apart, one per line.
  void large_city_and_ids(const std::string& ids_name, int count, int stride) {
    ASSERT_EQ(run("generate city --agents 50000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
    std::ofstream ids(path(ids_name));
    for (int k = 0; k < count; ++k) ids << k * stride << "\n";
  }

  // Runs `args` ("rank GRAPH ... --json -o") as one process of 2 threads,
  // then under mpiexec -n 2 and 3: each distributed run prints one summary
  // (process 0's) with the number of processes and one process's
  // iterations, and writes the same datasets, those named in `same` (all of
  // them when empty) with one process's bytes. `summaries`, when given,
  // checks more of the two summaries.
  void expect_as_one_process(
      const std::string& args, const std::vector<std::string>& same = {},
      const std::function<void(const nlohmann::json& one, const nlohmann::json& many)>& summaries = {}) {
    const RunResult one = run("--threads 2 " + args + shell_quoted(path("one.h5")), dir.path());
    ASSERT_EQ(one.rc, 0) << one.err;
    const auto expected = datasets(path("one.h5"));
    const nlohmann::json j1 = nlohmann::json::parse(one.out);
    for (const int processes : {2, 3}) {
      SCOPED_TRACE(std::to_string(processes) + " processes");
      const std::string out = path("p" + std::to_string(processes) + ".h5");
      const RunResult r = run(mpiexec(processes) + args + shell_quoted(out), dir.path(), false);
      ASSERT_EQ(r.rc, 0) << r.err;
      const nlohmann::json j = nlohmann::json::parse(r.out);  // one document: only process 0 prints
      EXPECT_EQ(j["processes"], processes);
      EXPECT_EQ(j.value("iterations", -1), j1.value("iterations", -1));  // signed has none
      if (summaries) summaries(j1, j);
      const auto got = datasets(out);
      ASSERT_EQ(got.size(), expected.size());
      for (const auto& [name, bytes] : expected)
        if (same.empty() || std::find(same.begin(), same.end(), name) != same.end())
          EXPECT_EQ(got.at(name), bytes) << name << " differs from one process's";
      EXPECT_NE(io::h5::File::open_read(out).read_attr_string("/", "device").value_or("").find(
                    std::to_string(processes) + " MPI processes"),
                std::string::npos);
    }
  }

  // The launch of one more MPI application (after ":") whose processes may
  // map at most `kib` KiB (ulimit -v, as a job scheduler sets it).
  std::string limited(std::int64_t kib) { return "-n 1 " + under_ulimit(dir.path(), kib) + " --threads 1 "; }

  // What process 0 of `processes` running `args` maps at the start, and the
  // plan of `args --dry-run` (dry_run_room).
  std::optional<DryRunRoom> process0_room(int processes, const std::string& args) {
    return dry_run_room(dir.path(), [&](const std::string& start) {
      return mpiexec_launch() + "-n 1 " + start + " --threads 1 " + args + " --dry-run : -n " +
             std::to_string(processes - 1) + " " + kBinary + " --threads 1 " + args + " --dry-run";
    });
  }

  // `args` ("rank GRAPH ... -o out.h5") on three processes, the third (which
  // maps as process 0 does) under an address-space limit (a job scheduler's
  // ulimit) that leaves it half of what its share needs (the plan's
  // estimate): it refuses before allocating, and every process ends with
  // exit 70 and one message, the third's, holding `message`; no output.
  void expect_third_process_refuses(const std::string& args, const std::string& message) {
    const auto room = process0_room(3, args);
    if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
    const double need = room->plan["partition"][2]["memory_bytes_estimate"].get<double>();
    const RunResult r = run(mpiexec(2) + args + " : " + limited(room->limit_kib(need / 2)) + args, dir.path(), false);
    EXPECT_EQ(r.rc, 70) << r.err;
    EXPECT_EQ(count(r.err, "of memory beside the graph"), 1u) << r.err;
    EXPECT_EQ(count(r.err, message), 1u) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));
  }

  // `args` ("rank GRAPH ... -o out.h5", a batch model whose whole result has
  // `cells` float64 entries) on two processes, process 0 left room for its
  // own share (the plan's estimate) and half of the result it would gather:
  // it refuses before iterating, and every process ends with exit 70 and
  // one message, process 0's, holding `message`; no output.
  void expect_process0_cannot_gather(const std::string& args, double cells, const std::string& message) {
    const auto room = process0_room(2, args);
    if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
    const double own = room->plan["partition"][0]["memory_bytes_estimate"].get<double>();
    const RunResult r = run(mpiexec_launch() + limited(room->limit_kib(own + 8.0 * cells / 2)) + args + " : -n 1 " +
                                kBinary + " --threads 1 " + args,
                            dir.path(), false);
    EXPECT_EQ(r.rc, 70) << r.err;
    EXPECT_EQ(count(r.err, "of host memory (the results of "), 1u) << r.err;
    EXPECT_EQ(count(r.err, message), 1u) << r.err;
    EXPECT_NE(r.err.find("trustprop[0]: error"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(path("out.h5")));
  }

  // `args` ("rank GRAPH ... -o ", a batch model whose whole result has
  // `cells` float64 entries) on `processes` processes, process 0 left room
  // for its own run and half the result: it holds a share or a batch at a
  // time, so the run goes through, with every dataset as one process's.
  void expect_process0_streams(int processes, const std::string& args, double cells) {
    const auto room = process0_room(processes, args + shell_quoted(path("out.h5")));
    if (!room) GTEST_SKIP() << "under 6 GiB free: what trustprop maps at the start cannot be measured";
    const double own = room->plan["partition"][0]["memory_bytes_estimate"].get<double>();
    const RunResult r = run(mpiexec_launch() + limited(room->limit_kib(own + 8.0 * cells / 2)) + args +
                                shell_quoted(path("out.h5")) + " : -n " + std::to_string(processes - 1) + " " +
                                kBinary + " --threads 1 " + args + shell_quoted(path("out.h5")),
                            dir.path(), false);
    ASSERT_EQ(r.rc, 0) << r.err;
    ASSERT_EQ(run(args + shell_quoted(path("one.h5")), dir.path()).rc, 0);
    EXPECT_EQ(datasets(path("out.h5")), datasets(path("one.h5")));
  }

  // `processes` processes rank a 5000-agent city with `model` options and
  // --max-walltime 1s, never converging: all exit 75 after one message,
  // write no results, and leave a valid checkpoint of `kind`.
  void expect_stop_with_checkpoint(int processes, const std::string& model, const std::string& kind) {
    ASSERT_EQ(run("generate city --agents 5000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
    const RunResult r = run(mpiexec(processes) + "rank " + shell_quoted(path("g.h5")) + " " + model + "--run-dir " +
                                shell_quoted(path("run")) + " --tolerance 0 --max-iterations 100000000 --max-walltime 1s -o " +
                                shell_quoted(path("out.h5")), dir.path(), false);
    EXPECT_EQ(r.rc, 75) << r.err;
    EXPECT_EQ(count(r.err, "stopped after iteration"), 1u) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));
    const RunResult verify = run("checkpoint verify " + shell_quoted(path("run")), dir.path());
    EXPECT_EQ(verify.rc, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find(kind), std::string::npos) << verify.out;
  }
};

struct Case {
  const char* name;
  const char* make;  // trustprop arguments writing the graph to %s (%d: the test data)
  const char* rank;  // extra rank options
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class SameBits : public DistributedRank, public ::testing::WithParamInterface<Case> {};

}  // namespace

TEST_P(SameBits, TrustIsTheSameForOneTwoAndThreeProcesses) {
  const Case& c = GetParam();
  std::string make = c.make;
  make.replace(make.find("%s"), 2, path("graph.h5"));
  if (const auto at = make.find("%d"); at != std::string::npos) make.replace(at, 2, kData);
  ASSERT_EQ(run(make, dir.path()).rc, 0) << make;
  expect_as_one_process("rank " + shell_quoted(path("graph.h5")) + " --tolerance 1e-10 --json " + c.rank + " -o ",
                        {"trust/eigentrust"},
                        [](const nlohmann::json&, const nlohmann::json& j) { EXPECT_TRUE(j["converged"].get<bool>()); });
}

INSTANTIATE_TEST_SUITE_P(
    Graphs, SameBits,
    ::testing::Values(
        // Signed weights (Cᵀ with values; agents with only distrust are dangling).
        Case{"bitcoin_otc", "import %d/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o %s", "--pretrust all"},
        // Unweighted: a value-free Cᵀ, and a float64 gather from the start.
        Case{"wiki_vote", "import %d/real/wiki-vote/wiki-Vote.txt -o %s", "--gather-precision float64"},
        // A city: institutions pre-trusted, rows of every length.
        Case{"city", "generate city --agents 20000 --seed 7 -o %s", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(DistributedRank, CheckpointsOnlyWhereTheyAreWrittenRefusedOnce) {
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  // SybilRank writes none, with one process or several.
  const std::string rank = "rank " + shell_quoted(path("g.h5")) + " --run-dir " + shell_quoted(path("run")) +
                           " -o " + shell_quoted(path("out.h5"));
  for (const std::string model : {"sybilrank", "signed"})
    expect_fails_once(2, rank + " --model " + model, 64,
                      "checkpoints are written for --model eigentrust, personalized and fairness-goodness only",
                      "out.h5");
}

TEST_F(DistributedRank, PersonalizedRoundsAreRefusedOnce) {
  // Each process runs its share of the seed sets in one batch.
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  expect_fails_once(2,
                    "rank " + shell_quoted(path("g.h5")) + " --model personalized --seed-batch 1 -o " +
                        shell_quoted(path("out.h5")),
                    64, "under MPI each process runs its share of the seed sets in one batch", "out.h5");
}

TEST_F(DistributedRank, OtherCommandsAreRefusedOnce) {
  // Each process would run the whole command on the same files.
  expect_fails_once(2, "generate city --agents 2000 -o " + shell_quoted(path("g.h5")), 64,
                    "trustprop generate runs as one process", "g.h5");
}

TEST_F(DistributedRank, AnOptionValueOutOfRangeIsRefusedOnce) {
  // Every process parses the command line; process 0 alone tells.
  expect_fails_once(2, "rank " + shell_quoted(path("none.h5")) + " --tolerance nan -o " + shell_quoted(path("out.h5")),
                    64, "trustprop: error: --tolerance: must be a finite number >= 0 (got nan)", "out.h5");
}

TEST_F(DistributedRank, ABadRowInOneProcesssShareEndsEveryProcess) {
  // A NaN weight in the last row: process 1 reads it, process 0 does not.
  io::Graph g = trustprop::testing::graph_from_edges(
      400, [] {
        std::vector<std::tuple<int, int, float>> e;
        for (int i = 0; i < 400; ++i) e.emplace_back(i, (i + 1) % 400, 1.0f);
        return e;
      }());
  g.data.back() = std::numeric_limits<float>::quiet_NaN();
  io::write_graph(path("bad.h5"), g);
  const RunResult r = run(mpiexec(2) + "rank " + shell_quoted(path("bad.h5")) + " -o " + shell_quoted(path("out.h5")),
                          dir.path(), false);
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_EQ(count(r.err, "dataset /graph/data: entry 399 (row 399, column 0) is NaN"), 1u) << r.err;
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"bad.h5"}));  // no results file, whole or partial
}

TEST_F(DistributedRank, AnUnwritableOutputEndsEveryProcess) {
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  const RunResult r = run(mpiexec(2) + "rank " + shell_quoted(path("g.h5")) + " -o " +
                              shell_quoted(path("missing/out.h5")), dir.path(), false);
  EXPECT_EQ(r.rc, 74) << r.err;
  EXPECT_EQ(count(r.err, "does not exist"), 1u) << r.err;
}

TEST_F(DistributedRank, DryRunPrintsEachProcesssShareOnce) {
  ASSERT_EQ(run("generate city --agents 5000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  const RunResult r = run(mpiexec(3) + "rank " + shell_quoted(path("g.h5")) + " --dry-run", dir.path(), false);
  ASSERT_EQ(r.rc, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["processes"], 3);
  EXPECT_EQ(plan["distributed"], "rows");
  const nlohmann::json& parts = plan["partition"];
  ASSERT_EQ(parts.size(), 3u);
  std::int64_t next_row = 0, edges = 0;
  for (const auto& p : parts) {
    EXPECT_EQ(p["rows"][0].get<std::int64_t>(), next_row);
    next_row = p["rows"][1];
    edges += p["edges"].get<std::int64_t>();
    EXPECT_GT(p["memory_bytes_estimate"].get<std::int64_t>(), 0);
  }
  EXPECT_EQ(next_row, 5000);
  EXPECT_EQ(edges, plan["edges"].get<std::int64_t>());
}


TEST_F(DistributedRank, PersonalizedTrustIsTheSameForOneTwoAndThreeProcesses) {
  // Bitcoin OTC (signed, dangling agents) with five seed sets of 1 to 4
  // agents, the whole block and the top tables; then two seed sets, so that
  // with three processes one has none.
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  std::ofstream(path("five.txt")) << "1 2 3\n7\n# a comment\n13, 35, 4, 6\n1810\n905 1\n";
  std::ofstream(path("two.txt")) << "1 2 3\n7\n";
  for (const std::string seeds : {"five.txt", "two.txt"}) {
    SCOPED_TRACE(seeds);
    // Every dataset: the seed sets, the block, the top tables, the convergence record, the agents' ids.
    expect_as_one_process("rank " + shell_quoted(path("otc.h5")) + " --model personalized --seeds-file " +
                              shell_quoted(path(seeds)) + " --full --top-per-seed 20 --tolerance 1e-10 --json -o ",
                          {}, [](const nlohmann::json& one, const nlohmann::json& j) {
                            EXPECT_EQ(j["columns"], one["columns"]);
                            EXPECT_TRUE(j["converged"].get<bool>());
                          });
  }
}

TEST_F(DistributedRank, SignedTrustIsTheSameForOneTwoAndThreeProcesses) {
  // Bitcoin OTC, seven sources in batches of two: each process's batches
  // hold other sources than one process's do.
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  // Every dataset: the belief block, the sources, the agents' ids.
  expect_as_one_process("rank " + shell_quoted(path("otc.h5")) +
                        " --model signed --sources 1,2,3,7,13,35,905 --source-batch 2 --steps 6 "
                        "--iteration weighted --json -o ");
  // Fewer sources than processes: process 0 of three has none of its own.
  expect_as_one_process("rank " + shell_quoted(path("otc.h5")) + " --model signed --sources 905,1 --steps 3 --top-per-source 3 --full --json -o ");
  // A distrust mode on a graph without distrust: exit 65, said once, no output.
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("city.h5")), dir.path()).rc, 0);
  expect_fails_once(2,
                    "rank " + shell_quoted(path("city.h5")) + " --model signed --sources 1,2,3 -o " +
                        shell_quoted(path("bad.h5")),
                    65, "needs distrust ties", "bad.h5");
}

TEST_F(DistributedRank, SybilRankIsTheSameForOneTwoAndThreeProcesses) {
  // Bitcoin OTC (distrust ties are no links; agents without any get a
  // self-loop) from five seeds, and a city from its institutions.
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  ASSERT_EQ(run("generate city --agents 20000 --seed 9 -o " + shell_quoted(path("city.h5")), dir.path()).rc, 0);
  for (const auto& [graph, seeds] : {std::pair{"otc.h5", " --seeds 1,7,35,905,1810"}, std::pair{"city.h5", ""}}) {
    SCOPED_TRACE(graph);
    // The scores; the residuals are added over the processes in another grouping.
    expect_as_one_process("rank " + shell_quoted(path(graph)) + seeds + " --model sybilrank --json -o ",
                          {"trust/sybilrank", "trust/sybilrank_raw"});
  }
}

TEST_F(DistributedRank, FairnessGoodnessIsTheSameForOneTwoAndThreeProcesses) {
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  expect_as_one_process(
      "rank " + shell_quoted(path("otc.h5")) + " --model fairness-goodness --weight-divisor 10 --json -o ",
      {"trust/fairness", "trust/goodness"});
  // Weights outside [-1, 1]: the file's first bad edge, named once, exit 65.
  const std::string bad = "rank " + shell_quoted(path("otc.h5")) + " --model fairness-goodness -o " +
                          shell_quoted(path("bad.h5"));
  const RunResult bad_one = run(bad, dir.path());
  const std::string message = bad_one.err.substr(bad_one.err.find("needs weights in [-1, 1]"));
  expect_fails_once(3, bad, 65, message.substr(0, message.find('\n')), "bad.h5");
}

TEST_F(DistributedRank, PersonalizedDryRunPrintsEachProcesssSeedSets) {
  ASSERT_EQ(run("generate city --agents 5000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  std::ofstream(path("seeds.txt")) << "1 2 3\n7\n8 9\n10\n11\n";
  const RunResult r = run(mpiexec(2) + "rank " + shell_quoted(path("g.h5")) + " --model personalized --seeds-file " +
                              shell_quoted(path("seeds.txt")) + " --dry-run", dir.path(), false);
  ASSERT_EQ(r.rc, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["distributed"], "batch");
  const nlohmann::json& parts = plan["partition"];
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]["seed_sets"], (std::vector<int>{0, 2}));
  EXPECT_EQ(parts[0]["seeds"], 4);
  EXPECT_EQ(parts[1]["seed_sets"], (std::vector<int>{2, 5}));
  EXPECT_EQ(parts[1]["seeds"], 4);

  // Each process holds the whole graph and its own columns of the block: with
  // enough seed sets for the block to dominate, less than the whole batch.
  std::string ids;
  for (int id = 0; id < 201; ++id) ids += (id ? "," : "") + std::to_string(id);
  const RunResult many = run(mpiexec(2) + "rank " + shell_quoted(path("g.h5")) + " --model personalized --seeds " +
                                 ids + " --dry-run", dir.path(), false);
  ASSERT_EQ(many.rc, 0) << many.err;
  const nlohmann::json p = nlohmann::json::parse(many.out);
  EXPECT_EQ(p["partition"][0]["seed_sets"], (std::vector<int>{0, 100}));
  EXPECT_EQ(p["partition"][1]["seed_sets"], (std::vector<int>{100, 201}));
  const auto bytes = [&](int process) { return p["partition"][process]["memory_bytes_estimate"].get<std::int64_t>(); };
  EXPECT_LT(bytes(0), bytes(1));
  EXPECT_LT(bytes(1), p["memory_bytes_estimate"].get<std::int64_t>());
}

TEST_F(DistributedRank, AnUnknownSeedIdEndsEveryProcessOnce) {
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  std::ofstream(path("seeds.txt")) << "1 2\n99999\n";
  expect_fails_once(3,
                    "rank " + shell_quoted(path("g.h5")) + " --model personalized --seeds-file " +
                        shell_quoted(path("seeds.txt")) + " -o " + shell_quoted(path("out.h5")),
                    65, "seeds.txt:2: agent id 99999 is not in the graph", "out.h5");
}

TEST_F(DistributedRank, CheckpointsResumeOnAnyNumberOfProcessesWithTheSameBits) {
  ASSERT_EQ(run("generate city --agents 20000 --seed 5 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  const struct {
    std::string model;
    std::vector<std::string> datasets;
  } models[] = {{"eigentrust", {"/trust/eigentrust"}}, {"fairness-goodness", {"/trust/fairness", "/trust/goodness"}}};
  for (const auto& m : models) {
    SCOPED_TRACE(m.model);
    const std::string rank = "rank " + shell_quoted(path("g.h5")) + " --model " + m.model + " --tolerance 0 ";
    const std::string run_dir = path(m.model + "-run"), copy = path(m.model + "-run1");
    ASSERT_EQ(run("--threads 2 " + rank + "--max-iterations 40 -o " + shell_quoted(path("one.h5")), dir.path()).rc, 0);

    // Two processes stop after 15 iterations with checkpoints every 5 …
    const RunResult first = run(mpiexec(2) + rank + "--run-dir " + shell_quoted(run_dir) +
                                    " --checkpoint-every 5 --max-iterations 15 -o " + shell_quoted(path("a.h5")),
                                dir.path(), false);
    ASSERT_EQ(first.rc, 0) << first.err;
    for (const char* name : {"ckpt-i5.h5", "ckpt-i10.h5", "ckpt-i15.h5"})
      EXPECT_TRUE(fs::exists(fs::path(run_dir) / "checkpoints" / name)) << name;
    fs::copy(run_dir, copy, fs::copy_options::recursive);

    // … and three processes, or one, take them up to 40: one process's bits.
    const RunResult three = run(mpiexec(3) + rank + "--run-dir " + shell_quoted(run_dir) + " --max-iterations 40 -o " +
                                    shell_quoted(path("b.h5")),
                                dir.path(), false);
    ASSERT_EQ(three.rc, 0) << three.err;
    EXPECT_EQ(count(three.err, "resumed from"), 1u) << three.err;
    const RunResult one = run("--threads 2 " + rank + "--run-dir " + shell_quoted(copy) + " --max-iterations 40 -o " +
                                  shell_quoted(path("c.h5")),
                              dir.path());
    ASSERT_EQ(one.rc, 0) << one.err;
    for (const std::string& name : m.datasets) {
      const auto expected = io::h5::File::open_read(path("one.h5")).read_1d<double>(name);
      for (const char* out : {"b.h5", "c.h5"}) {
        const auto got = io::h5::File::open_read(path(out)).read_1d<double>(name);
        ASSERT_EQ(got.size(), expected.size());
        EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * sizeof(double)), 0) << out << " " << name;
      }
    }
    EXPECT_TRUE(fs::exists(fs::path(run_dir) / "checkpoints" / "ckpt-i40.h5"));
    trustprop::testing::rank_ckpt::expect_metrics_log(run_dir, path("b.h5"), m.model);
    trustprop::testing::rank_ckpt::expect_metrics_log(copy, path("c.h5"), m.model);
  }
}

TEST_F(DistributedRank, AStopEndsEveryProcessAtOneIterationWithACheckpoint) {
  expect_stop_with_checkpoint(2, "", "rank eigentrust");
}

TEST_F(DistributedRank, AFairnessGoodnessStopEndsEveryProcessAtOneIterationWithACheckpoint) {
  expect_stop_with_checkpoint(3, "--model fairness-goodness ", "rank fairness-goodness");
}

TEST_F(DistributedRank, CheckpointsOfAGraphWithoutContentHashAreRefusedOnce) {
  // No process holds the whole graph to hash, so the stored hash is needed.
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  remove_content_hash(path("g.h5"));
  expect_fails_once(2,
                    "rank " + shell_quoted(path("g.h5")) + " --run-dir " + shell_quoted(path("run")) + " -o " +
                        shell_quoted(path("out.h5")),
                    65, "has no trustprop.content_hash attribute", "out.h5");
}

TEST_F(DistributedRank, PersonalizedCheckpointsAreOneProcesssAndResumeOnAnyNumberOfProcesses) {
  // Bitcoin OTC, five seed sets that converge after 95 to 106 iterations:
  // with three processes, process 0's sets stop at 102, process 1's at 104,
  // and process 2's one set goes on to 106.
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  std::ofstream(path("five.txt")) << "1 2 3\n7\n13, 35, 4, 6\n1810\n905 1\n";
  const std::string rank = "rank " + shell_quoted(path("otc.h5")) + " --model personalized --seeds-file " +
                           shell_quoted(path("five.txt")) + " --full --tolerance 1e-10 ";
  const auto run_dir = [&](const std::string& name) { return "--run-dir " + shell_quoted(path(name)) + " "; };
  const auto checkpoint = [&](const std::string& name, int iteration) {
    return path(name + "/checkpoints/ckpt-i" + std::to_string(iteration) + ".h5");
  };
  const RunResult one =
      run("--threads 2 " + rank + run_dir("one") + "--checkpoint-every 3 -o " + shell_quoted(path("one.h5")), dir.path());
  ASSERT_EQ(one.rc, 0) << one.err;
  const auto expected = datasets(path("one.h5"));

  // Three processes write one process's checkpoints, also after iterations
  // where some processes' sets have all stopped.
  const RunResult three = run(mpiexec(3) + rank + run_dir("three") + "--checkpoint-every 3 -o " +
                                  shell_quoted(path("three.h5")), dir.path(), false);
  ASSERT_EQ(three.rc, 0) << three.err;
  EXPECT_EQ(datasets(path("three.h5")), expected);
  // Process 0 logs each iteration's residual, the largest over every process's sets.
  trustprop::testing::rank_ckpt::expect_metrics_log(path("three"), path("one.h5"), "personalized");
  for (const int i : {102, 105, 106}) {
    SCOPED_TRACE("checkpoint after iteration " + std::to_string(i));
    EXPECT_EQ(datasets(checkpoint("three", i)), datasets(checkpoint("one", i)));
  }

  // Two processes stop at 50 iterations; three, one and four take their
  // checkpoint to the end with one process's bits.
  const RunResult first = run(mpiexec(2) + rank + run_dir("two") + "--checkpoint-every 7 --max-iterations 50 -o " +
                                  shell_quoted(path("first.h5")), dir.path(), false);
  ASSERT_EQ(first.rc, 0) << first.err;
  ASSERT_TRUE(fs::exists(checkpoint("two", 49)));
  ASSERT_TRUE(fs::exists(checkpoint("two", 50)));
  for (const int processes : {3, 1, 4}) {
    SCOPED_TRACE(std::to_string(processes) + " processes resume");
    const std::string copy = "two-" + std::to_string(processes), out = path(copy + ".h5");
    fs::copy(path("two"), path(copy), fs::copy_options::recursive);
    const std::string launch = processes == 1 ? kBinary + " --threads 2 " : mpiexec(processes);
    const RunResult r = run(launch + rank + run_dir(copy) + "-o " + shell_quoted(out), dir.path(), false);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(count(r.err, "resumed from"), 1u) << r.err;
    EXPECT_EQ(datasets(out), expected);
    trustprop::testing::rank_ckpt::expect_metrics_log(path(copy), out, "personalized");
  }

  // One process's checkpoint after iteration 102 (two sets stopped, three
  // active), resumed by five processes, one set each: checkpoints after
  // every iteration, those after 105 and 106 one process's.
  fs::create_directories(path("five/checkpoints"));
  fs::copy(checkpoint("one", 102), checkpoint("five", 102));
  const RunResult five = run(mpiexec(5) + rank + run_dir("five") + "--checkpoint-every 1 -o " +
                                 shell_quoted(path("five.h5")), dir.path(), false);
  ASSERT_EQ(five.rc, 0) << five.err;
  EXPECT_EQ(datasets(path("five.h5")), expected);
  for (const int i : {105, 106}) EXPECT_EQ(datasets(checkpoint("five", i)), datasets(checkpoint("one", i))) << i;
  // The run directory had no metrics.jsonl: iterations 1..102 are rebuilt from the checkpoint.
  trustprop::testing::rank_ckpt::expect_metrics_log(path("five"), path("five.h5"), "personalized");
}

TEST_F(DistributedRank, APersonalizedStopEndsEveryProcessAtOneIterationWithACheckpoint) {
  expect_stop_with_checkpoint(3, "--model personalized ", "rank personalized");
}

TEST_F(DistributedRank, APersonalizedBatchOneProcessCannotHoldEndsEveryProcessOnce) {
  // The third of three processes cannot hold its share of the seed sets.
  ASSERT_EQ(run("import " + kData + "/real/bitcoin-otc/soc-sign-bitcoinotc.csv.gz --signed -o " +
                    shell_quoted(path("otc.h5")), dir.path()).rc, 0);
  std::ofstream(path("five.txt")) << "1 2 3\n7\n13, 35, 4, 6\n1810\n905 1\n";
  const std::string args = "rank " + shell_quoted(path("otc.h5")) + " --model personalized --seeds-file " +
                           shell_quoted(path("five.txt")) + " --run-dir " + shell_quoted(path("run")) + " -o " +
                           shell_quoted(path("out.h5"));
  expect_third_process_refuses(args, "trustprop[2]: error: personalized trust for 2 seed sets");
  EXPECT_FALSE(fs::exists(path("run")));  // refused before it began: no run directory left
}

TEST_F(DistributedRank, AResultProcess0CannotGatherEndsEveryProcessOnceBeforeIterating) {
  // 800 seed sets on a 50,000-agent city, two processes, with checkpoints:
  // process 0 gathers the whole block for each one.
  large_city_and_ids("sets.txt", 800, 61);
  expect_process0_cannot_gather("rank " + shell_quoted(path("g.h5")) + " --model personalized --seeds-file " +
                                    shell_quoted(path("sets.txt")) + " --max-iterations 1 --run-dir " +
                                    shell_quoted(path("run")) + " -o " + shell_quoted(path("out.h5")),
                                50000 * 800, "of host memory (the results of ");
}

TEST_F(DistributedRank, APersonalizedResultLargerThanProcess0sMemoryIsWrittenAsItComes) {
  // The same 800 seed sets on three processes without checkpoints, process
  // 0 with room for its own run and half the [800, n] result: it receives
  // one process's 267 columns at a time, so the run goes through, with one
  // process's bits (the block with --full, the top tables).
  large_city_and_ids("sets.txt", 800, 61);
  expect_process0_streams(3,
                          "rank " + shell_quoted(path("g.h5")) + " --model personalized --seeds-file " +
                              shell_quoted(path("sets.txt")) + " --max-iterations 1 --full --top-per-seed 5 -o ",
                          50000 * 800);
}

TEST_F(DistributedRank, ARowModelShareOneProcessCannotHoldEndsEveryProcessOnce) {
  // Fairness–goodness and SybilRank split W by rows: the third of three
  // processes cannot hold its share, and refuses before the exchange
  // allocates.
  ASSERT_EQ(run("generate city --agents 50000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  for (const auto& [model, what] : {std::pair<std::string, std::string>{"fairness-goodness", "fairness-goodness's share on process 2"},
                                    {"sybilrank", "SybilRank's share on process 2"}}) {
    SCOPED_TRACE(model);
    const std::string args =
        "rank " + shell_quoted(path("g.h5")) + " --model " + model + " -o " + shell_quoted(path("out.h5"));
    expect_third_process_refuses(args, "trustprop[2]: error: " + what);
  }
}

TEST_F(DistributedRank, ASignedResultLargerThanProcess0sMemoryIsWrittenAsItComes) {
  // 400 signed-trust sources on a 50,000-agent city, two processes, process
  // 0 with room for its own run and half the [400, n] result: it holds one
  // batch of rows at a time, so the run goes through, with one process's bits.
  large_city_and_ids("sources.txt", 400, 113);
  expect_process0_streams(2,
                          "rank " + shell_quoted(path("g.h5")) + " --model signed --mode trust-only --steps 2 " +
                              "--source-batch 64 --sources-file " + shell_quoted(path("sources.txt")) + " -o ",
                          50000 * 400);
}
