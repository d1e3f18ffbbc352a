// The command line end to end: generate, info, rank and demo through the
// real binary, with their exit codes (DESIGN §5) and outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "io/graph_file.hpp"
#include "kernels/executor.hpp"

using namespace trustprop::testing::cli;

namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    graph = (dir.path() / "city.h5").string();
    const auto r = run("generate city --agents 3000 --seed 5 -o " + shell_quoted(graph), dir.path());
    ASSERT_EQ(r.rc, 0) << r.err;
  }
  TempDir dir;
  std::string graph;
};

}  // namespace

TEST_F(Cli, VersionAndHelpExitZero) {
  EXPECT_EQ(run("--version", dir.path()).rc, 0);
  const auto r = run("rank --help", dir.path());
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("--restart-probability"), std::string::npos);
}

TEST_F(Cli, UsageErrorsExit64) {
  EXPECT_EQ(run("", dir.path()).rc, 64);
  EXPECT_EQ(run("rank " + shell_quoted(graph) + " --model nonsense -o x.h5", dir.path()).rc, 64);
  EXPECT_EQ(run("--device gpu-please rank " + shell_quoted(graph) + " -o x.h5", dir.path()).rc, 64);
  EXPECT_EQ(run("rank " + shell_quoted(graph), dir.path()).rc, 64);  // no -o
}

TEST_F(Cli, InfoJsonDescribesTheGraph) {
  const auto r = run("info " + shell_quoted(graph) + " --json --verify", dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto g = trustprop::io::read_graph(graph);
  EXPECT_EQ(j["agents"], 3000);
  EXPECT_EQ(j["edges"], g.nnz());
  EXPECT_EQ(j["verify"]["content_hash"], "ok");
  EXPECT_EQ(j["self_loops"], 0);
  EXPECT_GT(j["kinds"]["institution"].get<int>(), 0);
  EXPECT_EQ(j["content_hash"], g.content_hash);
  // The median of an even count of degrees is the mean of the middle two.
  std::vector<std::int64_t> out(static_cast<std::size_t>(g.n));
  for (std::int64_t i = 0; i < g.n; ++i) out[static_cast<std::size_t>(i)] = g.indptr[i + 1] - g.indptr[i];
  std::sort(out.begin(), out.end());
  EXPECT_EQ(j["out_degree"]["median"].get<double>(), (out[1499] + out[1500]) / 2.0);
}

TEST_F(Cli, InfoMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo) {
  const fs::path text = dir.path() / "two.txt", two = dir.path() / "two.h5";
  std::ofstream(text) << "1 2\n";  // out-degrees 1 and 0
  ASSERT_EQ(run("import " + shell_quoted(text.string()) + " -o " + shell_quoted(two.string()), dir.path()).rc, 0);
  const auto r = run("info " + shell_quoted(two.string()) + " --json", dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["out_degree"]["median"].get<double>(), 0.5);
  EXPECT_NE(run("info " + shell_quoted(two.string()), dir.path()).out.find("median 0.5,"), std::string::npos);
}

TEST_F(Cli, RankWritesResultsWithProvenance) {
  const std::string out = (dir.path() / "r.h5").string();
  const auto r = run("--device cpu rank " + shell_quoted(graph) + " --json --top 3 -o " + shell_quoted(out), dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["converged"].get<bool>());
  EXPECT_EQ(j["top"].size(), 3u);
  EXPECT_GE(j["top"][0]["trust"].get<double>(), j["top"][1]["trust"].get<double>());
  const auto f = trustprop::io::h5::File::open_read(out);
  EXPECT_EQ(f.read_attr_string("/", "backend").value(), "cpu");
  EXPECT_EQ(f.read_attr_string("/", "graph_content_hash").value(), trustprop::io::read_graph(graph).content_hash);
  EXPECT_NE(f.read_attr_string("/", "config").value().find("restart_probability"), std::string::npos);
  EXPECT_EQ(f.read_1d<double>("/trust/eigentrust").size(), 3000u);
}

TEST_F(Cli, NonConvergenceIsReportedAndOptionallyAnError) {
  const std::string out = (dir.path() / "r.h5").string();
  auto r = run("--device cpu rank " + shell_quoted(graph) + " --max-iterations 2 -o " + shell_quoted(out), dir.path());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("NOT CONVERGED"), std::string::npos);
  EXPECT_NE(r.err.find("did not converge"), std::string::npos);
  r = run("--device cpu rank " + shell_quoted(graph) + " --max-iterations 2 --require-convergence -o " + shell_quoted(out),
          dir.path());
  EXPECT_EQ(r.rc, 65);
}

TEST_F(Cli, BadParametersExit64AndLeaveNothing) {
  const std::string out = (dir.path() / "r.h5").string();
  const auto r = run("--device cpu rank " + shell_quoted(graph) + " --restart-probability 1.5 -o " + shell_quoted(out), dir.path());
  EXPECT_EQ(r.rc, 64);
  EXPECT_NE(r.err.find("--restart-probability: must be a finite number in (0, 1] (got 1.5)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, UnknownPretrustIdNamesFileAndLine) {
  const std::string ids = (dir.path() / "ids.txt").string(), out = (dir.path() / "r.h5").string();
  std::ofstream(ids) << "1\n999999\n";
  const auto r = run("--device cpu rank " + shell_quoted(graph) + " --pretrust " + shell_quoted(ids) + " -o " + shell_quoted(out),
                     dir.path());
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(ids + ":2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, AskingForAMissingGpuExits70) {
  // In a build without CUDA, or on a machine without a GPU, cuda:7 cannot exist.
  const auto r = run("--device cuda:7 rank " + shell_quoted(graph) + " -o " + shell_quoted((dir.path() / "r.h5").string()),
                     dir.path());
  EXPECT_EQ(r.rc, 70);
  EXPECT_FALSE(r.err.empty());
  EXPECT_FALSE(fs::exists(dir.path() / "r.h5"));
}

TEST_F(Cli, WarmStartFromAnEarlierResult) {
  const std::string a = (dir.path() / "a.h5").string(), b = (dir.path() / "b.h5").string();
  const auto cold = run("--device cpu rank " + shell_quoted(graph) + " --tolerance 1e-10 --json -o " + shell_quoted(a),
                        dir.path());
  ASSERT_EQ(cold.rc, 0) << cold.err;
  const int cold_iterations = nlohmann::json::parse(cold.out)["iterations"];
  // In float64 the warm start is already within tolerance after one step.
  const auto r = run("--device cpu rank " + shell_quoted(graph) + " --tolerance 1e-9 --gather-precision float64 --json " +
                         "--warm-start " + shell_quoted(a) + " -o " + shell_quoted(b), dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["iterations"], 1);
  // The default float32 gather adds rounding noise above 1e-9 to the first
  // steps before it hands over to float64: still a fraction of a cold start.
  const auto d = run("--device cpu rank " + shell_quoted(graph) + " --tolerance 1e-9 --json --warm-start " +
                         shell_quoted(a) + " -o " + shell_quoted(b), dir.path());
  ASSERT_EQ(d.rc, 0) << d.err;
  EXPECT_LT(nlohmann::json::parse(d.out)["iterations"].get<int>() * 3, cold_iterations);
}

TEST_F(Cli, DryRunPrintsThePlanWithoutWriting) {
  const auto r = run("--device cpu rank " + shell_quoted(graph) + " --dry-run", dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["backend"], "cpu");
  EXPECT_GT(j["memory_bytes_estimate"].get<double>(), 0);
}

TEST_F(Cli, DemoRunsTheQuickStartJob) {
  const std::string run_dir = (dir.path() / "demo").string();
  const auto r = run("--device cpu demo --agents 2000 --run-dir " + shell_quoted(run_dir), dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("converged"), std::string::npos);
  EXPECT_TRUE(fs::exists(run_dir + "/results.h5"));
  EXPECT_TRUE(fs::exists(run_dir + "/city.h5"));
}

TEST_F(Cli, GeneratedFilesAreByteIdenticalForAnyThreadCount) {
  const std::string a = (dir.path() / "t1.h5").string(), b = (dir.path() / "t2.h5").string();
  ASSERT_EQ(run("--threads 1 generate city --agents 5000 --seed 9 -o " + shell_quoted(a), dir.path()).rc, 0);
  ASSERT_EQ(run("--threads 2 generate city --agents 5000 --seed 9 -o " + shell_quoted(b), dir.path()).rc, 0);
  EXPECT_EQ(slurp(a), slurp(b));
}

TEST_F(Cli, RankGivesTheSameBitsAtEverySimdLevel) {
  // The SELL-8 products in AVX-512, AVX2 and scalar code (TRUSTPROP_CPU_SIMD
  // lowers the level; kernels/cpu/sell.hpp) sum every row in CSR order.
  std::vector<std::vector<double>> trust;
  for (const std::string level : {"", "avx2", "scalar"}) {
    const std::string out = (dir.path() / ("r" + level + ".h5")).string();
    const auto r = run((level.empty() ? "" : "env TRUSTPROP_CPU_SIMD=" + level + " ") + kBinary +
                           " --device cpu rank " + shell_quoted(graph) + " --tolerance 1e-9 -o " + shell_quoted(out),
                       dir.path(), /*prefix_binary=*/false);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find("SELL-8 rows (CPU, "), std::string::npos) << r.out;
    if (level == "scalar") EXPECT_NE(r.out.find("SELL-8 rows (CPU, scalar)"), std::string::npos) << r.out;
    trust.push_back(trustprop::io::h5::File::open_read(out).read_1d<double>("/trust/eigentrust"));
  }
  EXPECT_EQ(trust[0], trust[1]);
  EXPECT_EQ(trust[0], trust[2]);
}

TEST_F(Cli, BenchRunsEveryModelOnEachBackendSideBySide) {
  // Two CPU backends: the comparison path without a GPU. The same backend
  // twice gives the same bits (L1 0, no edge outcome differs).
  const std::string out = (dir.path() / "bench.json").string();
  const auto r = run("bench --agents 3000 --iterations 3 --epochs 2 --backends cpu,cpu --json -o " + shell_quoted(out),
                     dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // --json: stdout is the document alone
  EXPECT_EQ(nlohmann::json::parse(slurp(out)), j);
  EXPECT_EQ(j["graph"]["agents"], 3000);
  ASSERT_EQ(j["backends"].size(), 2u);
  for (const std::string model : {"eigentrust", "personalized", "fairness-goodness", "signed", "sybilrank", "dynamics"}) {
    const auto& m = j["models"][model];
    ASSERT_EQ(m["runs"].size(), 2u) << model;
    EXPECT_EQ(m["steps"], model == "dynamics" ? 2 : 3) << model;
    EXPECT_GT(m["runs"][0]["seconds_per_step"].get<double>(), 0.0) << model;
    EXPECT_GT(m["runs"][1]["speedup_over_first"].get<double>(), 0.0) << model;
    EXPECT_EQ(m["runs"][1]["l1_vs_first"].get<double>(), 0.0) << model;
  }
  EXPECT_EQ(j["models"]["dynamics"]["runs"][1]["edge_outcomes_differing_from_first"], 0);
  EXPECT_NE(r.err.find("speed-up"), std::string::npos);  // the table, on stderr
}

TEST_F(Cli, BenchTakesTheGpuWhenThereIsOneAndSaysWhyNot) {
  const auto r = run("bench " + shell_quoted(graph) + " --models eigentrust --iterations 2 --json", dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // --json: stdout is the document alone
  EXPECT_EQ(j["graph"]["source"], graph);
  if (trustprop::kernels::cuda_device_count() > 0) {
    ASSERT_EQ(j["backends"].size(), 2u);
    EXPECT_EQ(j["backends"][1]["name"], "cuda:0");
    EXPECT_LT(j["models"]["eigentrust"]["runs"][1]["l1_vs_first"].get<double>(), 1e-6);
  } else {
    ASSERT_EQ(j["backends"].size(), 1u);
    EXPECT_EQ(j["backends"][0]["name"], "cpu");
    EXPECT_FALSE(j["cuda"].get<std::string>().empty());
    EXPECT_NE(r.err.find("cuda     not measured: "), std::string::npos);  // the table, on stderr
  }
}

TEST_F(Cli, BenchRefusesBadInputWithTheRightCodeAndNoOutput) {
  const std::string out = (dir.path() / "bench.json").string();
  EXPECT_EQ(run("bench --agents 100 --models pagerank -o " + shell_quoted(out), dir.path()).rc, 64);
  EXPECT_EQ(run("bench " + shell_quoted((dir.path() / "missing.h5").string()) + " -o " + shell_quoted(out),
                dir.path()).rc, 66);
  if (trustprop::kernels::cuda_device_count() == 0)
    EXPECT_EQ(run("bench --agents 100 --backends cpu,cuda:0 -o " + shell_quoted(out), dir.path()).rc, 70);
  EXPECT_FALSE(fs::exists(out));
}
