// Checkpoints of `trustprop rank --model personalized --run-dir D`
// (docs/checkpoint.md), on the city of rank_checkpoint_test_support.hpp
// with four seed sets: checkpointing leaves the results unchanged; a run
// extended with --max-iterations (on an R-MAT graph, whose columns converge
// apart: stopped when one, then two columns had converged and the others had
// not) and a run stopped by SIGTERM (exit 75)
// and resumed end bitwise equal to an uninterrupted run (the whole block,
// per-column and per-iteration records); changed seed sets, given with
// --seeds or in a changed --seeds-file, are refused (78) while a changed
// --top-per-seed is not; a tighter tolerance under --allow-config-change
// reopens converged columns; a checkpoint of EigenTrust is refused (65), and so
// is one holding a state no iteration produces, naming the dataset.
#include <gtest/gtest.h>

#include <fstream>

#include "host/checkpoint_arrays.hpp"
#include "io/checkpoint_file.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;
using rank_ckpt::Iteration;
using rank_ckpt::rank_args;

constexpr std::int64_t kSets = 4;
const std::string kSeeds = "5,1234,9876,15000";

Iteration personalized(const std::string& max_iterations = "5000") {
  Iteration it;
  it.model = "personalized";
  it.tolerance = "1e-12";
  it.max_iterations = max_iterations;
  return it;
}

std::vector<std::string> with_seeds(std::vector<std::string> extra = {}, const std::string& seeds = kSeeds) {
  extra.insert(extra.begin(), {"--seeds", seeds, "--full"});
  return extra;
}

std::vector<std::int64_t> column_iterations(const fs::path& results) {
  return io::h5::File::open_read(results.string())
      .read_1d<std::int64_t>("/convergence/personalized/column_iterations", kSets);
}

std::int64_t iterations_of(const fs::path& results) { return rank_ckpt::iterations_of(results, "personalized"); }

// One graph and its uninterrupted personalized ranking, without checkpoints, for all tests.
const rank_ckpt::Reference& reference() {
  static const rank_ckpt::Reference r(with_seeds(), personalized());
  return r;
}

Iteration personalized_defaults() { return personalized(); }

// A personalized rank run with a run directory of its own, on the reference graph.
using RankRun = rank_ckpt::RankRun<reference, personalized_defaults>;

std::vector<std::uint8_t> active_of(const fs::path& checkpoint) {
  return host::to_vector<std::uint8_t>(io::CheckpointReader(checkpoint.string()), "/state/active", kSets);
}

TEST(RankCheckpointPersonalized, CheckpointingLeavesTheResultsUnchanged) {
  RankRun r;
  ASSERT_EQ(r.rank(with_seeds({"--checkpoint-every", "50", "--keep-checkpoints", "2"})), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results, "personalized");
  const std::int64_t n = iterations_of(reference().results);
  ASSERT_GT(n, 100);
  const std::set<std::string> want{"ckpt-i" + std::to_string(n / 50 * 50) + ".h5", "ckpt-i" + std::to_string(n) + ".h5"};
  EXPECT_EQ(rank_ckpt::checkpoint_names(r.run), want);
  const io::CheckpointReader c(r.checkpoint(n).string());
  EXPECT_EQ(c.header().kind, "rank personalized");
  EXPECT_EQ(c.header().epoch, n);
  EXPECT_EQ(c.size("/state/trust"), 20000 * kSets);
  EXPECT_NO_THROW(c.verify());
  EXPECT_EQ(active_of(r.checkpoint(n)), std::vector<std::uint8_t>(kSets, 0));  // every column converged
}

TEST(RankCheckpointPersonalized, ExtendingMaxIterationsIsBitwiseIdenticalIncludingConvergedColumns) {
  // Every column of the city converges at the same iteration, so this test
  // runs on an R-MAT graph, whose seed sets converge apart: agent 0 has no
  // out-ties (its column is fixed after one iteration), the others take
  // 430 to 450 iterations. Stopped at 5 (column 0 frozen), between the
  // second and the third column's convergence, then to the end.
  cli::TempDir dir;
  const fs::path graph = dir.path() / "rmat.h5", reference = dir.path() / "reference.h5";
  const auto g = cli::run("generate rmat --scale 12 --edge-factor 8 --seed 5 -o " + graph.string(), dir.path());
  ASSERT_EQ(g.rc, 0) << g.err;
  const auto seeds = with_seeds({}, "0,28,2,39");
  ASSERT_EQ(ckpt::run_child(rank_args(graph, reference, "", seeds, personalized()), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const auto converged_at = column_iterations(reference);
  auto sorted = converged_at;
  std::sort(sorted.begin(), sorted.end());
  const std::int64_t between = (sorted[1] + sorted[2]) / 2;
  ASSERT_LT(sorted[0], 5);
  ASSERT_LT(5, sorted[1]);
  ASSERT_LT(sorted[1], between);
  ASSERT_LT(between, sorted[3]);
  const fs::path run = dir.path() / "run", out = dir.path() / "out.h5";
  const auto rank = [&](const Iteration& it) { return ckpt::run_child(rank_args(graph, out, run, seeds, it), dir.path()); };
  const auto checkpoint = [&](std::int64_t i) { return run / "checkpoints" / ("ckpt-i" + std::to_string(i) + ".h5"); };
  for (const std::int64_t limit : {std::int64_t{5}, between}) {
    ASSERT_EQ(rank(personalized(std::to_string(limit))), 0) << ckpt::child_stderr(dir.path());  // not converged: reported
    EXPECT_EQ(iterations_of(out), limit);
    const auto active = active_of(checkpoint(limit));
    for (std::int64_t c = 0; c < kSets; ++c)
      EXPECT_EQ(active[static_cast<std::size_t>(c)], converged_at[static_cast<std::size_t>(c)] > limit ? 1 : 0)
          << "column " << c << " after " << limit;
  }
  ASSERT_EQ(rank(personalized()), 0) << ckpt::child_stderr(dir.path());
  rank_ckpt::expect_same_results(out, reference, "personalized");
  ASSERT_EQ(rank(personalized()), 0) << ckpt::child_stderr(dir.path());  // resuming a finished run: the same results
  rank_ckpt::expect_same_results(out, reference, "personalized");
}

TEST(RankCheckpointPersonalized, SigtermCheckpointsAndExits75ThenResumeIsBitwiseIdentical) {
  RankRun r;
  const std::int64_t newest =
      rank_ckpt::stop_by_signal(r.args(with_seeds({"--checkpoint-every", "1"})), r.dir.path(), r.run, r.out);
  EXPECT_LT(newest, iterations_of(reference().results));
  ASSERT_EQ(r.rank(with_seeds()), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results, "personalized");
  rank_ckpt::expect_metrics_log(r.run, r.out, "personalized");
}

TEST(RankCheckpointPersonalized, ATighterToleranceReopensTheConvergedColumns) {
  // Converged at 1e-8, then resumed at the reference's 1e-12 with
  // --allow-config-change: each column iterates on from where it froze, as
  // in one run at 1e-12, so the trust is the reference's bit for bit (the
  // iteration counts differ: the columns froze at 1e-8 at different
  // iterations and resumed at the last of them).
  RankRun r;
  Iteration loose = personalized();
  loose.tolerance = "1e-8";
  ASSERT_EQ(r.rank(with_seeds(), loose), 0) << r.err();
  const std::int64_t loose_iterations = iterations_of(r.out);
  ASSERT_LT(loose_iterations, iterations_of(reference().results));
  EXPECT_EQ(active_of(r.checkpoint(loose_iterations)), std::vector<std::uint8_t>(kSets, 0));
  ASSERT_EQ(r.rank(with_seeds({"--allow-config-change"})), 0) << r.err();
  EXPECT_NE(r.err().find("4 of 4 seed sets change state under --tolerance 1e-12"), std::string::npos) << r.err();
  const auto got = ckpt::deterministic_datasets(r.out), want = ckpt::deterministic_datasets(reference().results);
  ASSERT_TRUE(got.count("trust/personalized/trust"));
  EXPECT_TRUE(got.at("trust/personalized/trust") == want.at("trust/personalized/trust"));
  EXPECT_EQ(io::h5::File::open_read(r.out.string()).read_attr_int("/convergence/personalized", "converged"), 1);
}

TEST(RankCheckpointPersonalized, ChangedSeedSetsAreRefused) {
  RankRun r;
  ASSERT_EQ(r.rank(with_seeds(), personalized("20")), 0) << r.err();
  EXPECT_EQ(r.rank(with_seeds({}, "5,1234,9876,15001"), personalized("30")), 78);
  EXPECT_NE(r.err().find("configuration differs"), std::string::npos) << r.err();
  EXPECT_NE(r.err().find("seeds = "), std::string::npos) << r.err();
  // --top-per-seed shapes only the results file: not refused.
  EXPECT_EQ(r.rank(with_seeds({"--top-per-seed", "7"}), personalized("30")), 0) << r.err();
  EXPECT_EQ(iterations_of(r.out), 30);

  // The same --seeds-file option, other contents.
  RankRun f;
  const fs::path seeds = f.dir.path() / "seeds.txt";
  std::ofstream(seeds) << "5 1234\n9876\n";
  const std::vector<std::string> from_file{"--seeds-file", seeds.string()};
  ASSERT_EQ(f.rank(from_file, personalized("20")), 0) << f.err();
  std::ofstream(seeds) << "5 1235\n9876\n";
  EXPECT_EQ(f.rank(from_file, personalized("30")), 78);
  EXPECT_NE(f.err().find("the seed sets differ"), std::string::npos) << f.err();
  EXPECT_EQ(f.rank({"--seeds-file", seeds.string(), "--allow-config-change"}, personalized("30")), 0) << f.err();
}

TEST(RankCheckpointPersonalized, AnEigenTrustCheckpointIsRefused) {
  RankRun r;
  Iteration eigentrust;
  eigentrust.max_iterations = "20";
  ASSERT_EQ(r.rank({}, eigentrust), 0) << r.err();
  EXPECT_EQ(r.rank(with_seeds({"--resume", r.checkpoint(20).string()})), 65);
  EXPECT_NE(r.err().find("a checkpoint of rank eigentrust"), std::string::npos) << r.err();
  EXPECT_EQ(r.rank(with_seeds()), 65);  // --resume auto in the same run directory
  EXPECT_NE(r.err().find("not of rank personalized"), std::string::npos) << r.err();
}

TEST(RankCheckpointPersonalized, AStateNoIterationProducesIsRefusedNamingTheDataset) {
  RankRun r;
  ASSERT_EQ(r.rank(with_seeds(), personalized("20")), 0) << r.err();
  const io::CheckpointReader good(r.checkpoint(20).string());
  const auto trust = host::to_vector<double>(good, "/state/trust", 20000 * kSets);
  const auto active = host::to_vector<std::uint8_t>(good, "/state/active", kSets);
  const auto at = host::to_vector<std::int64_t>(good, "/record/column_iterations", kSets);
  const auto res = host::to_vector<double>(good, "/record/column_residuals", kSets);
  const auto residuals = host::to_vector<double>(good, "/record/residuals", 20);
  struct Case {
    std::string dataset;
    std::function<void(std::vector<double>&, std::vector<std::uint8_t>&, std::vector<std::int64_t>&)> spoil;
  };
  const std::vector<Case> cases{
      {"/state/trust", [](auto& t, auto&, auto&) { t[77] = -1.0; }},
      {"/state/trust", [](auto& t, auto&, auto&) { t[3] = std::nan(""); }},
      {"/state/trust: column 0 sums to 999.99", [](auto& t, auto&, auto&) { for (auto& v : t) v *= 1000; }},
      {"/state/active", [](auto&, auto& a, auto&) { a[2] = 2; }},
      {"/record/column_iterations", [](auto&, auto&, auto& i) { i[1] = 21; }},
      {"/record/column_iterations", [](auto&, auto&, auto& i) { i[0] = 19; }},  // active, yet stopped early
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dataset);
    auto t = trust;
    auto a = active;
    auto i = at;
    c.spoil(t, a, i);
    const fs::path bad = r.dir.path() / "bad.h5";
    io::write_checkpoint(bad.string(), good.header(),
                         {host::from_vector("/state/trust", t), host::from_vector("/state/active", a),
                          host::from_vector("/record/column_iterations", i),
                          host::from_vector("/record/column_residuals", res),
                          host::from_vector("/record/residuals", residuals)});
    EXPECT_EQ(r.rank(with_seeds({"--resume", bad.string()}), personalized("30")), 65);
    EXPECT_NE(r.err().find(bad.string() + ": dataset " + c.dataset), std::string::npos) << r.err();
  }
  fs::remove(r.out);
  const fs::path short_trust = r.dir.path() / "short.h5";  // a checkpoint of other seed sets: sizes differ
  io::write_checkpoint(short_trust.string(), good.header(),
                       {host::from_vector("/state/trust", std::vector<double>(trust.begin(), trust.end() - 1)),
                        host::from_vector("/state/active", active), host::from_vector("/record/column_iterations", at),
                        host::from_vector("/record/column_residuals", res),
                        host::from_vector("/record/residuals", residuals)});
  EXPECT_EQ(r.rank(with_seeds({"--resume", short_trust.string()}), personalized("30")), 65);
  EXPECT_NE(r.err().find("/state/trust"), std::string::npos) << r.err();
  EXPECT_FALSE(fs::exists(r.out));  // refused before any results were written
}

}  // namespace
