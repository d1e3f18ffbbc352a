// Checkpoints of `trustprop rank --model fairness-goodness --run-dir D`
// (docs/checkpoint.md), on the city of rank_checkpoint_test_support.hpp,
// 600 iterations at tolerance 0 (a fixed count: the run goes on past the
// fixed point, which a resumed run must reach with the same bits):
// checkpointing leaves the results unchanged; a run extended with
// --max-iterations and a run stopped by SIGTERM (exit 75) and resumed end
// bitwise equal to an uninterrupted run (f, g and the per-iteration
// changes); a changed weight divisor is refused (78); an EigenTrust
// checkpoint is refused (65), and so is one holding a state no iteration
// produces, naming the dataset.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "host/checkpoint_arrays.hpp"
#include "io/checkpoint_file.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;
using rank_ckpt::Iteration;

constexpr std::int64_t kAgents = 20000;

Iteration fairness_goodness(const std::string& max_iterations = "600") {
  Iteration it;
  it.model = "fairness-goodness";
  it.tolerance = "0";
  it.max_iterations = max_iterations;
  return it;
}

std::int64_t iterations_of(const fs::path& results) { return rank_ckpt::iterations_of(results, "fairness-goodness"); }

const rank_ckpt::Reference& reference() {
  static const rank_ckpt::Reference r({}, fairness_goodness());
  return r;
}

Iteration defaults() { return fairness_goodness(); }

using RankRun = rank_ckpt::RankRun<reference, defaults>;

TEST(RankCheckpointFairnessGoodness, CheckpointingLeavesTheResultsUnchanged) {
  RankRun r;
  ASSERT_EQ(r.rank({"--checkpoint-every", "250", "--keep-checkpoints", "2"}), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results, "fairness-goodness");
  rank_ckpt::expect_metrics_log(r.run, r.out, "fairness-goodness");
  ASSERT_EQ(iterations_of(reference().results), 600);
  EXPECT_EQ(rank_ckpt::checkpoint_names(r.run), (std::set<std::string>{"ckpt-i500.h5", "ckpt-i600.h5"}));
  const io::CheckpointReader c(r.checkpoint(600).string());
  EXPECT_EQ(c.header().kind, "rank fairness-goodness");
  EXPECT_EQ(c.header().epoch, 600);
  EXPECT_EQ(c.size("/state/fairness"), kAgents);
  EXPECT_EQ(c.size("/record/goodness_change"), 600);
  EXPECT_NO_THROW(c.verify());
}

// The checkpoint's datasets, by name.
using Arrays = std::map<std::string, std::vector<double>>;

Arrays read_state(const io::CheckpointReader& c, std::int64_t iterations) {
  Arrays a;
  for (const auto& [name, size] : {std::pair<std::string, std::int64_t>{"/state/fairness", kAgents},
                                   {"/state/goodness", kAgents},
                                   {"/record/fairness_change", iterations},
                                   {"/record/goodness_change", iterations},
                                   {"/record/residuals", iterations}})
    a[name] = host::to_vector<double>(c, name, size);
  return a;
}

void write_state(const fs::path& path, const io::CheckpointHeader& header, const Arrays& a) {
  std::vector<io::DatasetSource> sources;
  for (const auto& [name, values] : a) sources.push_back(host::from_vector(name, values));
  io::write_checkpoint(path.string(), header, sources);
}

TEST(RankCheckpointFairnessGoodness, ExtendingMaxIterationsIsBitwiseIdentical) {
  RankRun r;
  for (const std::int64_t limit : {7, 230}) {
    ASSERT_EQ(r.rank({}, fairness_goodness(std::to_string(limit))), 0) << r.err();
    EXPECT_EQ(iterations_of(r.out), limit);
  }
  // The run goes on from the checkpoint's f and g: the same checkpoint with
  // one agent's fairness moved (still a state an iteration could leave)
  // ends elsewhere.
  {
    const io::CheckpointReader c(r.checkpoint(230).string());
    Arrays moved = read_state(c, 230);
    moved["/state/fairness"][123] *= 0.5;
    RankRun other;
    const fs::path path = other.dir.path() / "moved.h5";
    write_state(path, c.header(), moved);
    ASSERT_EQ(other.rank({"--resume", path.string()}), 0) << other.err();
    EXPECT_EQ(iterations_of(other.out), 600);
    const auto f = io::h5::File::open_read(other.out.string()).read_1d<double>("/trust/fairness", kAgents);
    const auto want = io::h5::File::open_read(reference().results.string()).read_1d<double>("/trust/fairness", kAgents);
    EXPECT_NE(f, want);
  }
  ASSERT_EQ(r.rank(), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results, "fairness-goodness");
  rank_ckpt::expect_metrics_log(r.run, r.out, "fairness-goodness");
  ASSERT_EQ(r.rank(), 0) << r.err();  // resuming a finished run: the same results
  rank_ckpt::expect_same_results(r.out, reference().results, "fairness-goodness");
}

TEST(RankCheckpointFairnessGoodness, SigtermCheckpointsAndExits75ThenResumeIsBitwiseIdentical) {
  RankRun r;
  EXPECT_LT(rank_ckpt::stop_by_signal(r.args({"--checkpoint-every", "1"}), r.dir.path(), r.run, r.out), 600);
  ASSERT_EQ(r.rank(), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results, "fairness-goodness");
  rank_ckpt::expect_metrics_log(r.run, r.out, "fairness-goodness");
}

TEST(RankCheckpointFairnessGoodness, AChangedWeightDivisorIsRefused) {
  RankRun r;
  ASSERT_EQ(r.rank({}, fairness_goodness("20")), 0) << r.err();
  EXPECT_EQ(r.rank({"--weight-divisor", "2"}, fairness_goodness("30")), 78);
  EXPECT_NE(r.err().find("configuration differs"), std::string::npos) << r.err();
  EXPECT_NE(r.err().find("weight_divisor"), std::string::npos) << r.err();
}

TEST(RankCheckpointFairnessGoodness, AnEigenTrustCheckpointIsRefused) {
  RankRun r;
  Iteration eigentrust;
  eigentrust.max_iterations = "20";
  ASSERT_EQ(r.rank({}, eigentrust), 0) << r.err();
  EXPECT_EQ(r.rank({"--resume", r.checkpoint(20).string()}), 65);
  EXPECT_NE(r.err().find("a checkpoint of rank eigentrust"), std::string::npos) << r.err();
  EXPECT_EQ(r.rank(), 65);  // --resume auto in the same run directory
  EXPECT_NE(r.err().find("not of rank fairness-goodness"), std::string::npos) << r.err();
}

TEST(RankCheckpointFairnessGoodness, AStateNoIterationProducesIsRefusedNamingTheDataset) {
  RankRun r;
  ASSERT_EQ(r.rank({}, fairness_goodness("20")), 0) << r.err();
  const io::CheckpointReader good(r.checkpoint(20).string());
  const Arrays arrays = read_state(good, 20);
  const auto write = [&](const fs::path& path, const Arrays& a) { write_state(path, good.header(), a); };
  struct Case {
    std::string dataset;
    std::function<void(Arrays&)> spoil;
  };
  const std::vector<Case> cases{
      {"/state/fairness", [](Arrays& a) { a["/state/fairness"][77] = 1.5; }},
      {"/state/fairness", [](Arrays& a) { a["/state/fairness"][3] = std::nan(""); }},
      {"/state/goodness", [](Arrays& a) { a["/state/goodness"][5] = -1.25; }},
      {"/record/goodness_change", [](Arrays& a) { a["/record/goodness_change"][4] = -1.0; }},
      {"/record/residuals", [](Arrays& a) { a["/record/residuals"][6] *= 2.0; }},  // not the larger change
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dataset);
    Arrays a = arrays;
    c.spoil(a);
    const fs::path bad = r.dir.path() / "bad.h5";
    write(bad, a);
    EXPECT_EQ(r.rank({"--resume", bad.string()}, fairness_goodness("30")), 65);
    EXPECT_NE(r.err().find(bad.string() + ": dataset " + c.dataset), std::string::npos) << r.err();
  }
  fs::remove(r.out);
  Arrays a = arrays;  // a checkpoint of another graph: sizes differ
  a["/state/goodness"].pop_back();
  write(r.dir.path() / "short.h5", a);
  EXPECT_EQ(r.rank({"--resume", (r.dir.path() / "short.h5").string()}, fairness_goodness("30")), 65);
  EXPECT_NE(r.err().find("/state/goodness"), std::string::npos) << r.err();
  EXPECT_FALSE(fs::exists(r.out));  // refused before any results were written
}

}  // namespace
