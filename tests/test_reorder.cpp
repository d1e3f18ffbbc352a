// Agent orderings (`trustprop reorder`, io/reorder.hpp): hand-checked orders
// on tiny graphs, the bijection, bandwidth reduction, the written file, and
// EigenTrust results that name the same agents before and after.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "io/graph_file.hpp"
#include "io/h5.hpp"
#include "io/reorder.hpp"
#include "test_helpers.hpp"

namespace {

using namespace trustprop;
using trustprop::testing::graph_from_edges;
using trustprop::testing::TempPath;
namespace cli = trustprop::testing::cli;
using Edges = std::vector<std::tuple<int, int, float>>;

void expect_bijection(const std::vector<std::int32_t>& p, std::int64_t n) {
  ASSERT_EQ(static_cast<std::int64_t>(p.size()), n);
  std::vector<std::int32_t> sorted(p);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int32_t> identity(static_cast<std::size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
}

// A rows x cols grid, edges both ways, agents numbered by a seeded shuffle.
io::Graph scrambled_grid(int rows, int cols, unsigned seed) {
  std::vector<int> label(static_cast<std::size_t>(rows * cols));
  std::iota(label.begin(), label.end(), 0);
  std::shuffle(label.begin(), label.end(), std::mt19937(seed));
  Edges e;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const int v = label[r * cols + c];
      if (c + 1 < cols) {
        e.emplace_back(v, label[r * cols + c + 1], 1.0f);
        e.emplace_back(label[r * cols + c + 1], v, 0.5f);
      }
      if (r + 1 < rows) {
        e.emplace_back(v, label[(r + 1) * cols + c], 1.0f);
        e.emplace_back(label[(r + 1) * cols + c], v, 0.25f);
      }
    }
  return graph_from_edges(rows * cols, e);
}

TEST(Reorder, DegreeOrderIsDescendingInPlusOutTiesByOldIndex) {
  // in+out degrees: 0:2, 1:4, 2:3, 3:2, 4:1.
  const io::Graph g = graph_from_edges(5, {{0, 1, 1}, {2, 1, 1}, {3, 1, 1}, {1, 2, 1}, {3, 2, 1}, {4, 0, 1}});
  EXPECT_EQ(io::order_agents(g, io::ReorderMethod::degree), (std::vector<std::int32_t>{1, 2, 0, 3, 4}));
}

TEST(Reorder, RcmOfAScrambledPathIsThePath) {
  // The path 3 - 0 - 4 - 1 - 2 (directed along it). Start: 2 (lowest degree,
  // lowest index), already peripheral; CM numbers 2 1 4 0 3; reversed.
  const io::Graph g = graph_from_edges(5, {{3, 0, 1}, {0, 4, 1}, {4, 1, 1}, {1, 2, 1}});
  const auto order = io::order_agents(g, io::ReorderMethod::rcm);
  EXPECT_EQ(order, (std::vector<std::int32_t>{3, 0, 4, 1, 2}));
  EXPECT_EQ(io::bandwidth(g), 4);
  EXPECT_EQ(io::bandwidth(g, io::inverse_permutation(order)), 1);
}

TEST(Reorder, RcmHandChecked) {
  // Symmetrised: a tree 1-0, 0-2, 0-3, 3-4, 2-5 (0 <-> 1 mutual, a self-loop
  // on 2, neither counts twice), an isolated agent 6, and a pair 7-8.
  // Degrees 0:3, 1:1, 2:2, 3:2, 4:1, 5:1, 6:0, 7:1, 8:1.
  // Components start in (degree, index) order: 6, then 1's tree, then 7.
  // Tree: BFS from 1 ends at {4, 5} (eccentricity 3) -> 4; from 4 the
  // eccentricity is 4 -> start 4 (from 5, again 4: stop). CM from 4:
  // 4 3 0 {1, 2 by degree} 5. Pair: 7 8. Reversed overall.
  const io::Graph g = graph_from_edges(
      9, {{1, 0, 1}, {0, 1, 1}, {0, 2, 1}, {3, 0, 1}, {4, 3, 1}, {2, 5, 1}, {2, 2, 1}, {8, 7, 1}});
  EXPECT_EQ(io::order_agents(g, io::ReorderMethod::rcm), (std::vector<std::int32_t>{8, 7, 5, 2, 1, 0, 3, 4, 6}));
}

TEST(Reorder, OrdersAreBijectionsAndDeterministic) {
  const io::Graph g = scrambled_grid(13, 17, 3);
  for (const auto m : {io::ReorderMethod::degree, io::ReorderMethod::rcm}) {
    const auto p = io::order_agents(g, m);
    expect_bijection(p, g.n);
    EXPECT_EQ(p, io::order_agents(g, m));
  }
  io::Graph empty;
  empty.indptr = {0};
  EXPECT_TRUE(io::order_agents(empty, io::ReorderMethod::rcm).empty());
  EXPECT_TRUE(io::order_agents(empty, io::ReorderMethod::degree).empty());
  EXPECT_THROW(io::inverse_permutation({0, 2, 2}), InternalError);
  EXPECT_THROW(io::inverse_permutation({0, 3, 1}), InternalError);
}

TEST(Reorder, RcmShrinksTheBandwidthOfAScrambledGrid) {
  const io::Graph g = scrambled_grid(30, 40, 7);
  const std::int64_t before = io::bandwidth(g);
  const std::int64_t after = io::bandwidth(g, io::inverse_permutation(io::order_agents(g, io::ReorderMethod::rcm)));
  EXPECT_GT(before, 500);
  // A grid's minimum bandwidth is min(rows, cols); RCM stays close to it.
  EXPECT_LE(after, 40);
}

TEST(Reorder, WrittenGraphIsThePermutedGraphWithIdsKindsAndPreviousIndex) {
  io::Graph g = scrambled_grid(6, 7, 11);
  g.kind.resize(static_cast<std::size_t>(g.n));
  g.id.resize(static_cast<std::size_t>(g.n));
  for (std::int64_t v = 0; v < g.n; ++v) {
    g.kind[v] = static_cast<std::uint8_t>(v % 3);
    g.id[v] = 1000 + 7 * v;
  }
  g.source = "test";
  const auto new_to_old = io::order_agents(g, io::ReorderMethod::rcm);
  TempPath path("reordered.h5");
  io::write_reordered_graph(path.str(), g, new_to_old);

  const io::Graph r = io::read_graph(path.str());  // validates: rows sorted, unique, in range
  EXPECT_EQ(r.content_hash, io::compute_content_hash(r));
  ASSERT_EQ(r.n, g.n);
  ASSERT_EQ(r.nnz(), g.nnz());
  const auto prev = io::h5::File::open_read(path.str()).read_1d<std::int32_t>("/agents/previous_index", g.n);
  EXPECT_EQ(prev, new_to_old);
  std::map<std::pair<std::int64_t, std::int64_t>, float> old_edges;
  for (std::int64_t i = 0; i < g.n; ++i)
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) old_edges[{g.id[i], g.id[g.indices[k]]}] = g.data[k];
  for (std::int64_t i = 0; i < r.n; ++i) {
    EXPECT_EQ(r.id[i], g.id[new_to_old[i]]);
    EXPECT_EQ(r.kind[i], g.kind[new_to_old[i]]);
    for (std::int64_t k = r.indptr[i]; k < r.indptr[i + 1]; ++k) {
      const auto it = old_edges.find({r.id[i], r.id[r.indices[k]]});
      ASSERT_NE(it, old_edges.end());
      EXPECT_EQ(it->second, r.data[k]);
    }
  }

  // Without original ids in the input, /agents/id holds the old indices.
  g.id.clear();
  io::write_reordered_graph(path.str(), g, new_to_old);
  const io::Graph r2 = io::read_graph(path.str());
  EXPECT_EQ(r2.id, std::vector<std::int64_t>(new_to_old.begin(), new_to_old.end()));
}

class ReorderCli : public ::testing::Test {
 protected:
  void SetUp() override {
    graph = (dir.path() / "city.h5").string();
    ASSERT_EQ(run("generate city --agents 3000 --seed 9 -o " + cli::shell_quoted(graph)).rc, 0);
  }
  cli::RunResult run(const std::string& args) { return cli::run(args, dir.path()); }

  cli::TempDir dir;
  std::string graph;
};

TEST_F(ReorderCli, EigenTrustByOriginalIdIsUnchanged) {
  const std::string base = (dir.path() / "base.h5").string();
  const std::string rank = " rank --model eigentrust --gather-precision float64 --tolerance 1e-13 -o ";
  ASSERT_EQ(run("--device cpu" + rank + cli::shell_quoted(base) + " " + cli::shell_quoted(graph)).rc, 0);
  const auto t0 = io::h5::File::open_read(base).read_1d<double>("/trust/eigentrust", 3000);

  for (const std::string method : {"degree", "rcm"}) {
    SCOPED_TRACE(method);
    const std::string reordered = (dir.path() / (method + ".h5")).string();
    const std::string results = (dir.path() / (method + "-results.h5")).string();
    auto r = run("reorder " + cli::shell_quoted(graph) + " --method " + method + " --json -o " +
                 cli::shell_quoted(reordered));
    ASSERT_EQ(r.rc, 0) << r.err;
    const auto summary = nlohmann::json::parse(r.out);
    EXPECT_EQ(summary["agents"], 3000);
    r = run("info --verify --json " + cli::shell_quoted(reordered));
    ASSERT_EQ(r.rc, 0) << r.err;
    const auto info = nlohmann::json::parse(r.out);
    const auto prov = nlohmann::json::parse(info["attributes"]["reorder"].get<std::string>());
    EXPECT_EQ(prov["method"], method);
    EXPECT_EQ(prov["source_content_hash"], io::read_graph_header(graph).content_hash);
    EXPECT_TRUE(info["attributes"].contains("generator"));

    ASSERT_EQ(run("--device cpu" + rank + cli::shell_quoted(results) + " " + cli::shell_quoted(reordered)).rc, 0);
    const auto f = io::h5::File::open_read(results);
    const auto t = f.read_1d<double>("/trust/eigentrust", 3000);
    const auto id = f.read_1d<std::int64_t>("/agents/id", 3000);
    double worst = 0;
    for (std::size_t r2 = 0; r2 < t.size(); ++r2) worst = std::max(worst, std::fabs(t[r2] - t0[id[r2]]));
    EXPECT_LT(worst, 1e-12);
  }
}

// --warm-start gives each agent its trust by original id: results of the
// city at 1e-13 start its renumbered copy at the fixed point, as they start
// the city itself (one iteration to 1e-10; a result summing to 1 within
// 1e-6 is not rescaled), and those of the copy start the city so too;
// before, the vector was taken position by position, a permuted start no
// better than a cold one (41 and 40 iterations). A graph of other ids is
// refused.
TEST_F(ReorderCli, AWarmStartMatchesAgentsByOriginalId) {
  const auto path = [&](const std::string& name) { return cli::shell_quoted((dir.path() / name).string()); };
  const std::string rank = "--device cpu rank --model eigentrust --gather-precision float64 ";
  ASSERT_EQ(run(rank + "--tolerance 1e-13 -o " + path("base.h5") + " " + cli::shell_quoted(graph)).rc, 0);
  ASSERT_EQ(run("reorder " + cli::shell_quoted(graph) + " --method degree -o " + path("degree.h5")).rc, 0);
  const auto iterations = [&](const std::string& file) {
    return io::h5::File::open_read((dir.path() / file).string()).read_1d<double>("/convergence/eigentrust/residuals").size();
  };
  auto r = run(rank + "--tolerance 1e-10 --warm-start " + path("base.h5") + " -o " + path("same.h5") + " " +
               cli::shell_quoted(graph));
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::size_t warm = iterations("same.h5");
  EXPECT_EQ(warm, 1u);
  r = run(rank + "--tolerance 1e-10 -o " + path("cold.h5") + " " + path("degree.h5"));
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_LT(10 * warm, iterations("cold.h5"));
  r = run(rank + "--tolerance 1e-10 --warm-start " + path("base.h5") + " -o " + path("warm.h5") + " " +
          path("degree.h5"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(iterations("warm.h5"), warm);
  r = run(rank + "--tolerance 1e-13 -o " + path("degree-base.h5") + " " + path("degree.h5"));
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run(rank + "--tolerance 1e-10 --warm-start " + path("degree-base.h5") + " -o " + path("back.h5") + " " +
          cli::shell_quoted(graph));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(iterations("back.h5"), warm);
  // An imported graph whose ids the city has none of.
  std::ofstream(dir.path() / "far.txt") << "100000 100001\n100001 100002\n";
  ASSERT_EQ(run("import " + path("far.txt") + " -o " + path("far.h5")).rc, 0);
  r = run(rank + "--warm-start " + path("base.h5") + " -o " + path("far-r.h5") + " " + path("far.h5"));
  EXPECT_EQ(r.rc, 65) << r.err;
  EXPECT_NE(r.err.find("none of its 3000 agents is an agent of the graph"), std::string::npos) << r.err;
}

TEST_F(ReorderCli, BadInputExitsWithItsCodeAndLeavesNothing) {
  const std::string out = (dir.path() / "out.h5").string();
  const auto before = dir.entries();
  EXPECT_EQ(run("reorder " + cli::shell_quoted((dir.path() / "missing.h5").string()) + " --method rcm -o " +
                cli::shell_quoted(out))
                .rc,
            66);
  EXPECT_EQ(run("reorder " + cli::shell_quoted(graph) + " --method metis -o " + cli::shell_quoted(out)).rc, 64);
  EXPECT_EQ(run("reorder " + cli::shell_quoted(graph) + " -o " + cli::shell_quoted(out)).rc, 64);  // no --method
  EXPECT_EQ(run("reorder " + cli::shell_quoted(cli::kBad + "/h5_unsorted_columns.h5") + " --method degree -o " +
                cli::shell_quoted(out))
                .rc,
            65);
  EXPECT_EQ(run("reorder " + cli::shell_quoted(graph) + " --method rcm -o " +
                cli::shell_quoted((dir.path() / "no-such-dir" / "out.h5").string()))
                .rc,
            74);
  EXPECT_EQ(dir.entries(), before);
}

TEST_F(ReorderCli, ImportCanReorderOnTheWayOut) {
  // The path 10 - 30 - 20 - 40: imported as agents 0 - 2 - 1 - 3 (ids in
  // ascending order); RCM from agent 0 numbers 0 2 1 3, reversed.
  const auto edges = dir.path() / "path.txt";
  std::ofstream(edges) << "10 30\n30 20\n20 40\n";
  const std::string out = (dir.path() / "path.h5").string();
  const auto r = run("import " + cli::shell_quoted(edges.string()) + " --reorder rcm -o " + cli::shell_quoted(out));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(run("info --verify " + cli::shell_quoted(out)).rc, 0);
  const io::Graph g = io::read_graph(out);
  EXPECT_EQ(g.id, (std::vector<std::int64_t>{40, 20, 30, 10}));
  EXPECT_EQ(io::bandwidth(g), 1);
  EXPECT_EQ(run("import " + cli::shell_quoted(edges.string()) + " --reorder metis -o " + cli::shell_quoted(out)).rc, 64);
}

}  // namespace
