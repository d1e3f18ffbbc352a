// Helpers of the rank checkpoint tests (tests/test_rank_checkpoint*.cpp): a
// generated city whose EigenTrust iteration takes about 400 iterations
// (restart probability 0.02, tolerance 1e-13; the residual passes 1e-7, the
// switch from the float32 to the float64 gather, near iteration 40), the
// rank command line (of any model; EigenTrust unless told) with a run
// directory, and the bitwise comparison of two results files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "checkpoint_test_support.hpp"
#include "io/checkpoint_file.hpp"
#include "io/h5.hpp"

namespace trustprop::testing::rank_ckpt {

namespace fs = std::filesystem;

// Writes the city graph to dir/g.h5 (seed `seed`).
inline fs::path write_graph(const fs::path& dir, int seed = 3) {
  const fs::path g = dir / "g.h5";
  const auto r = cli::run("generate city --agents 20000 --seed " + std::to_string(seed) + " -o " + g.string(), dir);
  EXPECT_EQ(r.rc, 0) << r.err;
  return g;
}

// The options of the iteration; each test changes what it needs.
struct Iteration {
  std::string restart = "0.02", tolerance = "1e-13", max_iterations = "5000";
  std::string model = "eigentrust";
};

// `rank` of the graph into `out`, checkpointing into `run_dir` unless it is empty.
inline std::vector<std::string> rank_args(const fs::path& graph, const fs::path& out, const fs::path& run_dir,
                                          std::vector<std::string> extra = {}, const Iteration& it = {}) {
  std::vector<std::string> a{"--device", "cpu", "--threads", "2", "--log-level", "warn", "--progress", "none",
                             "rank", graph.string(), "--model", it.model, "--restart-probability", it.restart,
                             "--tolerance", it.tolerance, "--max-iterations", it.max_iterations, "-o", out.string()};
  if (!run_dir.empty()) a.insert(a.end(), {"--run-dir", run_dir.string()});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Every dataset of two results files of `model` equal byte for byte (trust, residual history, ...).
inline void expect_same_results(const fs::path& a, const fs::path& b, const std::string& model = "eigentrust") {
  const auto da = ckpt::deterministic_datasets(a), db = ckpt::deterministic_datasets(b);
  ASSERT_FALSE(da.empty()) << a;
  const std::string trust = model == "eigentrust"          ? "trust/eigentrust"
                            : model == "fairness-goodness" ? "trust/goodness"
                                                           : "trust/" + model + "/trust";
  ASSERT_TRUE(da.count(trust)) << a;
  ASSERT_TRUE(da.count("convergence/" + model + "/residuals")) << a;
  EXPECT_EQ(da.size(), db.size());
  for (const auto& [name, bytes] : da) {
    ASSERT_TRUE(db.count(name)) << name;
    EXPECT_TRUE(bytes == db.at(name)) << name << " differs";
  }
}

// The checkpoint files (complete ones, at their final names) of a rank run directory.
inline std::set<std::string> checkpoint_names(const fs::path& run_dir) {
  std::set<std::string> names;
  std::error_code none;
  for (const auto& e : fs::directory_iterator(run_dir / "checkpoints", none)) names.insert(e.path().filename());
  return names;
}

// Waits until the run directory holds a checkpoint (the run is in its iterations, handlers installed).
inline bool wait_for_checkpoint(const fs::path& run_dir) {
  for (int k = 0; k < 6000; ++k) {
    if (!checkpoint_names(run_dir).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// Starts the rank run `args` (checkpointing every iteration into `run_dir`,
// results to `out`), sends it `sig` once its first checkpoint is written,
// and checks the stop: exit 75, the signal named, no results file, every
// checkpoint complete and verified, the stop reported after the newest.
// Returns the newest checkpoint's iteration.
inline std::int64_t stop_by_signal(const std::vector<std::string>& args, const fs::path& dir, const fs::path& run_dir,
                                   const fs::path& out, int sig = SIGTERM) {
  const pid_t pid = ckpt::spawn(args, dir);
  EXPECT_TRUE(wait_for_checkpoint(run_dir));
  kill(pid, sig);
  const std::string err = [&] {
    EXPECT_EQ(ckpt::wait_for(pid), 75);
    return ckpt::child_stderr(dir);
  }();
  EXPECT_NE(err.find(std::string("received SIG") + sigabbrev_np(sig)), std::string::npos) << err;
  EXPECT_NE(err.find("resume with --resume auto"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out));  // no half-written results
  std::int64_t newest = 0;
  for (const std::string& name : checkpoint_names(run_dir)) {
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
    EXPECT_NO_THROW(io::CheckpointReader((run_dir / "checkpoints" / name).string()).verify()) << name;
    newest = std::max<std::int64_t>(newest, std::stoll(name.substr(6)));
  }
  EXPECT_NE(err.find("stopped after iteration " + std::to_string(newest)), std::string::npos) << err;
  return newest;
}

// D/metrics.jsonl of a run that wrote `results`: one line per iteration,
// 1..N in order, each residual the results file's
// /convergence/<model>/residuals entry, bit for bit.
inline void expect_metrics_log(const fs::path& run_dir, const fs::path& results, const std::string& model) {
  const std::vector<double> residuals =
      io::h5::File::open_read(results.string()).read_1d<double>("/convergence/" + model + "/residuals");
  std::ifstream in(run_dir / "metrics.jsonl");
  ASSERT_TRUE(in) << run_dir / "metrics.jsonl";
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const nlohmann::json j = nlohmann::json::parse(line);
    ASSERT_LT(lines, residuals.size()) << "more lines than iterations: " << line;
    EXPECT_EQ(j.at("iteration").get<std::size_t>(), lines + 1) << line;
    EXPECT_EQ(j.at("residual").get<double>(), residuals[lines]) << line;
  }
  EXPECT_EQ(lines, residuals.size());
}

// The iterations a results file of `model` records.
inline std::int64_t iterations_of(const fs::path& results, const std::string& model = "eigentrust") {
  return io::h5::File::open_read(results.string()).read_attr_int("/convergence/" + model, "iterations").value_or(-1);
}

// One graph and its uninterrupted ranking (`extra` options, iteration `it`)
// without checkpoints: what a test file's resumed runs must equal.
struct Reference {
  cli::TempDir dir;
  fs::path graph, results;
  Reference(const std::vector<std::string>& extra, const Iteration& it)
      : graph(write_graph(dir.path())), results(dir.path() / "reference.h5") {
    EXPECT_EQ(ckpt::run_child(rank_args(graph, results, "", extra, it), dir.path()), 0)
        << ckpt::child_stderr(dir.path());
  }
};

// A rank run with a run directory of its own on reference()'s graph, with
// defaults() as its iteration unless a test gives another.
template <const Reference& (*reference)(), Iteration (*defaults)()>
struct RankRun {
  cli::TempDir dir;
  fs::path run = dir.path() / "run", out = dir.path() / "out.h5";
  std::vector<std::string> args(std::vector<std::string> extra = {}, const Iteration& it = defaults()) const {
    return rank_args(reference().graph, out, run, std::move(extra), it);
  }
  int rank(std::vector<std::string> extra = {}, const Iteration& it = defaults()) const {
    return ckpt::run_child(args(std::move(extra), it), dir.path());
  }
  std::string err() const { return ckpt::child_stderr(dir.path()); }
  fs::path checkpoint(std::int64_t iterations) const {
    return run / "checkpoints" / ("ckpt-i" + std::to_string(iterations) + ".h5");
  }
};

}  // namespace trustprop::testing::rank_ckpt
