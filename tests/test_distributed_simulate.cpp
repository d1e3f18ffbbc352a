// `mpiexec -n R trustprop simulate` against one process (DESIGN §7,
// docs/distributed.md "simulate"): every process works on its rows of W
// and of Wᵀ, and the run writes the same state, metrics and trust
// snapshots as one process, bit for bit (the propagation residual, added
// in another grouping, to its last bits), for a city generated in memory
// and one read from a graph file (registration from institution rows that
// lie in several processes); checkpoints resume on any number of
// processes; a stop ends every process after the same epoch; bad input
// ends every process with one message. Skipped, with the reason, in a
// build without MPI or where no mpiexec is found.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "mpi_runner.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using namespace trustprop::testing::cli;

namespace {

// A small city with registered providers, supervision and pooled feedback.
std::string config(const std::string& graph, int epochs) {
  return "[run]\nname = \"d\"\nepochs = " + std::to_string(epochs) + "\nseed = 11\n[graph]\n" + graph +
         "\n[platform]\npooled_feedback = true\nsupervision = 0.6\n[output]\ntrust_every = 2\n[checkpoint]\nevery = 2\n";
}

const std::string generated = "generate = \"city\"\nagents = 3000\nseed = 4";

// The fields of every line of metrics.jsonl.
std::vector<nlohmann::json> metrics_of(const fs::path& run_dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

bool timing(const std::string& name) { return name.find("seconds") != std::string::npos; }

class DistributedSimulate : public MpiTest {
 protected:
  void write_config(const std::string& name, const std::string& text) { std::ofstream(path(name)) << text; }

  RunResult simulate(int processes, const std::string& args) {
    const std::string cmd = "simulate " + args + " --log-level warn";
    return processes == 1 ? run("--threads 2 " + cmd, dir.path()) : run(mpiexec(processes) + cmd, dir.path(), false);
  }

  // `got`'s run directory holds what `want`'s does: the results file and
  // the newest checkpoint dataset by dataset with the same bytes, and the
  // same metrics, but for the timings and the residuals' last bits.
  void expect_same_run(const std::string& want, const std::string& got, const std::string& checkpoint) {
    const auto a = datasets(path(want + "/results.h5")), b = datasets(path(got + "/results.h5"));
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, bytes] : a)
      if (!timing(name) && name != "metrics/propagation_residual") EXPECT_TRUE(b.at(name) == bytes) << name << " differs";
    const std::string ckpt = "/checkpoints/" + checkpoint;
    const auto ca = datasets(path(want + ckpt)), cb = datasets(path(got + ckpt));
    for (const auto& [name, bytes] : ca)
      if (name.rfind("state/", 0) == 0) EXPECT_TRUE(cb.at(name) == bytes) << checkpoint << ": " << name << " differs";
    const auto ma = metrics_of(path(want)), mb = metrics_of(path(got));
    ASSERT_EQ(ma.size(), mb.size());
    for (std::size_t e = 0; e < ma.size(); ++e)
      for (const auto& [field, value] : ma[e].items()) {
        if (timing(field)) continue;
        if (field == "propagation_residual")
          EXPECT_NEAR(mb[e][field].get<double>(), value.get<double>(), 1e-12 * value.get<double>());
        else if (!value.is_number_float() || !std::isnan(value.get<double>()))
          EXPECT_EQ(mb[e][field], value) << "epoch " << e + 1 << ": " << field;
      }
  }

  // One process of 2 threads, then mpiexec -n 2 and 3, on the configuration `name`.
  void expect_as_one_process(const std::string& name, int epochs) {
    ASSERT_EQ(simulate(1, shell_quoted(path(name)) + " --run-dir " + shell_quoted(path("one"))).rc, 0);
    for (const int processes : {2, 3}) {
      SCOPED_TRACE(std::to_string(processes) + " processes");
      const std::string dir_name = "p" + std::to_string(processes);
      const RunResult r = simulate(processes, shell_quoted(path(name)) + " --run-dir " + shell_quoted(path(dir_name)));
      ASSERT_EQ(r.rc, 0) << r.err;
      EXPECT_EQ(count(r.out, "simulate: run_dir="), 1u) << r.out;  // process 0 alone reports
      EXPECT_NE(r.out.find("processes=" + std::to_string(processes)), std::string::npos) << r.out;
      expect_same_run("one", dir_name, "ckpt-e" + std::to_string(epochs) + ".h5");
      EXPECT_NE(io::h5::File::open_read(path(dir_name + "/results.h5")).read_attr_string("/", "device").value_or("").find(
                    std::to_string(processes) + " MPI processes"),
                std::string::npos);
    }
  }
};

}  // namespace

TEST_F(DistributedSimulate, AGeneratedCityEvolvesAsInOneProcess) {
  write_config("c.toml", config(generated, 4));
  expect_as_one_process("c.toml", 4);
  // The city's institutions register providers, and the platform detects some defections.
  const auto m = metrics_of(path("p3"));
  EXPECT_GT(m.front()["defections_detected"].get<std::int64_t>(), 0);
}

TEST_F(DistributedSimulate, AGraphFileEvolvesAsInOneProcess) {
  ASSERT_EQ(run("generate city --agents 3000 --seed 9 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  write_config("f.toml", config("path = \"g.h5\"", 3));
  expect_as_one_process("f.toml", 3);
}

TEST_F(DistributedSimulate, CheckpointsResumeOnAnyNumberOfProcesses) {
  write_config("c.toml", config(generated, 4));
  ASSERT_EQ(simulate(1, shell_quoted(path("c.toml")) + " --run-dir " + shell_quoted(path("one"))).rc, 0);
  // Two processes run 2 epochs …
  const RunResult two = simulate(2, shell_quoted(path("c.toml")) + " --epochs 2 --run-dir " + shell_quoted(path("run")));
  ASSERT_EQ(two.rc, 0) << two.err;
  fs::copy(dir.path() / "run", dir.path() / "run1", fs::copy_options::recursive);
  // … three processes, or one, take them to 4: the uninterrupted run's state and metrics.
  const RunResult three = simulate(3, shell_quoted(path("c.toml")) + " --run-dir " + shell_quoted(path("run")));
  ASSERT_EQ(three.rc, 0) << three.err;
  expect_same_run("one", "run", "ckpt-e4.h5");
  const RunResult one = simulate(1, shell_quoted(path("c.toml")) + " --run-dir " + shell_quoted(path("run1")));
  ASSERT_EQ(one.rc, 0) << one.err;
  expect_same_run("one", "run1", "ckpt-e4.h5");
}

TEST_F(DistributedSimulate, AStopEndsEveryProcessAfterOneEpochWithACheckpoint) {
  write_config("c.toml", config(generated, 1000));
  const RunResult r =
      simulate(2, shell_quoted(path("c.toml")) + " --max-walltime 1s --run-dir " + shell_quoted(path("run")));
  EXPECT_EQ(r.rc, 75) << r.err;
  EXPECT_EQ(count(r.err, "stopped after epoch"), 1u) << r.err;
  EXPECT_FALSE(fs::exists(path("run/results.h5")));
  const RunResult verify = run("checkpoint verify " + shell_quoted(path("run")), dir.path());
  EXPECT_EQ(verify.rc, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("ckpt-e"), std::string::npos) << verify.out;
  // The metrics hold every epoch up to the checkpoint's, once.
  const std::vector<nlohmann::json> m = metrics_of(path("run"));
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.back()["epoch"].get<std::int64_t>(), static_cast<std::int64_t>(m.size()));
}

TEST_F(DistributedSimulate, AGraphWithoutContentHashIsRefusedOnce) {
  // No process holds the whole graph to hash, and checkpoints need the hash.
  ASSERT_EQ(run("generate city --agents 2000 -o " + shell_quoted(path("g.h5")), dir.path()).rc, 0);
  remove_content_hash(path("g.h5"));
  write_config("f.toml", config("path = \"g.h5\"", 2));
  expect_fails_once(2, "simulate " + shell_quoted(path("f.toml")) + " --run-dir " + shell_quoted(path("run")), 65,
                    "has no trustprop.content_hash attribute", "run/results.h5");
}
