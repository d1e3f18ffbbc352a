// Checkpoint and restart (docs/checkpoint.md): the file format round trip
// and its corruption checks, resume with bitwise-identical continuation,
// refusal of changed configurations and graphs, signals and --max-walltime
// (exit 75), `trustprop checkpoint ls|verify`, and a failing disk (exit 74,
// earlier checkpoints intact). The kill -9 test is test_checkpoint_kill.cpp.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "checkpoint_test_support.hpp"
#include "common/error.hpp"
#include "host/checkpointing.hpp"
#include "io/checkpoint_file.hpp"
#include "io/h5.hpp"

namespace {

using namespace trustprop;
using namespace trustprop::testing;
namespace fs = std::filesystem;

// --- the file format ------------------------------------------------------

io::CheckpointHeader sample_header() {
  io::CheckpointHeader h;
  h.epoch = 12;
  h.seed = 99;
  h.config_text = "[run]\nepochs = 20\n";
  h.config_hash = "xxh3:0000000000000001";
  h.graph = "g.h5";
  h.graph_hash = "xxh3:0000000000000002";
  h.backend = "cpu";
  h.device = "test";
  return h;
}

// Writes a checkpoint of a float dataset spanning several blocks and a small uint8 one.
fs::path write_sample(const fs::path& dir, std::vector<float>& big, std::vector<std::uint8_t>& small,
                      const std::string& kind = "simulate") {
  big.resize(3 * io::checkpoint_block_bytes / sizeof(float) + 1234);
  std::iota(big.begin(), big.end(), 0.5f);
  small = {0, 1, 1, 0, 1};
  const fs::path path = dir / "ckpt-e12.h5";
  io::CheckpointHeader header = sample_header();
  header.kind = kind;
  io::write_checkpoint(path.string(), header,
                       {{"/state/big", io::ElementType::float32, static_cast<std::int64_t>(big.size()),
                         [&](std::int64_t off, std::int64_t n, void* dst) {
                           std::memcpy(dst, big.data() + off, static_cast<std::size_t>(n) * sizeof(float));
                         }},
                        {"/state/small", io::ElementType::uint8, static_cast<std::int64_t>(small.size()),
                         [&](std::int64_t off, std::int64_t n, void* dst) {
                           std::memcpy(dst, small.data() + off, static_cast<std::size_t>(n));
                         }}});
  return path;
}

// The file offset of a dataset's raw data (checkpoint datasets are contiguous).
std::uint64_t data_address(const fs::path& file, const std::string& dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t ds = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const haddr_t addr = H5Dget_offset(ds);
  H5Dclose(ds);
  EXPECT_TRUE(addr > 0 && addr != HADDR_UNDEF) << file << ": " << dataset;
  H5Fclose(f);
  return addr;
}

void flip_bit(const fs::path& file, std::uint64_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(c);
}

// Rewrites (or with value < 0 deletes) an int64 root attribute, as a damaged or foreign writer would.
void set_root_int(const fs::path& file, const char* name, std::int64_t value) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete(f, name);
  if (value >= 0) {
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(f, name, H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &value);
    H5Aclose(a);
    H5Sclose(space);
  }
  H5Fclose(f);
}

template <class F>
std::string data_error(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

TEST(CheckpointFile, RoundTripStreamsEveryBlockAndVerifies) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  EXPECT_EQ(dir.entries(), std::set<std::string>{"ckpt-e12.h5"});  // no temporary left

  io::CheckpointReader r(path.string());
  EXPECT_EQ(r.header().epoch, 12);
  EXPECT_EQ(r.header().seed, 99u);
  EXPECT_EQ(r.header().config_text, "[run]\nepochs = 20\n");
  EXPECT_EQ(r.header().backend, "cpu");
  EXPECT_FALSE(r.header().version.empty());
  EXPECT_NO_THROW(r.verify());
  std::vector<float> back(big.size());
  std::int64_t blocks = 0;
  r.read("/state/big", io::ElementType::float32, static_cast<std::int64_t>(big.size()),
         [&](std::int64_t off, std::int64_t n, const void* src) {
           std::memcpy(back.data() + off, src, static_cast<std::size_t>(n) * sizeof(float));
           ++blocks;
         });
  EXPECT_EQ(back, big);
  EXPECT_EQ(blocks, 4);
  EXPECT_NE(data_error([&] { r.read("/state/small", io::ElementType::float64, -1, nullptr); })
                .find("dataset /state/small has element type uint8, expected float64"),
            std::string::npos);
  EXPECT_NE(data_error([&] { r.read("/state/small", io::ElementType::uint8, 6, nullptr); }).find("expected 6"),
            std::string::npos);
}

TEST(CheckpointFile, BitFlipInDataIsDetectedNamingTheDataset) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  flip_bit(path, data_address(path, "/state/big") + 5 * io::checkpoint_block_bytes / 2);
  io::CheckpointReader r(path.string());  // the structure is intact
  const std::string e = data_error([&] { r.verify(); });
  EXPECT_NE(e.find(path.string()), std::string::npos) << e;
  EXPECT_NE(e.find("dataset /state/big: checksum mismatch"), std::string::npos) << e;
}

TEST(CheckpointFile, TruncatedFileIsDetected) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  fs::resize_file(path, fs::file_size(path) / 2);
  const std::string e = data_error([&] { io::CheckpointReader(path.string()).verify(); });
  EXPECT_NE(e.find(path.string()), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST(CheckpointFile, MissingCompleteMarkIsDetected) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  set_root_int(path, "complete", -1);
  const std::string e = data_error([&] { io::CheckpointReader r(path.string()); });
  EXPECT_NE(e.find("incomplete checkpoint"), std::string::npos) << e;
}

TEST(CheckpointFile, WrongFormatVersionIsDetected) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  set_root_int(path, "trustprop.format_version", 2);
  const std::string e = data_error([&] { io::CheckpointReader r(path.string()); });
  EXPECT_NE(e.find("checkpoint format version 2"), std::string::npos) << e;
  EXPECT_NE(e.find("reads version 1"), std::string::npos) << e;
}

TEST(CheckpointFile, ChangedHeaderIsDetected) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  set_root_int(path, "epoch", 13);
  const std::string e = data_error([&] { io::CheckpointReader(path.string()).verify(); });
  EXPECT_NE(e.find("root attribute checksum does not match"), std::string::npos) << e;
}

TEST(CheckpointFile, AFileWithoutAKindIsASimulateCheckpointAndTheKindIsChecksummed) {
  cli::TempDir dir;
  std::vector<float> big;
  std::vector<std::uint8_t> small;
  const fs::path path = write_sample(dir.path(), big, small);
  EXPECT_EQ(io::CheckpointReader(path.string()).header().kind, "simulate");
  set_root_int(path, "trustprop.checkpoint_kind", -1);  // as the first simulate checkpoints were written
  const io::CheckpointReader old(path.string());
  EXPECT_EQ(old.header().kind, "simulate");
  EXPECT_NO_THROW(old.verify());

  fs::create_directory(dir.path() / "rank");
  const fs::path rank = write_sample(dir.path() / "rank", big, small, "rank eigentrust");
  EXPECT_EQ(io::CheckpointReader(rank.string()).header().kind, "rank eigentrust");
  set_root_int(rank, "trustprop.checkpoint_kind", -1);  // passing a rank checkpoint off as a simulation's
  const std::string e = data_error([&] { io::CheckpointReader(rank.string()).verify(); });
  EXPECT_NE(e.find("root attribute checksum does not match"), std::string::npos) << e;
}

TEST(CheckpointFile, OtherFilesAreNotCheckpoints) {
  const std::string e = data_error([] { io::CheckpointReader r(cli::kBad + "/control_valid.h5"); });
  EXPECT_NE(e.find("not a trustprop checkpoint"), std::string::npos) << e;
}

TEST(CheckpointFile, WriteFailureLeavesNothing) {
  cli::TempDir dir;
  EXPECT_THROW(io::write_checkpoint((dir.path() / "missing" / "c.h5").string(), sample_header(), {}), IoError);
  EXPECT_TRUE(dir.entries().empty());
}

// --- resume end to end ----------------------------------------------------

struct SimRun {
  cli::TempDir dir;
  fs::path config, run;
  explicit SimRun(std::int64_t epochs, std::int64_t every = 1, const std::string& extra = "")
      : config(ckpt::write_config(dir.path(), epochs, every, extra)), run(dir.path() / "run") {}
  // With --resume auto unless `extra` says otherwise.
  int simulate(std::vector<std::string> extra = {}) const {
    if (std::find(extra.begin(), extra.end(), "--resume") == extra.end())
      extra.insert(extra.end(), {"--resume", "auto"});
    return ckpt::run_child(ckpt::simulate_args(config, run, std::move(extra)), dir.path());
  }
  std::string err() const { return ckpt::child_stderr(dir.path()); }
  cli::RunResult cli(const std::string& args) const { return cli::run(args, dir.path()); }
};

void expect_same_outputs(const fs::path& a, const fs::path& b) {
  EXPECT_EQ(ckpt::deterministic_metrics(a), ckpt::deterministic_metrics(b));
  const auto da = ckpt::deterministic_datasets(a / "results.h5"), db = ckpt::deterministic_datasets(b / "results.h5");
  ASSERT_FALSE(da.empty());
  EXPECT_EQ(da.size(), db.size());
  for (const auto& [name, bytes] : da) {
    ASSERT_TRUE(db.count(name)) << name;
    EXPECT_TRUE(bytes == db.at(name)) << name << " differs";
  }
}

const SimRun& reference() {  // 9 epochs, uninterrupted
  static const SimRun r = [] {
    SimRun x(9);
    EXPECT_EQ(x.simulate(), 0) << x.err();
    return x;
  }();
  return r;
}

TEST(CheckpointResume, WritesCheckpointsAndKeepsTheNewestK) {
  const SimRun& ref = reference();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ref.run / "checkpoints")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-e7.h5", "ckpt-e8.h5", "ckpt-e9.h5"}));
}

TEST(CheckpointResume, ExtendingARunEqualsRunningItAtOnce) {
  SimRun r(5);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  ASSERT_EQ(r.simulate({"--epochs", "9"}), 0) << r.err();
  expect_same_outputs(r.run, reference().run);
}

TEST(CheckpointResume, ResumingAFinishedRunRewritesTheSameOutputs) {
  SimRun r(9, 4);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  ASSERT_EQ(r.simulate({"--resume", "auto"}), 0) << r.err();
  expect_same_outputs(r.run, reference().run);
}

TEST(CheckpointResume, OlderCheckpointDropsLaterMetricLines) {
  SimRun r(9);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  const fs::path old = r.run / "checkpoints" / "ckpt-e7.h5";
  ASSERT_EQ(r.simulate({"--resume", old.string()}), 0) << r.err();
  expect_same_outputs(r.run, reference().run);
  EXPECT_EQ(ckpt::deterministic_metrics(r.run).size(), 9u);
}

TEST(CheckpointResume, CorruptNewestFallsBackToAnOlderOneWithAWarning) {
  SimRun r(9);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  const fs::path newest = r.run / "checkpoints" / "ckpt-e9.h5";
  flip_bit(newest, data_address(newest, "/state/r") + 100);
  fs::resize_file(r.run / "checkpoints" / "ckpt-e8.h5", 4000);
  ASSERT_EQ(r.simulate(), 0) << r.err();  // warnings show at --log-level warn
  const std::string err = r.err();
  EXPECT_NE(err.find("ckpt-e9.h5: dataset /state/r: checksum mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find("ckpt-e8.h5"), std::string::npos) << err;
  expect_same_outputs(r.run, reference().run);
}

TEST(CheckpointResume, NamedCorruptCheckpointIsRefused) {
  SimRun r(3);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  const fs::path c = r.run / "checkpoints" / "ckpt-e3.h5";
  set_root_int(c, "complete", -1);
  EXPECT_EQ(r.simulate({"--resume", c.string()}), 65);
  EXPECT_NE(r.err().find("incomplete checkpoint"), std::string::npos) << r.err();
  EXPECT_EQ(r.simulate({"--resume", (r.run / "nope.h5").string()}), 66);
}

TEST(CheckpointResume, AllInvalidIsRefusedRatherThanStartingAfresh) {
  SimRun r(2);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  for (const auto& e : fs::directory_iterator(r.run / "checkpoints"))
    set_root_int(e.path(), "trustprop.format_version", 9);
  EXPECT_EQ(r.simulate(), 65);
  EXPECT_NE(r.err().find("none of the 2 checkpoints"), std::string::npos) << r.err();
  EXPECT_EQ(r.simulate({"--resume", "never"}), 0) << r.err();  // starts afresh, replacing them
  EXPECT_NE(r.err().find("deleted the 2 checkpoints"), std::string::npos) << r.err();
}

TEST(CheckpointResume, ChangedConfigurationIsRefusedUnlessAllowed) {
  SimRun r(2);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  const std::string before = cli::slurp(r.run / "config.toml");
  std::ofstream(r.config, std::ios::app) << "[interaction]\ncost = 1.5\n";
  EXPECT_EQ(r.simulate({"--epochs", "3"}), 78);
  EXPECT_NE(r.err().find("configuration differs"), std::string::npos) << r.err();
  EXPECT_NE(r.err().find("cost = 1.5"), std::string::npos) << r.err();
  EXPECT_EQ(cli::slurp(r.run / "config.toml"), before);  // nothing changed in the run directory
  EXPECT_EQ(r.simulate({"--epochs", "3", "--allow-config-change"}), 0) << r.err();
  EXPECT_EQ(ckpt::deterministic_metrics(r.run).size(), 3u);
}

TEST(CheckpointResume, ChangedGraphIsRefused) {
  cli::TempDir dir;
  const fs::path graph = dir.path() / "g.h5";
  ASSERT_EQ(cli::run("generate city --agents 1000 --seed 1 -o " + graph.string(), dir.path()).rc, 0);
  const fs::path config = dir.path() / "c.toml";
  std::ofstream(config) << "[run]\nepochs = 2\n[graph]\npath = \"" << graph.string() << "\"\n";
  const fs::path run = dir.path() / "run";
  ASSERT_EQ(ckpt::run_child(ckpt::simulate_args(config, run), dir.path()), 0) << ckpt::child_stderr(dir.path());
  ASSERT_EQ(cli::run("generate city --agents 1000 --seed 2 -o " + graph.string(), dir.path()).rc, 0);
  EXPECT_EQ(ckpt::run_child(ckpt::simulate_args(config, run, {"--epochs", "3", "--resume", "auto"}), dir.path()),
            65);
  EXPECT_NE(ckpt::child_stderr(dir.path()).find("the graph differs"), std::string::npos)
      << ckpt::child_stderr(dir.path());
}

// --- stops ----------------------------------------------------------------

// Waits until metrics.jsonl has `lines` lines (the run is in its epochs, signal handlers installed).
bool wait_for_epochs(const fs::path& run, std::size_t lines) {
  for (int k = 0; k < 6000; ++k) {
    std::ifstream in(run / "metrics.jsonl");
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    if (n >= lines) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(CheckpointStop, SignalsFinishTheEpochCheckpointAndExit75) {
  for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    SCOPED_TRACE(sig);
    SimRun r(100000, 0);
    const pid_t pid = ckpt::spawn(ckpt::simulate_args(r.config, r.run), r.dir.path());
    ASSERT_TRUE(wait_for_epochs(r.run, 2));
    kill(pid, sig);
    ASSERT_EQ(ckpt::wait_for(pid), 75) << r.err();
    EXPECT_NE(r.err().find("resume with --resume auto"), std::string::npos) << r.err();
    const auto all = ckpt::deterministic_metrics(r.run);
    ASSERT_GE(all.size(), 2u);
    const fs::path c = r.run / "checkpoints" / ("ckpt-e" + std::to_string(all.size()) + ".h5");
    ASSERT_TRUE(fs::exists(c)) << c;
    EXPECT_NO_THROW(io::CheckpointReader(c.string()).verify());
    EXPECT_FALSE(fs::exists(r.run / "results.h5"));
  }
}

TEST(CheckpointStop, ASecondSignalExitsAtOnce) {
  SimRun r(100000, 0);
  const pid_t pid = ckpt::spawn(ckpt::simulate_args(r.config, r.run), r.dir.path());
  ASSERT_TRUE(wait_for_epochs(r.run, 1));
  kill(pid, SIGTERM);
  kill(pid, SIGINT);  // another signal: two of the same kind may merge while pending
  const int rc = ckpt::wait_for(pid);
  EXPECT_TRUE(rc == 128 + SIGTERM || rc == 128 + SIGINT) << rc;
}

TEST(CheckpointStop, MaxWalltimeStopsWithACheckpoint) {
  SimRun r(100000, 0);
  ASSERT_EQ(r.simulate({"--max-walltime", "2s"}), 75) << r.err();
  EXPECT_NE(r.err().find("--max-walltime 2s"), std::string::npos) << r.err();
  EXPECT_EQ(ckpt::list_size(r.run), 1u);
  EXPECT_EQ(r.simulate({"--max-walltime", "soon"}), 64);
}

// --- checkpoint ls | verify -----------------------------------------------

TEST(CheckpointCommand, ListsAndVerifies) {
  SimRun r(4);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  auto ls = r.cli("checkpoint ls --json " + r.run.string());
  ASSERT_EQ(ls.rc, 0) << ls.err;
  const auto j = nlohmann::json::parse(ls.out);
  ASSERT_EQ(j["checkpoints"].size(), 3u);
  EXPECT_EQ(j["checkpoints"][0]["epoch"], 2);
  EXPECT_EQ(j["checkpoints"][2]["epoch"], 4);
  EXPECT_EQ(j["checkpoints"][2]["status"], "complete");
  EXPECT_GT(j["checkpoints"][2]["bytes"].get<std::int64_t>(), 0);
  auto ok = r.cli("checkpoint verify " + r.run.string());
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.out.find("valid"), std::string::npos) << ok.out;

  const fs::path bad = r.run / "checkpoints" / "ckpt-e3.h5";
  flip_bit(bad, data_address(bad, "/state/trust") + 8);
  ls = r.cli("checkpoint ls " + r.run.string());
  EXPECT_EQ(ls.rc, 0) << ls.err;  // ls checks structure only
  auto v = r.cli("checkpoint verify --json " + r.run.string());
  EXPECT_EQ(v.rc, 65) << v.err;
  const auto vj = nlohmann::json::parse(v.out);
  EXPECT_EQ(vj["checkpoints"][1]["status"], "invalid");
  EXPECT_NE(vj["checkpoints"][1]["problem"].get<std::string>().find("dataset /state/trust: checksum mismatch"),
            std::string::npos)
      << v.out;
  EXPECT_EQ(vj["checkpoints"][0]["status"], "valid");
  EXPECT_EQ(r.cli("checkpoint verify " + (r.dir.path() / "none").string()).rc, 66);
}

// --- a failing disk -------------------------------------------------------

TEST(CheckpointDisk, WriteFailureExits74AndKeepsEarlierCheckpoints) {
  SimRun r(3);
  ASSERT_EQ(r.simulate(), 0) << r.err();
  // Every file capped at 64 KiB: the next checkpoint (~1 MB) fails to write, as on a full disk.
  EXPECT_EQ(ckpt::run_child(ckpt::simulate_args(r.config, r.run, {"--epochs", "6", "--resume", "auto"}),
                            r.dir.path(), 64 << 10),
            74);
  EXPECT_NE(r.err().find("ckpt-e4.h5"), std::string::npos) << r.err();
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(r.run / "checkpoints")) names.insert(e.path().filename());
  EXPECT_EQ(names, (std::set<std::string>{"ckpt-e1.h5", "ckpt-e2.h5", "ckpt-e3.h5"}));  // no temporary left
  EXPECT_EQ(r.cli("checkpoint verify " + r.run.string()).rc, 0);
  // With room again the run goes on from epoch 3 as if nothing had happened.
  ASSERT_EQ(r.simulate({"--epochs", "9"}), 0) << r.err();
  expect_same_outputs(r.run, reference().run);
}

TEST(CheckpointDisk, RunDirectoryThatCannotBeCreatedExits74) {
  cli::TempDir dir;
  const fs::path config = ckpt::write_config(dir.path(), 2);
  std::ofstream(dir.path() / "file") << "x";
  EXPECT_EQ(ckpt::run_child(ckpt::simulate_args(config, dir.path() / "file" / "run"), dir.path()), 74);
  EXPECT_NE(ckpt::child_stderr(dir.path()).find("cannot create the run directory"), std::string::npos);
}

// The temporaries of a process that was killed but not yet reaped (a
// zombie, as mpirun leaves them for a while) are stale: it writes no more.
// Those of a live process, and files that are no temporaries, stay.
TEST(CheckpointTemporaries, ThoseOfAZombieAreRemovedThoseOfALiveProcessKept) {
  cli::TempDir dir;
  const pid_t zombie = fork();
  ASSERT_GE(zombie, 0);
  if (zombie == 0) _exit(0);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);  // exited, not reaped
  const auto touch = [&](const std::string& name) { std::ofstream(dir.path() / name) << "x"; };
  const std::string of_zombie = "results.h5.tmp-" + std::to_string(zombie);
  const std::string of_live = "results.h5.tmp-" + std::to_string(getpid());
  touch(of_zombie);
  touch(of_live);
  touch("results.h5");
  host::remove_stale_temporaries_of(dir.path().string(), "results.h5.tmp-");
  EXPECT_FALSE(fs::exists(dir.path() / of_zombie));
  EXPECT_TRUE(fs::exists(dir.path() / of_live));
  EXPECT_TRUE(fs::exists(dir.path() / "results.h5"));
  waitpid(zombie, nullptr, 0);
}

}  // namespace
