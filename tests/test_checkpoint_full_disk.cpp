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
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "io/checkpoint_file.hpp"
#include "rank_checkpoint_test_support.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void write_file(const char* path, const std::string& text) {
  std::ofstream(path) << text;
}

// Gives this thread (and the processes it starts) a mount namespace of its
// own, as root or, failing that, through a user namespace. Returns "" or
// why it cannot.
std::string private_mount_namespace() {
  if (unshare(CLONE_NEWNS) == 0) return "";
  const std::string as_root = errno_text("unshare(CLONE_NEWNS)");
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return as_root + "; " + errno_text("unshare(CLONE_NEWUSER | CLONE_NEWNS)");
  write_file("/proc/self/setgroups", "deny");
  write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
  write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  return "";
}

// A tmpfs of `bytes` at `dir`, seen by this process and its children only.
class PrivateTmpfs {
 public:
  PrivateTmpfs(const fs::path& dir, std::size_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    problem_ = private_mount_namespace();
    if (problem_.empty() && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      problem_ = errno_text("mount --make-rprivate /");
    if (problem_.empty() &&
        mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + std::to_string(bytes)).c_str()) != 0)
      problem_ = errno_text(("mount -t tmpfs " + dir.string()).c_str());
    mounted_ = problem_.empty();
  }
  ~PrivateTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  // Why no tmpfs could be mounted; empty when it is.
  const std::string& problem() const { return problem_; }

  // Fills the file system with dir/filler until `leave` bytes are free.
  void fill_leaving(std::size_t leave) const {
    struct statvfs s {};
    ASSERT_EQ(statvfs(dir_.c_str(), &s), 0);
    const std::size_t free = static_cast<std::size_t>(s.f_bavail) * s.f_frsize;
    ASSERT_GT(free, leave);
    const int fd = ::open((dir_ / "filler").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(free - leave)), 0);
    ::close(fd);
  }
  void make_room() const { fs::remove(dir_ / "filler"); }

 private:
  fs::path dir_;
  std::string problem_;
  bool mounted_ = false;
};

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
  const fs::path run = dir.path() / "disk" / "run", out = dir.path() / "disk" / "out.h5";
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
