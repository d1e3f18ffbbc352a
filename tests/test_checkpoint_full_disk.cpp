// A genuinely full disk (docs/checkpoint.md "Tests"): the run directory is
// on a small tmpfs mounted for this test only (a private mount namespace,
// unshare(2): the mount is invisible outside this process and its
// children, and disappears with them), filled up with a file until a
// checkpoint no longer fits. The write must fail with ENOSPC reported as
// exit 74, leave no half-written checkpoint, and keep the earlier ones
// valid; with room again the run goes on as if nothing had happened. Where
// no tmpfs can be mounted (no CAP_SYS_ADMIN, no user namespaces) the tests
// skip and say why. tests/test_checkpoint.cpp keeps the simulated full disk
// (RLIMIT_FSIZE), which needs no privileges.
#include <gtest/gtest.h>

#include "io/checkpoint_file.hpp"
#include "private_tmpfs.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename());
  return names;
}

TEST(CheckpointFullDisk, SimulateExits74AndKeepsEarlierCheckpoints) {
  cli::TempDir dir;
  PrivateTmpfs disk(dir.path() / "disk", 32 << 20);
  if (!disk.problem().empty()) GTEST_SKIP() << "cannot mount a tmpfs to fill up: " << disk.problem();
  const fs::path config = ckpt::write_config(dir.path(), 3), run = dir.path() / "disk" / "run";
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, run), dir.path()), 0) << ckpt::child_stderr(dir.path());
  const std::set<std::string> before = names_in(run / "checkpoints");
  ASSERT_EQ(before, (std::set<std::string>{"ckpt-e1.h5", "ckpt-e2.h5", "ckpt-e3.h5"}));
  const std::uintmax_t checkpoint_bytes = fs::file_size(run / "checkpoints" / "ckpt-e3.h5");

  // Room for the epoch's metrics line and the results file's header, not for a checkpoint.
  disk.fill_leaving(checkpoint_bytes / 4);
  EXPECT_EQ(ckpt::run_child(ckpt::simulate_args(config, run, {"--epochs", "6", "--resume", "auto"}), dir.path()), 74);
  const std::string err = ckpt::child_stderr(dir.path());
  EXPECT_NE(err.find("ckpt-e4.h5"), std::string::npos) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_EQ(names_in(run / "checkpoints"), before);  // no half-written checkpoint, the earlier ones kept
  const auto verify = cli::run("checkpoint verify " + run.string(), dir.path());
  EXPECT_EQ(verify.rc, 0) << verify.out << verify.err;

  // With room again the run goes on from epoch 3 and ends as an uninterrupted run.
  disk.make_room();
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, run, {"--epochs", "6", "--resume", "auto"}), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const fs::path config6 = ckpt::write_config(dir.path() / "disk", 6), reference = dir.path() / "reference";
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config6, reference), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  EXPECT_EQ(ckpt::deterministic_metrics(run), ckpt::deterministic_metrics(reference));
  EXPECT_TRUE(ckpt::deterministic_datasets(run / "results.h5") == ckpt::deterministic_datasets(reference / "results.h5"));
}

// A rank run (of `it.model`, with its own options in `model_args`) fills
// the disk at its third checkpoint: exit 74, the first two intact and no
// results; with room again it ends as an uninterrupted run, byte for byte.
void rank_fills_the_disk(std::vector<std::string> model_args, rank_ckpt::Iteration it) {
  cli::TempDir dir;
  PrivateTmpfs disk(dir.path() / "disk", 8 << 20);
  if (!disk.problem().empty()) GTEST_SKIP() << "cannot mount a tmpfs to fill up: " << disk.problem();
  const fs::path graph = rank_ckpt::write_graph(dir.path());
  // The results beside the disk: the --full block's own room is checked
  // before the run starts (tests/test_results_disk_room.cpp).
  const fs::path run = dir.path() / "disk" / "run", out = dir.path() / "out.h5";
  rank_ckpt::Iteration first = it;
  first.max_iterations = "40";
  std::vector<std::string> every = model_args;
  every.insert(every.end(), {"--checkpoint-every", "20"});
  ASSERT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, out, run, every, first), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const std::set<std::string> before = names_in(run / "checkpoints");
  ASSERT_EQ(before, (std::set<std::string>{"ckpt-i20.h5", "ckpt-i40.h5"}));
  fs::remove(out);

  disk.fill_leaving(fs::file_size(run / "checkpoints" / "ckpt-i40.h5") / 4);
  EXPECT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, out, run, every, it), dir.path()), 74);
  const std::string err = ckpt::child_stderr(dir.path());
  EXPECT_NE(err.find("ckpt-i60.h5"), std::string::npos) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_EQ(names_in(run / "checkpoints"), before);
  EXPECT_FALSE(fs::exists(out));
  for (const std::string& name : before)
    EXPECT_NO_THROW(io::CheckpointReader((run / "checkpoints" / name).string()).verify()) << name;

  disk.make_room();
  ASSERT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, out, run, every, it), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  const fs::path reference = dir.path() / "reference.h5";
  ASSERT_EQ(ckpt::run_child(rank_ckpt::rank_args(graph, reference, "", model_args, it), dir.path()), 0)
      << ckpt::child_stderr(dir.path());
  rank_ckpt::expect_same_results(out, reference, it.model);
}

TEST(CheckpointFullDisk, RankExits74AndKeepsEarlierCheckpoints) { rank_fills_the_disk({}, {}); }

TEST(CheckpointFullDisk, PersonalizedRankExits74AndKeepsEarlierCheckpoints) {
  rank_ckpt::Iteration it;
  it.model = "personalized";
  it.tolerance = "1e-12";
  rank_fills_the_disk({"--seeds", "5,1234,9876,15000", "--full"}, it);
}

}  // namespace
