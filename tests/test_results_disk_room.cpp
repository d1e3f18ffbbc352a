// A results block larger than its disk is refused before computing: on a
// small tmpfs (tests/private_tmpfs.hpp), `rank --model personalized --full`
// and `--model signed` whose [k, n] block cannot fit end at once with exit
// 74, the bytes needed and available, and nothing left on that disk; the
// same runs without the block (top tables only) go through there. A file
// that outgrows the disk while it is written is exit 74 naming the output
// (not its temporary) and the system's reason.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.hpp"
#include "private_tmpfs.hpp"

using namespace trustprop::testing;
using namespace trustprop::testing::cli;

TEST(ResultsDiskRoom, ABlockLargerThanTheDiskIsRefusedBeforeComputing) {
  TempDir dir;
  PrivateTmpfs disk(dir.path() / "disk", 8 << 20);
  if (!disk.problem().empty()) GTEST_SKIP() << "cannot mount a tmpfs to fill up: " << disk.problem();
  const std::string graph = shell_quoted((dir.path() / "g.h5").string());
  ASSERT_EQ(run("generate city --agents 20000 -o " + graph, dir.path()).rc, 0);
  const std::string out = shell_quoted((dir.path() / "disk" / "out.h5").string());
  // 60 rows of 20,000 agents: 9.2 MiB, on an 8 MiB disk.
  const struct {
    std::string block, tops, what;
  } cases[] = {
      {"--model personalized --full --seeds " + id_list(60, 300), "--model personalized --seeds " + id_list(60, 300),
       "block of personalized trust"},
      {"--model signed --mode trust-only --steps 1 --sources " + id_list(60, 300),
       "--model signed --mode trust-only --steps 1 --top-per-source 5 --sources " + id_list(60, 300),
       "belief block of signed trust"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.block);
    const RunResult r = run("--device cpu rank " + graph + " " + c.block + " -o " + out, dir.path());
    EXPECT_EQ(r.rc, 74) << r.err;
    EXPECT_NE(r.err.find("the [60, 20000] " + c.what), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("needs 9.2 MiB on disk"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(dir.path() / "disk")) << "output left behind";
    const RunResult tops = run("--device cpu rank " + graph + " " + c.tops + " -o " + out, dir.path());
    EXPECT_EQ(tops.rc, 0) << tops.err;
    EXPECT_TRUE(fs::exists(dir.path() / "disk" / "out.h5"));
    fs::remove(dir.path() / "disk" / "out.h5");
  }
}

TEST(ResultsDiskRoom, AFullDiskWhileWritingNamesTheOutputAndTheReason) {
  TempDir dir;
  PrivateTmpfs disk(dir.path() / "disk", 512 << 10);
  if (!disk.problem().empty()) GTEST_SKIP() << "cannot mount a tmpfs to fill up: " << disk.problem();
  // 20,000 agents: about 1 MiB of edges, on a 512 KiB disk.
  const std::string out = (dir.path() / "disk" / "g.h5").string();
  const RunResult r = run("generate city --agents 20000 -o " + shell_quoted(out), dir.path());
  EXPECT_EQ(r.rc, 74) << r.err;
  EXPECT_NE(r.err.find("trustprop: error: " + out + ": cannot "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(".tmp-"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir.path() / "disk")) << "output left behind";
}
