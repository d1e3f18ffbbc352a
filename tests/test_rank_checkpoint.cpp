// Checkpoints of `trustprop rank --model eigentrust --run-dir D`
// (docs/checkpoint.md): checkpointing leaves the results unchanged; a run
// extended with --max-iterations across the float32 → float64 gather switch,
// and a run stopped by SIGTERM, SIGINT or SIGUSR1 (exit 75) or
// --max-walltime and resumed, end bitwise equal to an uninterrupted run
// (trust vector and residual history); changed options (78), a changed
// graph (65) and a checkpoint of another kind of run (65) are refused; a
// second signal exits at once; the options need --run-dir and a model that
// checkpoints; a value-free run (an unweighted graph) resumes bitwise on
// both sides of the gather switch. The kill -9 test is
// test_rank_checkpoint_kill.cpp.
#include <gtest/gtest.h>

#include "host/checkpoint_arrays.hpp"
#include "io/checkpoint_file.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;
using rank_ckpt::Iteration;
using rank_ckpt::iterations_of;
using rank_ckpt::rank_args;
using rank_ckpt::wait_for_checkpoint;

Iteration eigentrust() { return {}; }

// One graph and its uninterrupted ranking, without checkpoints, for all tests.
const rank_ckpt::Reference& reference() {
  static const rank_ckpt::Reference r({}, eigentrust());
  return r;
}

// A rank run with a run directory of its own, on the reference graph.
using RankRun = rank_ckpt::RankRun<reference, eigentrust>;

TEST(RankCheckpoint, CheckpointingLeavesTheResultsUnchanged) {
  RankRun r;
  ASSERT_EQ(r.rank({"--checkpoint-every", "100", "--keep-checkpoints", "2"}), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results);
  const std::int64_t n = iterations_of(reference().results);
  ASSERT_GT(n, 200);
  const std::set<std::string> want{"ckpt-i" + std::to_string(n / 100 * 100) + ".h5",
                                   "ckpt-i" + std::to_string(n) + ".h5"};  // the last kept, and the final one
  EXPECT_EQ(rank_ckpt::checkpoint_names(r.run), want);
  const io::CheckpointReader c((r.run / "checkpoints" / ("ckpt-i" + std::to_string(n) + ".h5")).string());
  EXPECT_EQ(c.header().kind, "rank eigentrust");
  EXPECT_EQ(c.header().epoch, n);
  EXPECT_NE(c.header().config_text.find("restart_probability = 0.02"), std::string::npos) << c.header().config_text;
  EXPECT_NO_THROW(c.verify());
  const auto ls = cli::run("checkpoint ls --json " + r.run.string(), r.dir.path());
  ASSERT_EQ(ls.rc, 0) << ls.err;
  EXPECT_EQ(nlohmann::json::parse(ls.out)["checkpoints"][1]["kind"], "rank eigentrust") << ls.out;
}

TEST(RankCheckpoint, ExtendingMaxIterationsAcrossTheGatherSwitchIsBitwiseIdentical) {
  RankRun r;
  // 20 iterations: still gathering in float32; 100: in float64 (the residual passed 1e-7); then to convergence.
  for (const char* limit : {"20", "100"}) {
    Iteration it;
    it.max_iterations = limit;
    ASSERT_EQ(r.rank({}, it), 0) << r.err();  // not converged is reported, not an error
    EXPECT_EQ(iterations_of(r.out), std::stoll(limit));
  }
  const auto float32_gather = [&](const char* name) {
    std::uint8_t flag = 9;
    io::CheckpointReader((r.run / "checkpoints" / name).string())
        .read("/state/float32_gather", io::ElementType::uint8, 1,
              [&](std::int64_t, std::int64_t, const void* src) { flag = *static_cast<const std::uint8_t*>(src); });
    return flag;
  };
  EXPECT_EQ(float32_gather("ckpt-i20.h5"), 1);
  EXPECT_EQ(float32_gather("ckpt-i100.h5"), 0);
  ASSERT_EQ(r.rank(), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, reference().results);
  ASSERT_EQ(r.rank(), 0) << r.err();  // resuming a finished run rewrites the same results
  rank_ckpt::expect_same_results(r.out, reference().results);
}

TEST(RankCheckpoint, SignalsFinishTheIterationCheckpointAndExit75ThenResumeIsBitwiseIdentical) {
  for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    SCOPED_TRACE(sig);
    RankRun r;
    const std::int64_t newest = rank_ckpt::stop_by_signal(r.args({"--checkpoint-every", "1"}), r.dir.path(), r.run, r.out, sig);
    EXPECT_LT(newest, iterations_of(reference().results));
    ASSERT_EQ(r.rank(), 0) << r.err();
    rank_ckpt::expect_same_results(r.out, reference().results);
    rank_ckpt::expect_metrics_log(r.run, r.out, "eigentrust");
  }
}

TEST(RankCheckpoint, ASecondSignalExitsAtOnce) {
  RankRun r;
  Iteration endless;
  endless.tolerance = "0";
  endless.max_iterations = "100000000";
  const pid_t pid = ckpt::spawn(r.args({"--checkpoint-every", "1"}, endless), r.dir.path());
  ASSERT_TRUE(wait_for_checkpoint(r.run));
  kill(pid, SIGTERM);
  kill(pid, SIGINT);  // another signal: two of the same kind may merge while pending
  const int rc = ckpt::wait_for(pid);
  EXPECT_TRUE(rc == 128 + SIGTERM || rc == 128 + SIGINT) << rc;
}

TEST(RankCheckpoint, MaxWalltimeStopsWithACheckpoint) {
  RankRun r;
  Iteration endless;
  endless.tolerance = "0";
  endless.max_iterations = "100000000";
  ASSERT_EQ(r.rank({"--checkpoint-every", "0", "--max-walltime", "1s"}, endless), 75) << r.err();
  EXPECT_NE(r.err().find("--max-walltime 1s would be exceeded"), std::string::npos) << r.err();
  EXPECT_EQ(rank_ckpt::checkpoint_names(r.run).size(), 1u);
  EXPECT_EQ(r.rank({"--max-walltime", "soon"}), 64);
}

TEST(RankCheckpoint, ChangedOptionsAreRefusedUnlessAllowed) {
  RankRun r;
  Iteration short_run;
  short_run.max_iterations = "50";
  ASSERT_EQ(r.rank({}, short_run), 0) << r.err();
  Iteration other = short_run;
  other.restart = "0.03";
  EXPECT_EQ(r.rank({}, other), 78);
  EXPECT_NE(r.err().find("configuration differs"), std::string::npos) << r.err();
  EXPECT_NE(r.err().find("checkpoint has 'restart_probability = 0.02'"), std::string::npos) << r.err();
  EXPECT_EQ(r.rank({"--gather-precision", "float64"}, short_run), 78);
  EXPECT_NE(r.err().find("gather_precision"), std::string::npos) << r.err();
  Iteration fewer;
  fewer.max_iterations = "20";
  EXPECT_EQ(r.rank({}, fewer), 78);  // a checkpoint beyond the run's iterations
  EXPECT_NE(r.err().find("raise --max-iterations"), std::string::npos) << r.err();
  EXPECT_FALSE(fs::exists(r.out) && iterations_of(r.out) != 50);  // the refused runs wrote nothing
  other.max_iterations = "60";
  EXPECT_EQ(r.rank({"--allow-config-change"}, other), 0) << r.err();
  EXPECT_EQ(iterations_of(r.out), 60);
}

TEST(RankCheckpoint, ASourceBlockedRunResumesBitwiseAndAChangedBlockSizeIsRefused) {
  // Cᵀ in five source blocks of 4096 agents (kernels::SourceBlocks): a run
  // stopped at 50 iterations and resumed ends byte for byte as the same run
  // uninterrupted; resuming with another block size (other bits) is refused.
  RankRun r;
  const std::vector<std::string> blocked{"--cpu-block-agents", "4096"};
  const fs::path whole = r.dir.path() / "whole.h5";
  ASSERT_EQ(ckpt::run_child(rank_args(reference().graph, whole, "", blocked), r.dir.path()), 0) << r.err();
  Iteration short_run;
  short_run.max_iterations = "50";
  ASSERT_EQ(r.rank(blocked, short_run), 0) << r.err();
  EXPECT_EQ(r.rank({"--cpu-block-agents", "8192"}), 78);
  EXPECT_NE(r.err().find("cpu_block_agents"), std::string::npos) << r.err();
  ASSERT_EQ(r.rank(blocked), 0) << r.err();
  rank_ckpt::expect_same_results(r.out, whole);
  const auto plain = ckpt::deterministic_datasets(reference().results);
  EXPECT_FALSE(plain.at("trust/eigentrust") == ckpt::deterministic_datasets(whole).at("trust/eigentrust"))
      << "the blocked sums should round differently from the plain ones";
}

TEST(RankCheckpoint, ChangedGraphIsRefused) {
  cli::TempDir dir;
  const fs::path graph = rank_ckpt::write_graph(dir.path(), 3), run = dir.path() / "run", out = dir.path() / "o.h5";
  Iteration short_run;
  short_run.max_iterations = "20";
  ASSERT_EQ(ckpt::run_child(rank_args(graph, out, run, {}, short_run), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  rank_ckpt::write_graph(dir.path(), 4);  // another city at the same path
  short_run.max_iterations = "30";
  EXPECT_EQ(ckpt::run_child(rank_args(graph, out, run, {}, short_run), dir.path()), 65);
  EXPECT_NE(ckpt::child_stderr(dir.path()).find("the graph differs"), std::string::npos)
      << ckpt::child_stderr(dir.path());
}

TEST(RankCheckpoint, ACheckpointOfAnotherKindOfRunIsRefused) {
  cli::TempDir dir;
  const fs::path config = ckpt::write_config(dir.path(), 1), sim = dir.path() / "sim";
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, sim), dir.path()), 0) << ckpt::child_stderr(dir.path());
  RankRun r;
  EXPECT_EQ(r.rank({"--resume", (sim / "checkpoints" / "ckpt-e1.h5").string()}), 65);
  EXPECT_NE(r.err().find("a checkpoint of simulate"), std::string::npos) << r.err();
  EXPECT_EQ(r.rank({"--resume", (sim / "missing.h5").string()}), 66);
}

TEST(RankCheckpoint, ATrustVectorThatIsNoDistributionIsRefused) {
  RankRun r;
  Iteration short_run;
  short_run.max_iterations = "20";
  ASSERT_EQ(r.rank({}, short_run), 0) << r.err();
  const io::CheckpointReader good(r.checkpoint(20).string());
  auto trust = host::to_vector<double>(good, "/state/trust", good.size("/state/trust"));
  for (double& t : trust) t *= 1000;  // still finite and >= 0
  const fs::path bad = r.dir.path() / "bad.h5";
  io::write_checkpoint(bad.string(), good.header(),
                       {host::from_vector("/state/trust", trust),
                        host::from_vector("/state/float32_gather", host::to_vector<std::uint8_t>(good, "/state/float32_gather", 1)),
                        host::from_vector("/record/residuals", host::to_vector<double>(good, "/record/residuals", 20))});
  fs::remove(r.out);
  Iteration longer;
  longer.max_iterations = "30";
  EXPECT_EQ(r.rank({"--resume", bad.string()}, longer), 65);
  EXPECT_NE(r.err().find(bad.string() + ": dataset /state/trust: the vector sums to 1000"), std::string::npos) << r.err();
  EXPECT_FALSE(fs::exists(r.out));
}

TEST(RankCheckpoint, OptionsNeedARunDirectoryAndAModelThatCheckpoints) {
  RankRun r;
  const fs::path g = reference().graph;
  EXPECT_EQ(cli::run("rank " + g.string() + " --resume auto -o " + r.out.string(), r.dir.path()).rc, 64);
  const auto sr = cli::run("rank " + g.string() + " --model sybilrank --run-dir " + r.run.string() + " -o " +
                               r.out.string(),
                           r.dir.path());
  EXPECT_EQ(sr.rc, 64);
  EXPECT_NE(sr.err.find("--model eigentrust, personalized and fairness-goodness only"), std::string::npos) << sr.err;
}

}  // namespace

TEST(RankCheckpoint, AValueFreeRunResumesBitwiseAcrossTheGatherSwitch) {
  // An unweighted R-MAT graph: Cᵀ is value-free and the gather reads
  // float32(t/d), then t/d in double (kernels/eigentrust.hpp); a resume
  // rebuilds either copy from t. Stops at 10 iterations (float32) and 60
  // (float64: the residual passes 1e-7 near 16 at a = 0.05; ~150 in all).
  cli::TempDir dir;
  const fs::path graph = dir.path() / "rmat.h5", reference = dir.path() / "reference.h5", out = dir.path() / "out.h5";
  const auto g = cli::run("generate rmat --scale 12 --edge-factor 8 --seed 5 --weights one -o " + graph.string(),
                          dir.path());
  ASSERT_EQ(g.rc, 0) << g.err;
  Iteration it;
  it.restart = "0.05";
  ASSERT_EQ(ckpt::run_child(rank_args(graph, reference, "", {}, it), dir.path()), 0) << ckpt::child_stderr(dir.path());
  ASSERT_GT(iterations_of(reference), 60);
  const fs::path run = dir.path() / "run";
  for (const char* limit : {"10", "60"}) {
    it.max_iterations = limit;
    ASSERT_EQ(ckpt::run_child(rank_args(graph, out, run, {}, it), dir.path()), 0) << ckpt::child_stderr(dir.path());
    EXPECT_EQ(iterations_of(out), std::stoll(limit));
  }
  const auto float32_gather = [&](const std::string& name) {
    std::uint8_t flag = 9;
    io::CheckpointReader((run / "checkpoints" / name).string())
        .read("/state/float32_gather", io::ElementType::uint8, 1,
              [&](std::int64_t, std::int64_t, const void* src) { flag = *static_cast<const std::uint8_t*>(src); });
    return flag;
  };
  EXPECT_EQ(float32_gather("ckpt-i10.h5"), 1);
  EXPECT_EQ(float32_gather("ckpt-i60.h5"), 0);
  it.max_iterations = "5000";
  ASSERT_EQ(ckpt::run_child(rank_args(graph, out, run, {}, it), dir.path()), 0) << ckpt::child_stderr(dir.path());
  rank_ckpt::expect_same_results(out, reference);
  const auto info = cli::run("--device cpu rank " + graph.string() + " --max-iterations 1 -o " +
                                 (dir.path() / "one.h5").string(),
                             dir.path());
  EXPECT_NE(info.out.find("transition  value-free"), std::string::npos) << info.out;
}
