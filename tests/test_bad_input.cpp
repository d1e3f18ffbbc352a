// The malformed-input corpus (DESIGN §9, tests/data/bad/README.md) run
// through the real binary: each input is rejected with the right sysexits
// code, a message naming the file and the line or dataset, and no output
// file (nor a temporary one) left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "io/graph_file.hpp"

namespace fs = std::filesystem;

namespace {

using namespace trustprop::testing::cli;

// ---------------------------------------------------------------------------
// Text inputs for `trustprop import`.

struct ImportCase {
  const char* file;
  const char* extra;  // further options
  int rc;
  int line;  // the line the message must name; 0: the file only
  const char* what;
};

std::ostream& operator<<(std::ostream& os, const ImportCase& c) { return os << c.file; }

const ImportCase kImportCases[] = {
    {"too_few_fields.txt", "", 65, 2, "expected at least 2 fields"},
    {"non_numeric_id.txt", "", 65, 3, "source id 'alice' is not an integer"},
    {"trailing_junk_id.txt", "", 65, 2, "target id '4x' is not an integer"},
    {"trailing_junk_weight.csv", "", 65, 2, "weight '0.5kg' is not a number"},
    {"nan_weight.csv", "", 65, 3, "weight 'nan' is not a finite number"},
    {"inf_weight.csv", "", 65, 2, "weight 'inf' is not a finite number"},
    {"huge_weight.csv", "", 65, 1, "beyond the range of float32"},
    {"id_overflow.txt", "", 65, 2, "does not fit a 64-bit integer"},
    {"negative_unsigned.csv", "", 65, 2, "--signed"},
    {"missing_weight.csv", "", 65, 2, "expected at least 3 fields"},
    {"empty_field.csv", "", 65, 1, "target id is empty"},
    {"header_twice.csv", "", 65, 3, "source id 'source' is not an integer"},
    {"binary_garbage.txt", "", 65, 3, "expected at least 2 fields"},
    {"only_comments.txt", "", 65, 3, "no edges"},
    {"empty.txt", "", 65, 0, "no edges: the input is empty"},
    {"duplicate_edge.txt", "--duplicates error", 65, 3, "duplicate edge 1 -> 2 (first on line 1)"},
    {"truncated.txt.gz", "", 65, -1, "compressed input is truncated or corrupt"},
    {"mtx_no_banner.mtx", "", 65, 1, "not a Matrix Market file"},
    {"mtx_complex.mtx", "", 65, 1, "complex matrices are not supported"},
    {"mtx_array.mtx", "", 65, 1, "'array' format is not supported"},
    {"mtx_skew.mtx", "", 65, 1, "'skew-symmetric' matrices are not supported"},
    {"mtx_not_square.mtx", "", 65, 2, "square matrix"},
    {"mtx_too_many_agents.mtx", "", 65, 2, "2147483648 agents do not fit 32-bit agent indices"},
    {"mtx_bad_size_line.mtx", "", 65, 3, "the size line must be"},
    {"mtx_index_out_of_range.mtx", "", 65, 4, "row index 4 is out of range 1..3"},
    {"mtx_index_zero.mtx", "", 65, 4, "row index 0 is out of range 1..3"},
    {"mtx_too_many.mtx", "", 65, 4, "more entries than the 1 announced on line 2"},
    {"mtx_too_few.mtx", "", 65, 4, "only 2 of the 3 entries announced on line 2"},
    {"mtx_integer_fraction.mtx", "", 65, 4, "value '1.5' is not an integer"},
    {"mtx_nan.mtx", "", 65, 3, "weight 'NaN' is not a finite number"},
    {"mtx_extra_field.mtx", "", 65, 4, "expected 3 fields (row column value), found 4"},
    {"cr_line_ends.txt", "", 65, 1, "a carriage return inside the line"},
};

class BadImport : public ::testing::TestWithParam<ImportCase> {};

TEST_P(BadImport, RejectedWithFileLineCodeAndNoOutput) {
  const ImportCase& c = GetParam();
  TempDir tmp;
  const std::string input = kBad + "/" + c.file;
  ASSERT_TRUE(fs::exists(input)) << input;
  const fs::path output = tmp.path() / "out.h5";
  const RunResult r = run("import " + shell_quoted(input) + " -o " + shell_quoted(output.string()) + " " + c.extra, tmp.path());
  EXPECT_EQ(r.rc, c.rc) << r.err;
  std::string where = input + ":";
  if (c.line > 0) where += std::to_string(c.line) + ":";
  EXPECT_NE(r.err.find(where), std::string::npos) << "message does not name " << where << ": " << r.err;
  if (c.line < 0) {  // some line, whichever the decompressor reached
    const auto p = r.err.find(where);
    ASSERT_NE(p, std::string::npos);
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(r.err[p + where.size()]))) << r.err;
  }
  EXPECT_NE(r.err.find(c.what), std::string::npos) << "message lacks '" << c.what << "': " << r.err;
  EXPECT_FALSE(fs::exists(output));
  EXPECT_TRUE(tmp.entries().empty()) << "left behind: " << *tmp.entries().begin();
}

std::string case_name(const std::string& file) {
  std::string s;
  for (char ch : file) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadImport, ::testing::ValuesIn(kImportCases),
                         [](const auto& info) { return case_name(info.param.file); });

// ---------------------------------------------------------------------------
// Graph files (HDF5) for io::read_graph and `trustprop info --verify`.

struct GraphCase {
  const char* file;
  int rc;
  const char* what;  // the dataset or attribute named, or what is wrong
  bool read_graph_fails = true;  // false: only --verify notices
};

std::ostream& operator<<(std::ostream& os, const GraphCase& c) { return os << c.file; }

const GraphCase kGraphCases[] = {
    {"h5_missing_graph.h5", 65, "/graph"},
    {"h5_missing_indices.h5", 65, "/graph/indices"},
    {"h5_wrong_format_attr.h5", 65, "trustprop.format"},
    {"h5_indptr_not_monotonic.h5", 65, "/graph/indptr is not non-decreasing"},
    {"h5_indptr_first_nonzero.h5", 65, "/graph/indptr"},
    {"h5_indptr_wrong_length.h5", 65, "/graph/indptr has 5 elements"},
    {"h5_indptr_int32.h5", 65, "/graph/indptr has dtype int32"},
    {"h5_unsorted_columns.h5", 65, "/graph/indices: row 0 is not sorted"},
    {"h5_duplicate_columns.h5", 65, "/graph/indices: row 0 has duplicate column 1"},
    {"h5_column_out_of_range.h5", 65, "/graph/indices: row 0 has column 3 outside"},
    {"h5_negative_column.h5", 65, "/graph/indices: row 0 has column -1 outside"},
    {"h5_nan_data.h5", 65, "/graph/data: entry 1"},
    {"h5_inf_data.h5", 65, "/graph/data: entry 2"},
    {"h5_indices_int64.h5", 65, "/graph/indices has dtype int64"},
    {"h5_data_float64.h5", 65, "/graph/data has dtype float64"},
    {"h5_data_2d.h5", 65, "/graph/data has 2 dimensions"},
    {"h5_data_length_mismatch.h5", 65, "/graph/data has 3 elements"},
    {"h5_shape_not_square.h5", 65, "/graph@shape"},
    {"h5_kind_out_of_range.h5", 65, "/agents/kind"},
    {"h5_ids_wrong_length.h5", 65, "/agents/id"},
    {"h5_agents_dataset.h5", 65, "/agents is not a group"},
    {"h5_lzf_filter.h5", 65, "stored with HDF5 filter lzf (id 32000), which this HDF5 library lacks"},
    {"h5_truncated.h5", 65, "truncated or corrupted"},
    {"h5_empty.h5", 65, "empty file"},
    {"h5_not_hdf5.h5", 65, "not an HDF5 file"},
    {"h5_hash_mismatch.h5", 65, "trustprop.content_hash", false},
};

class BadGraph : public ::testing::TestWithParam<GraphCase> {};

TEST_P(BadGraph, ReadGraphNamesFileAndDataset) {
  const GraphCase& c = GetParam();
  const std::string path = kBad + "/" + c.file;
  ASSERT_TRUE(fs::exists(path)) << path;
  if (!c.read_graph_fails) {
    EXPECT_NO_THROW(trustprop::io::read_graph(path));
    return;
  }
  try {
    trustprop::io::read_graph(path);
    FAIL() << "read_graph accepted " << path;
  } catch (const trustprop::Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), c.rc) << e.what();
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.what), std::string::npos) << "message lacks '" << c.what << "': " << msg;
  }
}

TEST_P(BadGraph, InfoVerifyExitsWithCodeAndMessage) {
  const GraphCase& c = GetParam();
  TempDir tmp;
  const std::string path = kBad + "/" + c.file;
  const RunResult r = run("info " + shell_quoted(path) + " --verify", tmp.path());
  EXPECT_EQ(r.rc, c.rc) << r.err;
  EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(c.what), std::string::npos) << "message lacks '" << c.what << "': " << r.err;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadGraph, ::testing::ValuesIn(kGraphCases),
                         [](const auto& info) { return case_name(info.param.file); });

TEST(BadInputCorpus, EveryFileIsCoveredAndThereAreAtLeastTwenty) {
  std::set<std::string> covered;
  for (const auto& c : kImportCases) covered.insert(c.file);
  for (const auto& c : kGraphCases) covered.insert(c.file);
  const std::set<std::string> not_corpus = {"README.md", "make_bad_h5.py", "control_valid.h5"};
  int files = 0;
  for (const auto& e : fs::directory_iterator(kBad)) {
    const std::string name = e.path().filename().string();
    if (not_corpus.count(name)) continue;
    ++files;
    EXPECT_TRUE(covered.count(name)) << name << " is in tests/data/bad but no test uses it";
    EXPECT_LE(fs::file_size(e.path()), 16u << 10) << name << " should stay tiny";
  }
  EXPECT_GE(files, 20);
}

TEST(BadInputCorpus, ControlFileIsValid) {
  const auto g = trustprop::io::read_graph(kBad + "/control_valid.h5");
  EXPECT_EQ(g.n, 3);
  EXPECT_EQ(g.nnz(), 4);
  TempDir tmp;
  EXPECT_EQ(run("info " + shell_quoted(kBad + "/control_valid.h5"), tmp.path()).rc, 0);
}

// ---------------------------------------------------------------------------
// Paths that are not files, and outputs that cannot be written.

TEST(BadPaths, ImportOfADirectoryIsNoInput) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out.h5";
  const RunResult r = run("import " + shell_quoted(kBad) + " -o " + shell_quoted(out.string()), tmp.path());
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_NE(r.err.find(kBad + ": is a directory"), std::string::npos) << r.err;
  EXPECT_TRUE(tmp.entries().empty());
}

TEST(BadPaths, ImportOfAMissingFileIsNoInput) {
  TempDir tmp;
  const std::string missing = kBad + "/no_such_file.txt";
  const RunResult r = run("import " + shell_quoted(missing) + " -o " + shell_quoted((tmp.path() / "out.h5").string()), tmp.path());
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_NE(r.err.find(missing + ": cannot open"), std::string::npos) << r.err;
  EXPECT_TRUE(tmp.entries().empty());
}

TEST(BadPaths, InfoOfADirectoryIsNoInput) {
  TempDir tmp;
  const RunResult r = run("info " + shell_quoted(tmp.path().string()) + " --verify", tmp.path());
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_NE(r.err.find(tmp.path().string() + ": is a directory"), std::string::npos) << r.err;
}

// A small valid edge list, in a directory of its own.
const std::string& good_input() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = (dir.path() / "tiny.txt").string();
    std::ofstream(p) << "1 2\n2 3\n3 1\n";
    return p;
  }();
  return path;
}

class BadOutput : public ::testing::Test {
 protected:
  void expect_io_error(const std::string& output, const std::string& what) {
    const RunResult r = run("import " + shell_quoted(good_input()) + " -o " + shell_quoted(output), tmp.path());
    EXPECT_EQ(r.rc, 74) << r.err;
    EXPECT_NE(r.err.find(output + ":"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  }
  TempDir tmp;
};

TEST_F(BadOutput, MissingDirectory) {
  expect_io_error((tmp.path() / "missing" / "out.h5").string(), "does not exist");
  EXPECT_TRUE(tmp.entries().empty());
}

TEST_F(BadOutput, OutputIsADirectory) {
  fs::create_directory(tmp.path() / "out.h5");
  expect_io_error((tmp.path() / "out.h5").string(), "is a directory");
  EXPECT_TRUE(fs::is_empty(tmp.path() / "out.h5"));
  EXPECT_EQ(tmp.entries(), std::set<std::string>{"out.h5"});
}

TEST_F(BadOutput, ParentIsAFile) {
  std::ofstream(tmp.path() / "plain") << "x";
  expect_io_error((tmp.path() / "plain" / "out.h5").string(), "plain is not a directory");
  EXPECT_EQ(tmp.entries(), std::set<std::string>{"plain"});
}

TEST_F(BadOutput, ReadOnlyDirectory) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write into read-only directories";
  const fs::path ro = tmp.path() / "ro";
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  expect_io_error((ro / "out.h5").string(), "not writable");
  fs::permissions(ro, fs::perms::owner_all);
  EXPECT_TRUE(fs::is_empty(ro));
}

TEST_F(BadOutput, FailedImportKeepsTheOldOutput) {
  const fs::path out = tmp.path() / "out.h5";
  std::ofstream(out) << "previous contents";
  const RunResult r = run("import " + shell_quoted(kBad + "/nan_weight.csv") + " -o " + shell_quoted(out.string()), tmp.path());
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_EQ(slurp(out), "previous contents");
  EXPECT_EQ(tmp.entries(), std::set<std::string>{"out.h5"});
}

TEST(BadUsage, UnknownOptionValuesAreUsageErrors) {
  TempDir tmp;
  const std::string out = shell_quoted((tmp.path() / "out.h5").string());
  EXPECT_EQ(run("import " + shell_quoted(good_input()) + " --duplicates newest -o " + out, tmp.path()).rc, 64);
  EXPECT_EQ(run("import " + shell_quoted(good_input()) + " --format tsv -o " + out, tmp.path()).rc, 64);
  EXPECT_EQ(run("import " + shell_quoted(good_input()) + " --compress 12 -o " + out, tmp.path()).rc, 64);
  EXPECT_EQ(run("import " + shell_quoted(good_input()), tmp.path()).rc, 64);  // no -o
  EXPECT_TRUE(tmp.entries().empty());
}

}  // namespace
