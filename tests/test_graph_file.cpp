// Graph files: round trips, streaming in blocks, content hashes, atomic
// output, and the invariants checked on read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <limits>

#include "common/error.hpp"
#include "io/graph_file.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;
using trustprop::testing::TempPath;

namespace {

bool file_exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

io::Graph sample_graph() {
  auto g = graph_from_edges(5, {{0, 1, 1.0f}, {0, 3, 0.5f}, {1, 2, -0.25f}, {3, 0, 2.0f}, {3, 4, 1.0f}});
  g.kind = {0, 0, 1, 2, 0};
  g.id = {10, 20, 30, 40, 55};
  g.source = "test";
  return g;
}

}  // namespace

TEST(GraphFile, RoundTripKeepsEveryArray) {
  TempPath path("roundtrip.h5");
  const io::Graph g = sample_graph();
  io::write_graph(path.str(), g);
  const io::Graph r = io::read_graph(path.str());
  EXPECT_EQ(r.n, 5);
  EXPECT_EQ(r.indptr, g.indptr);
  EXPECT_EQ(r.indices, g.indices);
  EXPECT_EQ(r.data, g.data);
  EXPECT_EQ(r.kind, g.kind);
  EXPECT_EQ(r.id, g.id);
  EXPECT_EQ(r.source, "test");
  EXPECT_EQ(r.content_hash, io::compute_content_hash(g));
  const auto h = io::read_graph_header(path.str());
  EXPECT_EQ(h.nnz, 5);
  EXPECT_TRUE(h.has_kinds);
}

TEST(GraphFile, StreamingInBlocksEqualsWholeWrite) {
  TempPath a("whole.h5"), b("blocks.h5");
  const io::Graph g = sample_graph();
  io::write_graph(a.str(), g);
  io::GraphWriteOptions opt;
  opt.expected_nnz = 2;  // several chunks
  io::GraphWriter w(b.str(), g.n, g.source, opt);
  for (std::int64_t r = 0; r < g.n; ++r) {
    const std::int64_t len = g.indptr[r + 1] - g.indptr[r];
    w.append_rows(&len, 1, g.indices.data() + g.indptr[r], g.data.data() + g.indptr[r]);
  }
  w.set_kinds(g.kind);
  w.set_ids(g.id);
  w.commit();
  const io::Graph ra = io::read_graph(a.str()), rb = io::read_graph(b.str());
  EXPECT_EQ(ra.indptr, rb.indptr);
  EXPECT_EQ(ra.indices, rb.indices);
  EXPECT_EQ(ra.data, rb.data);
  EXPECT_EQ(ra.content_hash, rb.content_hash);
}

TEST(GraphFile, ContentHashChangesWithAnyArray) {
  io::Graph g = sample_graph();
  const std::string h0 = io::compute_content_hash(g);
  g.data[2] = -0.5f;
  const std::string h1 = io::compute_content_hash(g);
  g.data[2] = -0.25f;
  g.indices[1] = 2;
  const std::string h2 = io::compute_content_hash(g);
  EXPECT_NE(h0, h1);
  EXPECT_NE(h0, h2);
  EXPECT_EQ(h0.rfind("xxh3:", 0), 0u);
}

TEST(GraphFile, AbandonedWriterLeavesNothing) {
  TempPath path("abandoned.h5");
  {
    io::GraphWriter w(path.str(), 3, "test");
    const std::int64_t len = 1;
    const std::int32_t col = 1;
    const float wt = 1.0f;
    w.append_rows(&len, 1, &col, &wt);
  }  // no commit
  EXPECT_FALSE(file_exists(path.str()));
  EXPECT_FALSE(file_exists(path.str() + ".tmp-" + std::to_string(getpid())));
}

TEST(GraphFile, CommitWithMissingRowsIsAnErrorAndLeavesNothing) {
  TempPath path("short.h5");
  {
    io::GraphWriter w(path.str(), 3, "test");
    EXPECT_THROW(w.commit(), InternalError);
  }
  EXPECT_FALSE(file_exists(path.str()));
}

TEST(GraphFile, UnwritableOutputIsAnIoError) {
  EXPECT_THROW(io::write_graph("/nonexistent-dir/g.h5", sample_graph()), IoError);
  EXPECT_THROW(io::write_graph(::testing::TempDir(), sample_graph()), IoError);
}

TEST(GraphFile, MissingInputIsNoInput) {
  EXPECT_THROW(io::read_graph("/nonexistent/graph.h5"), NoInputError);
  EXPECT_THROW(io::read_graph(::testing::TempDir()), NoInputError);
}

TEST(GraphValidation, NamesTheBrokenInvariant) {
  auto expect_message = [](io::Graph g, const std::string& needle) {
    try {
      io::validate_graph(g, "g.h5");
      ADD_FAILURE() << "no error for " << needle;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("g.h5"), std::string::npos) << e.what();
    }
  };
  io::Graph g = sample_graph();
  io::validate_graph(g, "g.h5");  // the sample is valid

  io::Graph bad = g;
  std::swap(bad.indices[0], bad.indices[1]);
  expect_message(bad, "row 0 is not sorted");
  bad = g;
  bad.indices[1] = bad.indices[0];
  expect_message(bad, "duplicate column");
  bad = g;
  bad.indices[4] = 5;
  expect_message(bad, "outside 0..4");
  bad = g;
  bad.data[3] = std::numeric_limits<float>::quiet_NaN();
  expect_message(bad, "NaN");
  bad = g;
  bad.data[3] = std::numeric_limits<float>::infinity();
  expect_message(bad, "infinite");
  bad = g;
  bad.indptr[3] = 2;  // row 2 would end before it starts
  expect_message(bad, "not non-decreasing");
  bad = g;
  bad.indptr[0] = 1;
  expect_message(bad, "indptr[0]");
  bad = g;
  bad.kind[1] = 7;
  expect_message(bad, "/agents/kind");
}
