// The importers on hand-written inputs: exact CSR, ids and weights for SNAP
// edge lists, CSV and Matrix Market; every duplicate rule; self-loops;
// CRLF, comments and headers; gzip; weight scaling; the id mapping and the
// parallel paths on inputs large enough to take them (docs/import.md).
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>
#include <zlib.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "io/graph_file.hpp"
#include "io/import_edges.hpp"
#include "io/text_input.hpp"

namespace fs = std::filesystem;
using trustprop::DataError;
using trustprop::io::DuplicateRule;
using trustprop::io::Graph;
using trustprop::io::ImportFormat;
using trustprop::io::ImportOptions;
using trustprop::io::ImportStats;
using trustprop::io::import_graph;

namespace {

class ImportTest : public ::testing::Test {
 protected:
  ImportTest() {
    std::string tmpl = (fs::temp_directory_path() / "trustprop-import-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~ImportTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string write_gz(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    gzFile f = gzopen(p.c_str(), "wb9");
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
    return p;
  }
  Graph import(const std::string& name, const std::string& text, ImportOptions o = {}, ImportStats* st = nullptr) {
    return import_graph(write(name, text), o, st);
  }
  // The message of the DataError that importing `text` throws.
  std::string error_of(const std::string& name, const std::string& text, ImportOptions o = {}) {
    try {
      import(name, text, o);
    } catch (const DataError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no DataError for " << name;
    return {};
  }
  fs::path dir_;
};

using I64 = std::vector<std::int64_t>;
using I32 = std::vector<std::int32_t>;
using F32 = std::vector<float>;

TEST_F(ImportTest, SnapCommentsBlankLinesAndAscendingIds) {
  ImportStats st;
  const Graph g = import("g.txt", "# SNAP header\n% KONECT header\n\n30 10\n10 20\n   \n10 30\n20 10\n", {}, &st);
  EXPECT_EQ(g.n, 3);
  EXPECT_EQ(g.id, (I64{10, 20, 30}));
  EXPECT_EQ(g.indptr, (I64{0, 2, 3, 4}));
  EXPECT_EQ(g.indices, (I32{1, 2, 0, 0}));
  EXPECT_EQ(g.data, (F32{1, 1, 1, 1}));
  EXPECT_EQ(g.source, "import:g.txt");
  EXPECT_EQ(st.format, ImportFormat::snap);
  EXPECT_EQ(st.lines, 8);
  EXPECT_EQ(st.entries, 4);
  EXPECT_FALSE(st.weighted);
}

TEST_F(ImportTest, SnapSeparatorsCrlfAndNoFinalNewline) {
  const Graph g = import("g.txt", "1\t2\r\n2 ,  3\r\n3,1\r\n1  3");
  EXPECT_EQ(g.indptr, (I64{0, 2, 3, 4}));
  EXPECT_EQ(g.indices, (I32{1, 2, 2, 0}));
}

TEST_F(ImportTest, ACarriageReturnInsideALineIsRefusedNotMerged) {
  // Old Mac line ends: read as separators, three edges would become the
  // single edge 1 -> 2 of weight 2.
  const std::string why = ": a carriage return inside the line: line ends must be \\n or \\r\\n";
  EXPECT_NE(error_of("cr.txt", "1 2\r2 3\r3 1\r").find("cr.txt:1" + why), std::string::npos);
  EXPECT_NE(error_of("cr.csv", "1,2,0.5\r2,3,0.5\r").find("cr.csv:1" + why), std::string::npos);
  // In the parallel blocks too, where an unweighted line would have ignored its third field.
  EXPECT_NE(error_of("mid.txt", "1 2\r\n2 3\r\n3 1 \r3 4\r\n").find("mid.txt:3" + why), std::string::npos);
}

TEST_F(ImportTest, SparseAndNegativeIdsMapInAscendingOrder) {
  const Graph g = import("g.txt", "5 -3\n1000000000000 5\n-3 1000000000000\n");
  EXPECT_EQ(g.id, (I64{-3, 5, 1000000000000}));
  EXPECT_EQ(g.indptr, (I64{0, 1, 2, 3}));
  EXPECT_EQ(g.indices, (I32{2, 0, 1}));
}

TEST_F(ImportTest, ExtremeIdsSpanTheWholeInt64Range) {
  const Graph g = import("g.txt", "-9223372036854775808 9223372036854775807\n0 -9223372036854775808\n");
  EXPECT_EQ(g.id, (I64{std::numeric_limits<std::int64_t>::min(), 0, std::numeric_limits<std::int64_t>::max()}));
  EXPECT_EQ(g.indptr, (I64{0, 1, 2, 2}));
  EXPECT_EQ(g.indices, (I32{2, 0}));
}

TEST_F(ImportTest, Utf8ByteOrderMarkIsIgnored) {
  ImportStats st;
  const Graph g = import("bom.csv", "\xEF\xBB\xBF" "1,2\n2,1\n", {}, &st);
  EXPECT_TRUE(st.header.empty());
  EXPECT_EQ(g.nnz(), 2);
  import("bomh.csv", "\xEF\xBB\xBF" "source,target\n1,2\n", {}, &st);
  EXPECT_EQ(st.header, "source,target");
}

TEST_F(ImportTest, WeightsAndExtraColumns) {
  ImportOptions o;
  o.signed_weights = true;
  ImportStats st;
  const Graph g = import("otc.csv", "6,2,4,1289241911.72836\n6,5,-2,1289241941.53378\n2,6,+1.5e0,x\n", o, &st);
  EXPECT_EQ(st.format, ImportFormat::csv);
  EXPECT_TRUE(st.weighted);
  EXPECT_EQ(g.id, (I64{2, 5, 6}));
  EXPECT_EQ(g.indptr, (I64{0, 1, 1, 3}));
  EXPECT_EQ(g.indices, (I32{2, 0, 1}));
  EXPECT_EQ(g.data, (F32{1.5f, 4, -2}));
  EXPECT_EQ(st.weight_min, -2);
  EXPECT_EQ(st.weight_max, 4);
}

TEST_F(ImportTest, CsvHeaderIsSkippedOnlyOnTheFirstLine) {
  ImportStats st;
  const Graph g = import("h.csv", "# exported\nsource, target, weight\n1, 2, .5\n2, 1, 0.25\n", {}, &st);
  EXPECT_EQ(st.header, "source, target, weight");
  EXPECT_EQ(g.data, (F32{0.5f, 0.25f}));
  EXPECT_EQ(error_of("h2.csv", "1,2\nsource,target\n"), (dir_ / "h2.csv").string() + ":2: source id 'source' is not an integer");
  // A SNAP file has no header: a word there is an error.
  EXPECT_NE(error_of("h.txt", "from to\n1 2\n").find("h.txt:1: source id 'from' is not an integer"), std::string::npos);
  // Half-numeric first lines are malformed edges, not headers.
  EXPECT_NE(error_of("h3.csv", "1,abc\n").find("h3.csv:1: target id 'abc'"), std::string::npos);
}

TEST_F(ImportTest, CsvWithoutHeader) {
  ImportStats st;
  const Graph g = import("n.csv", "1,2\n2,3\n", {}, &st);
  EXPECT_TRUE(st.header.empty());
  EXPECT_EQ(g.nnz(), 2);
}

TEST_F(ImportTest, ZeroWeightsAreKept) {
  const Graph g = import("z.txt", "1 2 0\n2 1 1\n");
  EXPECT_EQ(g.nnz(), 2);
  EXPECT_EQ(g.data, (F32{0, 1}));
}

TEST_F(ImportTest, NegativeWeightNeedsSigned) {
  const std::string msg = error_of("s.txt", "1 2 1\n2 1 -0.5\n");
  EXPECT_NE(msg.find("s.txt:2: negative weight '-0.5'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--signed"), std::string::npos) << msg;
}

struct RuleCase {
  DuplicateRule rule;
  float expected;
};

std::ostream& operator<<(std::ostream& os, const RuleCase& c) {
  return os << trustprop::io::to_string(c.rule) << " -> " << c.expected;
}

class DuplicateRules : public ImportTest, public ::testing::WithParamInterface<RuleCase> {};

TEST_P(DuplicateRules, MergeRepeatedPairs) {
  ImportOptions o;
  o.duplicates = GetParam().rule;
  ImportStats st;
  // 1 -> 2 appears three times (1, 3, 2 in input order), out of column order.
  const Graph g = import("d.txt", "1 3 7\n1 2 1\n2 1 5\n1 2 3\n1 2 2\n", o, &st);
  EXPECT_EQ(g.indptr, (I64{0, 2, 3, 3}));
  EXPECT_EQ(g.indices, (I32{1, 2, 0}));
  EXPECT_EQ(g.data, (F32{GetParam().expected, 7, 5}));
  EXPECT_EQ(st.duplicates_merged, 2);
  EXPECT_EQ(st.edges_read, 5);
}

INSTANTIATE_TEST_SUITE_P(Rules, DuplicateRules,
                         ::testing::Values(RuleCase{DuplicateRule::last, 2}, RuleCase{DuplicateRule::first, 1},
                                           RuleCase{DuplicateRule::sum, 6}, RuleCase{DuplicateRule::max, 3},
                                           RuleCase{DuplicateRule::mean, 2}),
                         [](const auto& info) { return std::string(trustprop::io::to_string(info.param.rule)); });

TEST_F(ImportTest, DuplicateRuleErrorNamesBothLines) {
  ImportOptions o;
  o.duplicates = DuplicateRule::error;
  const std::string msg = error_of("d.txt", "# c\n1 2\n2 1\n1 3\n1 2\n", o);
  EXPECT_NE(msg.find("d.txt:5: duplicate edge 1 -> 2 (first on line 2)"), std::string::npos) << msg;
  EXPECT_NO_THROW(import("ok.txt", "1 2\n2 1\n", o));
}

// Weights that round to zero in float32 (1e-46, 1e-300: from_chars calls
// them out of range, as it does 1e39) are ties of weight 0, stored as +0
// as "-0" is; subnormals keep their value. --scale-weights counts the
// weights its division takes to zero (1e-30 / 1e30).
TEST_F(ImportTest, TinyWeightsRoundToZeroAndZeroIsPositive) {
  ImportOptions o;
  o.signed_weights = true;
  const Graph g = import("t.txt", "1 2 1e-46\n1 3 -1e-300\n2 3 -0\n2 1 1e-40\n3 1 -0.0e5\n", o);
  ASSERT_EQ(g.data.size(), 5u);
  EXPECT_EQ(g.data, (F32{0.0f, 0.0f, 1e-40f, 0.0f, 0.0f}));
  for (const float w : g.data) EXPECT_FALSE(std::signbit(w)) << w;
  o.scale_weights = true;
  ImportStats st;
  const Graph s = import("s.txt", "1 2 1e-30\n1 3 1e30\n2 3 -1e-30\n2 1 0\n", o, &st);
  EXPECT_EQ(s.data, (F32{0.0f, 1.0f, 0.0f, 0.0f}));
  for (const float w : s.data) EXPECT_FALSE(std::signbit(w)) << w;
  EXPECT_EQ(st.scaled_to_zero, 2);
  EXPECT_NE(error_of("h.txt", "1 2 1e39\n", o).find("beyond the range of float32"), std::string::npos);
}

TEST_F(ImportTest, ASumOfDuplicatesPastFloat32NamesThePair) {
  ImportOptions o;
  o.duplicates = DuplicateRule::sum;
  const std::string msg = error_of("s.txt", "3 1 1\n7 9 3e38\n7 9 3e38\n", o);
  EXPECT_NE(msg.find("s.txt: merging the duplicate edges 7 -> 9 (--duplicates sum) made a weight overflow float32"),
            std::string::npos)
      << msg;
}

TEST_F(ImportTest, DefaultRuleIsLast) {
  EXPECT_EQ(ImportOptions{}.duplicates, DuplicateRule::last);
  const Graph g = import("d.txt", "1 2 0.5\n1 2 0.75\n");
  EXPECT_EQ(g.data, (F32{0.75f}));
}

TEST_F(ImportTest, SelfLoopsDroppedButTheirAgentsKept) {
  ImportStats st;
  const Graph g = import("l.txt", "1 1\n1 2\n3 3\n2 2\n", {}, &st);
  EXPECT_EQ(g.n, 3);  // agent 3 appears only in a self-loop
  EXPECT_EQ(g.id, (I64{1, 2, 3}));
  EXPECT_EQ(g.indptr, (I64{0, 1, 1, 1}));
  EXPECT_EQ(g.indices, (I32{1}));
  EXPECT_EQ(st.self_loops_dropped, 3);

  ImportOptions keep;
  keep.keep_self_loops = true;
  const Graph k = import("l2.txt", "1 1\n1 2\n3 3\n2 2\n1 1\n", keep, &st);
  EXPECT_EQ(k.indptr, (I64{0, 2, 3, 4}));
  EXPECT_EQ(k.indices, (I32{0, 1, 1, 2}));
  EXPECT_EQ(st.self_loops_dropped, 0);
  EXPECT_EQ(st.duplicates_merged, 1);
}

TEST_F(ImportTest, ScaleWeightsIntoUnitRange) {
  ImportOptions o;
  o.signed_weights = true;
  o.scale_weights = true;
  ImportStats st;
  const Graph g = import("w.csv", "1,2,-10\n2,1,5\n2,3,1\n", o, &st);
  EXPECT_EQ(g.data, (F32{-1.0f, 0.5f, 0.1f}));
  EXPECT_EQ(st.weight_scale, 10.0);
  EXPECT_EQ(st.weight_min, -1.0f);
  EXPECT_EQ(st.weight_max, 0.5f);
  // The scale is taken after merging: sum of duplicates 3 + 3 = 6.
  o.duplicates = DuplicateRule::sum;
  const Graph s = import("w2.csv", "1,2,3\n1,2,3\n2,1,-2\n", o, &st);
  EXPECT_EQ(st.weight_scale, 6.0);
  EXPECT_EQ(s.data, (F32{1.0f, static_cast<float>(-2.0 / 6.0)}));
  // Unweighted inputs: all 1, scale 1.
  const Graph u = import("u.txt", "1 2\n", o, &st);
  EXPECT_EQ(st.weight_scale, 1.0);
  EXPECT_EQ(u.data, (F32{1.0f}));
}

TEST_F(ImportTest, GzipInputReadsTransparently) {
  const std::string text = "# gz\n1 2 0.5\n2 3 1\n";
  ImportStats st;
  const Graph g = import_graph(write_gz("g.txt.gz", text), {}, &st);
  EXPECT_TRUE(st.compressed);
  EXPECT_EQ(st.format, ImportFormat::snap);
  const Graph p = import("g.txt", text);
  EXPECT_EQ(g.indptr, p.indptr);
  EXPECT_EQ(g.indices, p.indices);
  EXPECT_EQ(g.data, p.data);
  EXPECT_EQ(g.source, "import:g.txt.gz");
  ImportStats mst;
  import_graph(write_gz("m.mtx.gz", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 2\n"), {}, &mst);
  EXPECT_EQ(mst.format, ImportFormat::mtx);
}

TEST_F(ImportTest, FormatDetection) {
  using trustprop::io::detect_format;
  EXPECT_EQ(detect_format("a.mtx"), ImportFormat::mtx);
  EXPECT_EQ(detect_format("dir.csv/a.MTX.gz"), ImportFormat::mtx);
  EXPECT_EQ(detect_format("a.csv"), ImportFormat::csv);
  EXPECT_EQ(detect_format("a.csv.gz"), ImportFormat::csv);
  EXPECT_EQ(detect_format("a.txt"), ImportFormat::snap);
  EXPECT_EQ(detect_format("out.advogato"), ImportFormat::snap);
  EXPECT_EQ(detect_format("a.gz"), ImportFormat::snap);
  // --format overrides the name: a .txt read as CSV takes its header.
  ImportOptions o;
  o.format = ImportFormat::csv;
  ImportStats st;
  import("x.txt", "a,b\n1,2\n", o, &st);
  EXPECT_EQ(st.header, "a,b");
}

TEST_F(ImportTest, MatrixMarketGeneralReal) {
  ImportStats st;
  const Graph g = import("m.mtx",
                         "%%MatrixMarket matrix coordinate real general\n% comment\n%\n4 4 4\n1 2 0.5\n3 1 2e0\n"
                         "2 2 1\n3 4 -0\n",
                         {}, &st);
  EXPECT_EQ(g.n, 4);  // n from the header
  EXPECT_EQ(g.id, (I64{1, 2, 3, 4}));
  EXPECT_EQ(g.indptr, (I64{0, 1, 1, 3, 3}));
  EXPECT_EQ(g.indices, (I32{1, 0, 3}));
  EXPECT_EQ(g.data, (F32{0.5f, 2.0f, 0.0f}));
  EXPECT_EQ(st.self_loops_dropped, 1);
  EXPECT_EQ(st.entries, 4);
  EXPECT_EQ(st.mtx_header, "%%MatrixMarket matrix coordinate real general");
}

TEST_F(ImportTest, MatrixMarketIsolatedAgentsKeepTheirIndex) {
  const Graph g = import("m.mtx", "%%MatrixMarket matrix coordinate integer general\n5 5 1\n4 2 3\n");
  EXPECT_EQ(g.n, 5);
  EXPECT_EQ(g.id, (I64{1, 2, 3, 4, 5}));
  EXPECT_EQ(g.indptr, (I64{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(g.indices, (I32{1}));
  EXPECT_EQ(g.data, (F32{3}));
}

TEST_F(ImportTest, MatrixMarketSymmetricPatternExpands) {
  ImportStats st;
  const Graph g = import("s.mtx", "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 3\n2 1\n3 1\n3 3\n", {}, &st);
  EXPECT_EQ(g.indptr, (I64{0, 2, 3, 4}));
  EXPECT_EQ(g.indices, (I32{1, 2, 0, 0}));
  EXPECT_EQ(g.data, (F32{1, 1, 1, 1}));
  EXPECT_EQ(st.entries, 3);
  EXPECT_EQ(st.edges_read, 5);
  EXPECT_EQ(st.self_loops_dropped, 1);
  ImportOptions keep;
  keep.keep_self_loops = true;
  const Graph k = import("s2.mtx", "%%matrixmarket MATRIX Coordinate Real Symmetric\n3 3 2\n2 1 0.5\n3 3 2\n", keep);
  EXPECT_EQ(k.indptr, (I64{0, 1, 2, 3}));
  EXPECT_EQ(k.indices, (I32{1, 0, 2}));
  EXPECT_EQ(k.data, (F32{0.5f, 0.5f, 2}));
}

TEST_F(ImportTest, MatrixMarketDuplicateErrorNamesLines) {
  ImportOptions o;
  o.duplicates = DuplicateRule::error;
  const std::string msg =
      error_of("d.mtx", "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n1 2\n", o);
  EXPECT_NE(msg.find("d.mtx:4: duplicate entry"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(first on line 3)"), std::string::npos) << msg;
}

TEST_F(ImportTest, MatrixMarketWithoutEntriesIsAnEmptyGraph) {
  const Graph g = import("e.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 0\n");
  EXPECT_EQ(g.n, 3);
  EXPECT_EQ(g.nnz(), 0);
}

TEST_F(ImportTest, FieldParsers) {
  using trustprop::io::ParseStatus;
  using trustprop::io::parse_float;
  using trustprop::io::parse_int64;
  std::int64_t v = 0;
  EXPECT_EQ(parse_int64("+5", v), ParseStatus::ok);
  EXPECT_EQ(v, 5);
  EXPECT_EQ(parse_int64("-9223372036854775808", v), ParseStatus::ok);
  EXPECT_EQ(v, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_int64("9223372036854775808", v), ParseStatus::out_of_range);
  EXPECT_EQ(parse_int64("5x", v), ParseStatus::invalid);
  EXPECT_EQ(parse_int64("", v), ParseStatus::invalid);
  EXPECT_EQ(parse_int64("+-1", v), ParseStatus::invalid);
  EXPECT_EQ(parse_int64("1.0", v), ParseStatus::invalid);
  float f = 0;
  EXPECT_EQ(parse_float(".8", f), ParseStatus::ok);
  EXPECT_EQ(f, 0.8f);
  EXPECT_EQ(parse_float("-1e-3", f), ParseStatus::ok);
  EXPECT_EQ(f, -1e-3f);
  EXPECT_EQ(parse_float("1e39", f), ParseStatus::out_of_range);
  EXPECT_EQ(parse_float("nan", f), ParseStatus::ok);
  EXPECT_TRUE(std::isnan(f));
  EXPECT_EQ(parse_float("0x10", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float("1,5", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float("++1", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float("-", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float(".", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float("1.2.3", f), ParseStatus::invalid);
  EXPECT_EQ(parse_float("-0", f), ParseStatus::ok);
  EXPECT_FALSE(std::signbit(f));  // a zero is +0
  EXPECT_EQ(parse_float("-1e-46", f), ParseStatus::ok);  // rounds to zero: not out of range
  EXPECT_EQ(f, 0.0f);
  EXPECT_FALSE(std::signbit(f));
  EXPECT_EQ(parse_float("-1e-400", f), ParseStatus::ok);
  EXPECT_EQ(f, 0.0f);
  EXPECT_EQ(parse_float("-1e400", f), ParseStatus::out_of_range);
  // The short-decimal fast path gives exactly what std::from_chars gives.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 9), point = static_cast<int>(rng() % (digits + 1));
    std::string t = rng() % 2 ? "-" : "";
    for (int k = 0; k < digits; ++k) {
      if (k == point) t += '.';
      t += static_cast<char>('0' + rng() % 10);
    }
    float want = 0;
    std::from_chars(t.data(), t.data() + t.size(), want);
    ASSERT_EQ(parse_float(t, f), ParseStatus::ok) << t;
    ASSERT_EQ(f, want) << t;
  }
}

TEST_F(ImportTest, TextInputBlocksKeepLinesWholeAndNumbered) {
  std::string text;
  for (int i = 1; i <= 5000; ++i) text += std::to_string(i) + (i % 3 ? "\n" : "\r\n");
  text += "last";
  const std::string p = write("t.txt", text);
  trustprop::io::TextInput in(p, 4096);
  std::string_view line;
  ASSERT_TRUE(in.next_line(line));
  EXPECT_EQ(line, "1");
  ASSERT_TRUE(in.next_line(line));
  EXPECT_EQ(line, "2");
  ASSERT_TRUE(in.next_line(line));
  EXPECT_EQ(line, "3");  // CR stripped
  std::string_view block;
  std::int64_t first = 0, expect_first = 4;
  std::string rest;
  int blocks = 0;
  while (in.next_block(block, first)) {
    EXPECT_EQ(first, expect_first);
    ASSERT_FALSE(block.empty());
    expect_first += std::count(block.begin(), block.end(), '\n') + (block.back() == '\n' ? 0 : 1);
    rest.append(block);
    ++blocks;
  }
  EXPECT_GT(blocks, 3);
  EXPECT_EQ(rest, text.substr(text.find("\r\n") + 2));
  EXPECT_EQ(in.line_number(), 5001);
}

// A random edge list large enough for the parallel parse and the parallel
// stable counting sort, checked against a std::map built line by line.
TEST_F(ImportTest, LargeInputMatchesAReference) {
  std::mt19937_64 rng(42);
  const int agents = 20000;
  std::uniform_int_distribution<int> pick(0, agents - 1), weight(-5, 5);
  std::map<std::pair<std::int64_t, std::int64_t>, float> last, sum;
  std::string text = "source,target,weight\n";
  const int lines = 1200000;
  text.reserve(static_cast<std::size_t>(lines) * 20);
  std::int64_t loops = 0;
  for (int k = 0; k < lines; ++k) {
    const std::int64_t s = 1000 + 7LL * pick(rng), d = 1000 + 7LL * pick(rng);
    const int w = weight(rng);
    text += std::to_string(s) + "," + std::to_string(d) + "," + std::to_string(w) + "\n";
    if (s == d) {
      ++loops;
      continue;
    }
    last[{s, d}] = static_cast<float>(w);
    sum[{s, d}] += static_cast<float>(w);
  }
  const std::string p = write("big.csv", text);
  for (const auto rule : {DuplicateRule::last, DuplicateRule::sum}) {
    for (const int threads : {1, 4}) {
      omp_set_num_threads(threads);
      ImportOptions o;
      o.signed_weights = true;
      o.duplicates = rule;
      ImportStats st;
      const Graph g = import_graph(p, o, &st);
      const auto& ref = rule == DuplicateRule::last ? last : sum;
      ASSERT_EQ(g.nnz(), static_cast<std::int64_t>(ref.size()));
      EXPECT_EQ(st.self_loops_dropped, loops);
      EXPECT_EQ(st.entries, lines);
      std::int64_t k = 0;
      bool same = true;
      for (std::int64_t i = 0; i < g.n && same; ++i) {
        for (std::int64_t e = g.indptr[i]; e < g.indptr[i + 1]; ++e, ++k) {
          auto it = ref.find({g.id[i], g.id[g.indices[e]]});
          same = it != ref.end() && it->second == g.data[e];
          if (!same) break;
        }
      }
      EXPECT_TRUE(same) << "rule " << trustprop::io::to_string(rule) << ", " << threads << " threads";
    }
  }
  omp_set_num_threads(omp_get_num_procs());
  // A bad line deep inside a large block is reported with its own number.
  std::string bad = text;
  std::size_t pos = 0;
  for (int l = 0; l < 1000000; ++l) pos = bad.find('\n', pos) + 1;  // start of line 1000001
  bad.insert(pos, "1,2,oops\n");
  ImportOptions signed_options;
  signed_options.signed_weights = true;
  try {
    import_graph(write("bad.csv", bad), signed_options);
    FAIL() << "accepted a bad line";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:1000001: weight 'oops' is not a number"), std::string::npos)
        << e.what();
  }
}

TEST_F(ImportTest, ImportedGraphRoundTripsThroughTheFile) {
  ImportOptions o;
  o.signed_weights = true;
  const Graph g = import("g.csv", "src,dst,w\n7,9,-1\n9,7,2\n9,11,3\n", o);
  const std::string out = (dir_ / "g.h5").string();
  trustprop::io::write_graph(out, g);
  const Graph r = trustprop::io::read_graph(out);
  EXPECT_EQ(r.indptr, g.indptr);
  EXPECT_EQ(r.indices, g.indices);
  EXPECT_EQ(r.data, g.data);
  EXPECT_EQ(r.id, (I64{7, 9, 11}));
  EXPECT_EQ(r.source, "import:g.csv");
}

}  // namespace
