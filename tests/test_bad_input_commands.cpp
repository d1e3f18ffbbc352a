// Bad input to the commands beyond the malformed-file corpus
// (test_bad_input.cpp), each case one that an audit of DESIGN §9 found
// handled wrongly: an output that is the input, a named pipe, numbers out
// of range, option values checked only after reading the graph, directories
// where files belong, id files with old Mac line ends, a refused resume, a
// run directory left behind, shared, or of the other command, damaged
// records of a run, a signal that left a temporary. Each
// must give its sysexits code and message, and leave the inputs and the run
// directory as they were.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "io/h5.hpp"

namespace fs = std::filesystem;

namespace {

using namespace trustprop::testing::cli;

class BadCommandInput : public ::testing::Test {
 protected:
  // Runs trustprop in the test's directory.
  RunResult tp(const std::string& args) { return run("cd " + shell_quoted(dir()) + " && " + kBinary + " " + args, tmp.path(), false); }
  std::string dir() const { return tmp.path().string(); }
  fs::path at(const std::string& name) const { return tmp.path() / name; }
  void city(const std::string& name, int agents, const std::string& extra = "") {
    const RunResult r = tp("generate city --agents " + std::to_string(agents) + " " + extra + " -o " + name);
    ASSERT_EQ(r.rc, 0) << r.err;
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(at(name)) << text; }
  TempDir tmp;
};

TEST_F(BadCommandInput, AnOutputThatIsTheInputIsRefusedAndTheInputKept) {
  city("g.h5", 300);
  write("e.txt", "1 2\n2 3\n");
  const std::string graph = slurp(at("g.h5")), edges = slurp(at("e.txt"));
  fs::create_hard_link(at("g.h5"), at("same.h5"));
  for (const std::string& cmd : {std::string("rank g.h5 -o g.h5"), std::string("rank g.h5 -o ./same.h5"),
                                 std::string("reorder g.h5 --method degree -o g.h5"),
                                 std::string("--device cpu bench g.h5 --models eigentrust --iterations 1 -o g.h5")}) {
    const RunResult r = tp(cmd);
    EXPECT_EQ(r.rc, 64) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("the output is the input g.h5"), std::string::npos) << cmd << "\n" << r.err;
    EXPECT_EQ(slurp(at("g.h5")), graph) << cmd;
  }
  const RunResult r = tp("import e.txt -o e.txt");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_NE(r.err.find("e.txt: the output is the input e.txt"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(at("e.txt")), edges);
  // A symbolic link as the output is replaced, not followed: allowed.
  fs::create_symlink("g.h5", at("link.h5"));
  EXPECT_EQ(tp("rank g.h5 --max-iterations 3 -o link.h5").rc, 0);
  EXPECT_EQ(slurp(at("g.h5")), graph);
  EXPECT_FALSE(fs::is_symlink(at("link.h5")));
}

TEST_F(BadCommandInput, ANamedPipeIsImportedFromItsOnlyReading) {
  ASSERT_EQ(mkfifo(at("edges.fifo").c_str(), 0600), 0);
  // The writer blocks until the import opens the pipe; a second opening would wait for ever (timeout 124).
  const RunResult r = run("cd " + shell_quoted(dir()) + " && (printf '1 2\\n2 3\\n3 1\\n' > edges.fifo &) && timeout 60 " +
                              kBinary + " import edges.fifo --json -o g.h5",
                          tmp.path(), false);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"agents\": 3"), std::string::npos) << r.out;
}

TEST_F(BadCommandInput, AMetricsNumberPastFloat64IsADataErrorNamingTheLine) {
  write("c.toml", "[run]\nname = \"t\"\nepochs = 2\n[graph]\nagents = 300\n");
  ASSERT_EQ(tp("simulate c.toml --run-dir R").rc, 0);
  std::string lines = slurp(at("R/metrics.jsonl"));
  lines = std::regex_replace(lines, std::regex("\"epoch\":2,"), "\"epoch\":1e400,");
  std::ofstream(at("R/metrics.jsonl")) << lines;
  const RunResult r = tp("report R");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("R/metrics.jsonl:2: number overflow parsing '1e400'"), std::string::npos) << r.err;
}

TEST_F(BadCommandInput, AGraphWithoutAgentsIsRefusedNamingTheGraph) {
  write("empty.mtx", "%%MatrixMarket matrix coordinate real general\n0 0 0\n");
  ASSERT_EQ(tp("import empty.mtx -o zero.h5").rc, 0);
  RunResult r = tp("--device cpu bench zero.h5 --models personalized --iterations 2");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("zero.h5: the graph has no agents: nothing to benchmark"), std::string::npos) << r.err;
  for (const std::string model : {"eigentrust", "fairness-goodness"}) {
    r = tp("rank zero.h5 --model " + model + " -o r.h5");
    EXPECT_EQ(r.rc, 65) << model << "\n" << r.err;
    EXPECT_NE(r.err.find("zero.h5: the graph has no agents: nothing to rank"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(at("r.h5")));
  }
}

TEST_F(BadCommandInput, BenchRefusesAnUnusableOutputBeforeWorking) {
  city("g.h5", 300);
  const RunResult r = tp("--device cpu bench g.h5 --models eigentrust --iterations 1 -o missing/b.json");
  EXPECT_EQ(r.rc, 74) << r.err;
  EXPECT_EQ(r.out.find("eigentrust"), std::string::npos) << "benchmarked before refusing:\n" << r.out;
}

TEST_F(BadCommandInput, ARefusedResumeLeavesTheRunsConfigurationAsItWas) {
  write("a.toml", "[run]\nname = \"t\"\nepochs = 4\n[graph]\nagents = 300\n[checkpoint]\nevery = 1\n");
  write("b.toml", "[run]\nname = \"t\"\nepochs = 4\n[graph]\nagents = 310\n[checkpoint]\nevery = 1\n");
  ASSERT_EQ(tp("simulate a.toml --run-dir R --epochs 2").rc, 0);
  const std::string config = slurp(at("R/config.toml")), metrics = slurp(at("R/metrics.jsonl"));
  const RunResult r = tp("simulate b.toml --run-dir R --epochs 3 --allow-config-change");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("ckpt-e2.h5: dataset /state/r has"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(at("R/config.toml")), config);
  EXPECT_EQ(slurp(at("R/metrics.jsonl")), metrics);
}

TEST_F(BadCommandInput, ARankResumeOnAGraphOfAnotherSizeSaysTheGraphDiffers) {
  city("a.h5", 2000);
  city("b.h5", 2100);
  ASSERT_EQ(tp("rank a.h5 --run-dir RK --max-iterations 6 --tolerance 0 --checkpoint-every 3 -o ra.h5").rc, 0);
  const RunResult r = tp("rank b.h5 --run-dir RK --max-iterations 9 --tolerance 0 -o rb.h5");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("the graph differs from the checkpoint's"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(at("rb.h5")));
}

TEST_F(BadCommandInput, OutOfRangeNumbersAreRefusedNamingTheOption) {
  city("g.h5", 300, "--signed-share 0.2");
  for (const std::string model : {"eigentrust", "fairness-goodness", "personalized"}) {
    const RunResult r = tp("rank g.h5 --model " + model + " --max-iterations -5 -o r.h5");
    EXPECT_EQ(r.rc, 64) << model << "\n" << r.err;
    EXPECT_NE(r.err.find("--max-iterations"), std::string::npos) << r.err;
  }
  // γ^K past float64: the weighted sum would be infinite.
  RunResult r = tp("rank g.h5 --model signed --iteration weighted --gamma 1e30 --steps 50 --sources 1,2 -o r.h5");
  EXPECT_EQ(r.rc, 78) << r.err;
  EXPECT_NE(r.err.find("--gamma = 1e+30 with --steps = 50: gamma^steps = 1e1500"), std::string::npos) << r.err;
  r = tp("rank g.h5 --model signed --iteration weighted --gamma 1e30 --steps 10 --sources 1,2 -o r.h5");
  EXPECT_EQ(r.rc, 0) << "1e300 is still finite\n" << r.err;
  // Payoff amounts whose epoch payoffs would not be finite.
  for (const std::string key : {"[recognition]\nreward", "[interaction]\nbenefit", "[platform]\nfine"}) {
    write("c.toml", "[run]\nname = \"t\"\nepochs = 1\n[graph]\nagents = 300\n" + key + " = 1e308\n");
    r = tp("simulate c.toml --run-dir R");
    EXPECT_EQ(r.rc, 78) << key << "\n" << r.err;
    EXPECT_NE(r.err.find("must be in [0, 1e+12]"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(at("R")));
  }
}

TEST_F(BadCommandInput, OptionValuesOutOfRangeAreUsageErrorsBeforeAnyFileIsRead) {
  // The graph does not exist: a value checked only once the run starts
  // would be reported as missing input (66) or as configuration (78).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--device junk rank none.h5 -o r.h5", "--device: 'junk' is not a backend"},
      {"--device cuda: info none.h5", "--device: 'cuda:' is not a backend"},
      {"rank none.h5 -o r.h5 --tolerance nan", "--tolerance: must be a finite number >= 0 (got nan)"},
      {"rank none.h5 -o r.h5 --tolerance -1e-9", "--tolerance: must be a finite number >= 0"},
      {"rank none.h5 -o r.h5 --restart-probability 0", "--restart-probability: must be a finite number in (0, 1]"},
      {"rank none.h5 -o r.h5 --model personalized --seeds 1 --restart-probability 1.5",
       "--restart-probability: must be a finite number in (0, 1]"},
      {"rank none.h5 -o r.h5 --model signed --gamma 0", "--gamma: must be a finite number > 0 (got 0)"},
      {"rank none.h5 -o r.h5 --model signed --alpha 1,inf,0,0", "--alpha: must be a finite number >= 0 (got inf)"},
      {"rank none.h5 -o r.h5 --model signed --steps 0", "--steps 0: signed trust needs at least one"},
      {"rank none.h5 -o r.h5 --model signed --source-batch 0", "--source-batch: Value 0 not in range"},
      {"rank none.h5 -o r.h5 --model fairness-goodness --weight-divisor inf",
       "--weight-divisor: must be a finite number > 0 (got inf)"},
      {"rank none.h5 -o r.h5 --run-dir R --max-walltime ''", "--max-walltime: '': expected a duration"},
      {"rank none.h5 -o r.h5 --run-dir ''", "--run-dir: an empty path names no directory"},
      {"simulate none.toml --run-dir ''", "--run-dir: an empty path names no directory"},
      {"simulate none.toml --max-walltime 0", "--max-walltime: '0': must be positive"},
      {"bench none.h5 --backends cpu,auto", "--backends: unknown backend 'auto'"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult r = tp(args);
    EXPECT_EQ(r.rc, 64) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(at("R")));
}

TEST_F(BadCommandInput, IdFilesTakeCrlfAndAByteOrderMarkButRefuseOldMacLineEnds) {
  city("g.h5", 300, "--signed-share 0.2");
  // Agents 0 and 5 of the generated city have ids 0 and 5.
  write("crlf.txt", "\xEF\xBB\xBF" "0\r\n5\r\n");
  write("cr.txt", "0\r5\r");
  for (const std::string& option : {std::string("--pretrust"), std::string("--model personalized --seeds-file"),
                                    std::string("--model sybilrank --seeds-file"),
                                    std::string("--model signed --steps 1 --sources-file")}) {
    RunResult r = tp("rank g.h5 --max-iterations 3 " + option + " crlf.txt -o r.h5");
    EXPECT_EQ(r.rc, 0) << option << "\n" << r.err;
    r = tp("rank g.h5 --max-iterations 3 " + option + " cr.txt -o r.h5");
    EXPECT_EQ(r.rc, 65) << option << "\n" << r.err;
    EXPECT_NE(r.err.find("cr.txt:1: a carriage return inside the line"), std::string::npos) << option << "\n" << r.err;
  }
  // Personalized: two seed sets, not one of two seeds.
  const RunResult r = tp("rank g.h5 --model personalized --seeds-file crlf.txt --json -o r.h5");
  EXPECT_NE(r.out.find("\"seed_sets\": 2"), std::string::npos) << r.out;
  // The pre-trust file reads as the others: ids separated by commas, tabs
  // and spaces, with comments (it used to take one id per line only).
  write("list.txt", "# verified\n3, 7\t9  # three\n");
  const RunResult p = tp("rank g.h5 --pretrust list.txt -o p.h5");
  EXPECT_EQ(p.rc, 0) << p.err;
  const auto trust = trustprop::io::h5::File::open_read(at("p.h5")).read_1d<double>("/trust/eigentrust");
  write("lines.txt", "3\n7\n9\n");
  ASSERT_EQ(tp("rank g.h5 --pretrust lines.txt -o q.h5").rc, 0);
  EXPECT_EQ(trust, trustprop::io::h5::File::open_read(at("q.h5")).read_1d<double>("/trust/eigentrust"));
}

TEST_F(BadCommandInput, ADirectoryWhereAFileBelongsIsNoInput) {
  city("g.h5", 300, "--signed-share 0.2");
  fs::create_directory(at("d"));
  for (const std::string& args : {std::string("rank g.h5 --model signed --sources-file d -o r.h5"),
                                  std::string("rank g.h5 --model sybilrank --seeds-file d -o r.h5"),
                                  std::string("rank g.h5 --pretrust d -o r.h5"),
                                  std::string("simulate d --run-dir R --epochs 1")}) {
    const RunResult r = tp(args);
    EXPECT_EQ(r.rc, 66) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("d: is a directory"), std::string::npos) << args << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(at("R")));
  EXPECT_FALSE(fs::exists(at("r.h5")));
}

TEST_F(BadCommandInput, AMatrixMarketSizeBeyondMemoryIsRefusedBeforeAllocating) {
  write("big.mtx", "%%MatrixMarket matrix coordinate real general\n2147483647 2147483647 1\n1 2 1\n");
  // 4 GiB of address space: the 2^31 - 1 agents need about 48 GiB.
  const RunResult r = run("cd " + shell_quoted(dir()) + " && timeout 60 " + under_ulimit(tmp.path(), 4 << 20) +
                              " import big.mtx -o g.h5",
                          tmp.path(), false);
  EXPECT_EQ(r.rc, 70) << r.err;
  EXPECT_NE(r.err.find("big.mtx:2: a matrix of 2147483647 agents and 1 entries needs about 48.0 GiB of memory"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(at("g.h5")));
}

TEST_F(BadCommandInput, RepeatedOriginalIdsAreADataError) {
  // A reordered graph's ids are a permutation; repeat one of them by hand.
  write("e.txt", "10 20\n20 30\n30 10\n");
  ASSERT_EQ(tp("import e.txt -o g.h5").rc, 0);
  ASSERT_EQ(tp("reorder g.h5 --method degree -o r.h5").rc, 0);
  EXPECT_EQ(tp("info r.h5 --verify").rc, 0);
  const RunResult py = run("cd " + shell_quoted(dir()) +
                               " && /usr/bin/python3 -c \"import h5py; f = h5py.File('r.h5', 'r+'); "
                               "ids = f['agents/id'][()]; ids[1] = ids[2]; f['agents/id'][...] = ids\"",
                           tmp.path(), false);
  if (py.rc != 0) GTEST_SKIP() << "no python3 with h5py: " << py.err;
  const RunResult r = tp("rank r.h5 --model sybilrank --seeds 10 -o out.h5");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("r.h5: dataset /agents/id: id "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" appears at agents 1 and 2; original ids must be unique"), std::string::npos) << r.err;
}

TEST_F(BadCommandInput, RefusedRunsLeaveNoRunDirectory) {
  RunResult r = tp("demo --agents 0 --run-dir D0");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_FALSE(fs::exists(at("D0")));
  write("c.toml", "[run]\nname = \"t\\u0001x\"\nepochs = 1\n[graph]\nagents = 300\n");
  r = tp("simulate c.toml");
  EXPECT_EQ(r.rc, 78) << r.err;
  EXPECT_NE(r.err.find("c.toml:2: [run] name: must be a plain directory name"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(at("runs")));
  // Refused once the run directory is open: what opening created goes, up to
  // the outermost directory it made (runs/, for the default runs/<name>).
  write("c.toml", "[run]\nname = \"t\"\nepochs = 1\n[graph]\npath = \"missing.h5\"\n");
  r = tp("simulate c.toml");
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_FALSE(fs::exists(at("runs")));
  write("zero.mtx", "%%MatrixMarket matrix coordinate real general\n0 0 0\n");
  ASSERT_EQ(tp("import zero.mtx -o zero.h5").rc, 0);
  write("z.toml", "[run]\nname = \"t\"\nepochs = 1\n[graph]\npath = \"zero.h5\"\n");
  r = tp("simulate z.toml --run-dir Z/R");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("zero.h5: the graph has no agents: nothing to simulate"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(at("Z")));
  city("g.h5", 300);
  ASSERT_EQ(tp("rank g.h5 --max-iterations 2 -o r0.h5").rc, 0);
  ASSERT_EQ(run("cd " + shell_quoted(dir()) + " && /usr/bin/python3 -c \"import h5py; f = h5py.File('r0.h5', 'r+'); "
                "f['trust/eigentrust'][...] = 0\"", tmp.path(), false).rc, 0);
  r = tp("rank g.h5 --run-dir RD --warm-start r0.h5 -o r.h5");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_FALSE(fs::exists(at("RD")));
  r = tp("rank g.h5 --run-dir RD --resume RD/nope.h5 -o r.h5");
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_FALSE(fs::exists(at("RD")));
  // A directory that was there keeps what it had, and gains nothing.
  fs::create_directory(at("E"));
  r = tp("rank g.h5 --run-dir E --resume E/nope.h5 -o r.h5");
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_TRUE(fs::is_empty(at("E")));
}

TEST_F(BadCommandInput, ARunDirectoryOfAnotherCommandIsRefusedUntouched) {
  city("g.h5", 300);
  write("c.toml", "[run]\nname = \"t\"\nepochs = 2\n[graph]\npath = \"g.h5\"\n");
  ASSERT_EQ(tp("simulate c.toml --run-dir S").rc, 0);
  ASSERT_EQ(tp("rank g.h5 --run-dir R --max-iterations 4 -o r.h5").rc, 0);
  const std::string simulated = slurp(at("S/metrics.jsonl")), ranked = slurp(at("R/metrics.jsonl"));
  RunResult r = tp("rank g.h5 --run-dir S -o r2.h5");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_NE(r.err.find("S: holds the checkpoints of another kind of run (S/checkpoints/ckpt-e2.h5), not a rank run"),
            std::string::npos) << r.err;
  r = tp("simulate c.toml --run-dir R");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_NE(r.err.find("R: holds the checkpoints of another kind of run (R/checkpoints/ckpt-i4.h5), not a simulate run"),
            std::string::npos) << r.err;
  EXPECT_EQ(slurp(at("S/metrics.jsonl")), simulated);
  EXPECT_EQ(slurp(at("R/metrics.jsonl")), ranked);
  EXPECT_FALSE(fs::exists(at("S/checkpoints/ckpt-i1.h5")));
  EXPECT_FALSE(fs::exists(at("r2.h5")));
  // A simulation stopped before its first checkpoint is told by its config.toml.
  fs::remove_all(at("S/checkpoints"));
  r = tp("rank g.h5 --run-dir S -o r2.h5");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_NE(r.err.find("S: holds a simulation (config.toml), not a rank run"), std::string::npos) << r.err;
}

TEST_F(BadCommandInput, DamagedRecordsOfARankRunAreRebuiltOrNamed) {
  city("g.h5", 300);
  ASSERT_EQ(tp("rank g.h5 --run-dir R --max-iterations 4 --tolerance 0 -o r.h5").rc, 0);
  // A metrics line of the right keys and wrong types is rebuilt from the checkpoint.
  std::string metrics = slurp(at("R/metrics.jsonl"));
  const std::size_t second = metrics.find('\n') + 1;
  metrics.replace(second, metrics.find('\n', second) - second, R"({"iteration":2,"residual":"x"})");
  write("R/metrics.jsonl", metrics);
  RunResult r = tp("rank g.h5 --run-dir R --max-iterations 6 --tolerance 0 -o r.h5");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(std::regex_search(slurp(at("R/metrics.jsonl")), std::regex(R"(\{"iteration":2,"residual":[0-9.e-]+\})")))
      << slurp(at("R/metrics.jsonl"));
  // report: a checkpoint's options of the wrong type are named, not an internal error.
  const RunResult py = run("cd " + shell_quoted(dir()) +
                               " && /usr/bin/python3 -c \"import h5py; f = h5py.File('R/checkpoints/ckpt-i6.h5', 'r+'); "
                               "f.attrs['config'] = f.attrs['config'].replace('tolerance = 0.0', 'tolerance = true')\"",
                           tmp.path(), false);
  if (py.rc != 0) GTEST_SKIP() << "no python3 with h5py: " << py.err;
  r = tp("report R");
  EXPECT_EQ(r.rc, 78) << r.err;
  EXPECT_NE(r.err.find("ckpt-i6.h5: root attribute config: [eigentrust] tolerance is not a finite number"),
            std::string::npos) << r.err;
}

TEST_F(BadCommandInput, ASignalEndsARunWithoutLeavingItsTemporary) {
  // Each command is signalled once its temporary output exists, and must
  // end by that signal (the shell's 128 + N) with nothing in the directory
  // but its inputs.
  city("g.h5", 200000);
  const auto signalled = [&](const std::string& args, const std::string& output, const char* signal) {
    const std::string script = "cd " + shell_quoted(dir()) + " && { " + kBinary + " " + args + " >/dev/null 2>&1 & p=$!; " +
                               "for i in $(seq 1 400); do ls " + output + ".tmp-* >/dev/null 2>&1 && break; sleep 0.05; done; " +
                               "sleep 0.2; kill -" + signal + " $p; wait $p; echo rc=$?; }";
    return run("bash -c " + shell_quoted(script), tmp.path(), false);
  };
  RunResult r = signalled("generate city --agents 1000000 -o big.h5", "big.h5", "TERM");
  EXPECT_NE(r.out.find("rc=143"), std::string::npos) << r.out << r.err;
  r = signalled("rank g.h5 --max-iterations 100000 --tolerance 0 -o r.h5", "r.h5", "HUP");
  EXPECT_NE(r.out.find("rc=129"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(tmp.entries(), std::set<std::string>{"g.h5"});
}

TEST_F(BadCommandInput, AWarmStartWithNegativeOrNonFiniteTrustNamesTheFileAndEntry) {
  city("g.h5", 300);
  ASSERT_EQ(tp("rank g.h5 --max-iterations 5 -o w.h5").rc, 0);
  for (const std::string value : {"-0.5", "float('nan')", "float('inf')"}) {
    const RunResult py = run("cd " + shell_quoted(dir()) + " && /usr/bin/python3 -c \"import h5py; f = h5py.File('w.h5', 'r+'); " +
                                 "t = f['trust/eigentrust'][()]; t[7] = " + value + "; f['trust/eigentrust'][...] = t\"",
                             tmp.path(), false);
    if (py.rc != 0) GTEST_SKIP() << "no python3 with h5py: " << py.err;
    const RunResult r = tp("rank g.h5 --warm-start w.h5 -o r.h5");
    EXPECT_EQ(r.rc, 65) << value << "\n" << r.err;
    EXPECT_NE(r.err.find("w.h5: dataset /trust/eigentrust (--warm-start): entry 7 is "), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(at("r.h5")));
  }
  // Every entry finite, their sum not.
  ASSERT_EQ(run("cd " + shell_quoted(dir()) + " && /usr/bin/python3 -c \"import h5py; f = h5py.File('w.h5', 'r+'); "
                "f['trust/eigentrust'][...] = 1e308\"", tmp.path(), false).rc, 0);
  const RunResult r = tp("rank g.h5 --warm-start w.h5 -o r.h5");
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("w.h5: dataset /trust/eigentrust (--warm-start): the entries sum to inf"), std::string::npos)
      << r.err;
}

TEST_F(BadCommandInput, ARunDirectoryInUseIsRefusedBeforeAnythingChanges) {
  city("g.h5", 300);
  write("c.toml", "[run]\nname = \"t\"\nepochs = 2\n[graph]\nagents = 300\n");
  fs::create_directories(at("R"));
  // This process holds the lock, as a run in the directory would.
  const int fd = ::open(at("R/.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  for (const std::string& args : {std::string("simulate c.toml --run-dir R"), std::string("rank g.h5 --run-dir R -o r.h5")}) {
    const RunResult r = tp(args);
    EXPECT_EQ(r.rc, 75) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("R: another trustprop run is using this run directory"), std::string::npos) << r.err;
  }
  EXPECT_EQ(tmp.entries(), (std::set<std::string>{"R", "c.toml", "g.h5"}));
  ::close(fd);
  EXPECT_EQ(tp("rank g.h5 --run-dir R -o r.h5").rc, 0);
  EXPECT_EQ(tp("rank g.h5 --run-dir R -o r.h5").rc, 0);  // the lock of the first run ended with it
}

TEST_F(BadCommandInput, BenchNamesAnUnknownBackendAsItsOwnOption) {
  const RunResult r = tp("bench --agents 1000 --backends cpu,junk");
  EXPECT_EQ(r.rc, 64) << r.err;
  EXPECT_NE(r.err.find("--backends: unknown backend 'junk'"), std::string::npos) << r.err;
}

}  // namespace
