// The pieces of a distributed run (DESIGN §7) that one process can check:
// the partition of agents, a process's rows read from a graph file, the
// EigenTrust step on a share of Cᵀ's rows (kernels/eigentrust.hpp,
// first_row), the launcher's environment, and collective errors in one
// process. tests/test_distributed_cli.cpp runs the processes together.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

#include "common/error.hpp"
#include "eigentrust_test_support.hpp"
#include "host/partition.hpp"
#include "host/personalized.hpp"
#include "host/world.hpp"
#include "io/graph_file.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
namespace tt = trustprop::testing;
using tt::TempPath;

namespace {

std::vector<std::int64_t> prefix(const std::vector<std::int64_t>& lengths) {
  std::vector<std::int64_t> p(lengths.size() + 1, 0);
  std::partial_sum(lengths.begin(), lengths.end(), p.begin() + 1);
  return p;
}

}  // namespace

TEST(Partition, EqualRowsSplitEvenly) {
  // 8 agents of 3 entries: cost 4 each, 32 in all; 4 parts of 8.
  EXPECT_EQ(host::balanced_bounds(prefix(std::vector<std::int64_t>(8, 3)), 4),
            (std::vector<std::int64_t>{0, 2, 4, 6, 8}));
  EXPECT_EQ(host::balanced_bounds(prefix(std::vector<std::int64_t>(8, 3)), 1), (std::vector<std::int64_t>{0, 8}));
}

TEST(Partition, ALongRowIsNotSplitAndEmptyRowsCostOne) {
  // Costs 1, 1, 21, 1, 1, 1 (total 26): part 1 starts where the prefix
  // reaches 13 (after agent 2's long row), the long row stays whole.
  const auto b = host::balanced_bounds(prefix({0, 0, 20, 0, 0, 0}), 2);
  EXPECT_EQ(b, (std::vector<std::int64_t>{0, 3, 6}));
  // More parts than the cost allows: some ranges are empty, none is out of order.
  const auto many = host::balanced_bounds(prefix({0, 0, 20, 0, 0, 0}), 8);
  ASSERT_EQ(many.size(), 9u);
  EXPECT_EQ(many.front(), 0);
  EXPECT_EQ(many.back(), 6);
  EXPECT_TRUE(std::is_sorted(many.begin(), many.end()));
  EXPECT_EQ(host::balanced_bounds(prefix({}), 3), (std::vector<std::int64_t>{0, 0, 0, 0}));
}

TEST(Partition, OwnerSkipsEmptyRanges) {
  const std::vector<std::int64_t> b{0, 3, 3, 7, 7};
  EXPECT_EQ(host::owner_of(b, 0), 0);
  EXPECT_EQ(host::owner_of(b, 2), 0);
  EXPECT_EQ(host::owner_of(b, 3), 2);
  EXPECT_EQ(host::owner_of(b, 6), 2);
  EXPECT_EQ(host::owner_of({0, 0, 5}, 0), 1);
}

TEST(Partition, SeedSetsSplitByCountAndSliceRenumbered) {
  EXPECT_EQ(host::even_bounds(7, 3), (std::vector<std::int64_t>{0, 2, 4, 7}));
  EXPECT_EQ(host::even_bounds(2, 3), (std::vector<std::int64_t>{0, 0, 1, 2}));  // a process without sets
  EXPECT_EQ(host::even_bounds(5, 1), (std::vector<std::int64_t>{0, 5}));
  host::SeedSets s;
  s.offsets = {0, 3, 4, 6, 7};
  s.agents = {1, 2, 3, 9, 4, 5, 8};
  const host::SeedSets middle = host::slice(s, 1, 3);
  EXPECT_EQ(middle.offsets, (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(middle.agents, (std::vector<std::int64_t>{9, 4, 5}));
  EXPECT_EQ(host::slice(s, 2, 2).count(), 0);
  EXPECT_EQ(host::slice(s, 0, 4).agents, s.agents);
}

TEST(GraphRows, RangesReadTheSameRowsAsTheWholeGraph) {
  const io::Graph g = tt::random_trust_graph(3000, [](int, int r) { return 1.0f + static_cast<float>(r); }, 5);
  TempPath path("rows.h5");
  io::write_graph(path.str(), g);
  const io::GraphHeader h = io::read_graph_header(path.str());
  const std::vector<std::int64_t> indptr = io::read_graph_indptr(path.str(), h);
  EXPECT_EQ(indptr, g.indptr);
  const std::vector<std::int64_t> bounds = host::balanced_bounds(indptr, 3);
  std::vector<std::int32_t> indices;
  std::vector<float> data;
  for (int r = 0; r < 3; ++r) {
    const io::GraphRows rows = io::read_graph_rows(path.str(), h.n, indptr, bounds[r], bounds[r + 1]);
    ASSERT_EQ(rows.rows(), bounds[r + 1] - bounds[r]);
    EXPECT_EQ(rows.indptr.front(), 0);
    for (std::int64_t i = rows.first; i <= rows.last; ++i)
      EXPECT_EQ(rows.indptr[i - rows.first], g.indptr[i] - g.indptr[rows.first]) << "row " << i;
    indices.insert(indices.end(), rows.indices.begin(), rows.indices.end());
    data.insert(data.end(), rows.data.begin(), rows.data.end());
  }
  EXPECT_EQ(indices, g.indices);
  EXPECT_EQ(data, g.data);
  const io::Graph agents = io::read_graph_agents(path.str(), h);
  EXPECT_EQ(agents.n, g.n);
  EXPECT_TRUE(agents.indices.empty());
}

TEST(GraphRows, ABadRowIsNamedByItsNumberInTheFile) {
  io::Graph g = tt::graph_from_edges(6, {{0, 1, 1.f}, {1, 2, 1.f}, {3, 4, 1.f}, {4, 5, 1.f}, {5, 0, 1.f}});
  g.data[3] = std::numeric_limits<float>::quiet_NaN();  // row 4's tie: the fourth entry of the file
  TempPath path("bad_rows.h5");
  io::write_graph(path.str(), g);
  const io::GraphHeader h = io::read_graph_header(path.str());
  const std::vector<std::int64_t> indptr = io::read_graph_indptr(path.str(), h);
  EXPECT_NO_THROW(io::read_graph_rows(path.str(), h.n, indptr, 0, 3));  // the bad row is another process's
  try {
    io::read_graph_rows(path.str(), h.n, indptr, 3, 6);
    FAIL() << "a NaN weight was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("entry 3 (row 4, column 5) is NaN"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.str()), std::string::npos) << e.what();
  }
}

// The step on a share of Cᵀ's rows writes exactly those rows of t' and of
// the gathered copy, with the whole step's bits, and its residual is their
// part of the whole one.
class EigenTrustFirstRow : public ::testing::TestWithParam<bool> {};

TEST_P(EigenTrustFirstRow, SharesOfRowsGiveTheWholeStepsBits) {
  const bool value_free = GetParam();
  const int n = 5000;  // more than a reduction block, and rows past 2^12
  const io::Graph g = tt::random_trust_graph(
      n, [&](int, int r) { return value_free ? 1.0f : 0.5f + static_cast<float>(r); }, 11, true);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::Transition tr =
      tt::cpu_transition(exec, g, value_free ? kernels::TransitionForm::value_free_if_uniform
                                                  : kernels::TransitionForm::weighted);
  ASSERT_EQ(tr.value_free, value_free);
  ASSERT_GT(tr.dangling.size(), 0u);
  std::vector<double> t(n), p(n, 1.0 / n);
  for (int i = 0; i < n; ++i) t[i] = (1.0 + i % 13) / (7.0 * n);
  std::vector<double> scale(n, 1.0);
  if (value_free) scale = tr.source_scale.to_host();
  std::vector<float> x32(n);
  for (int i = 0; i < n; ++i) x32[i] = static_cast<float>(t[i] * scale[i]);
  const kernels::CsrView ct = tr.ct.view();
  const auto step = [&](const kernels::CsrView& rows, std::int64_t first, std::vector<double>& out,
                        std::vector<float>& copy) {
    return kernels::cpu::eigentrust_step(*exec, rows, tr.dangling.data(), static_cast<std::int64_t>(tr.dangling.size()),
                                         p.data(), 0.15, t.data(), out.data(),
                                         tt::gather_vectors(tr, x32.data(), copy.data(), nullptr, nullptr), first);
  };
  std::vector<double> whole(n), shared(n, -1.0);
  std::vector<float> whole_copy(n), shared_copy(n, -1.0f);
  const double whole_residual = step(ct, 0, whole, whole_copy);
  double residual = 0.0;
  const std::vector<std::int64_t> bounds{0, 1234, 1234, 4097, n};  // an empty share, one across a block boundary
  for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
    const kernels::CsrView share{bounds[r + 1] - bounds[r], n, ct.nnz, ct.indptr + bounds[r], ct.indices, ct.values};
    residual += step(share, bounds[r], shared, shared_copy);
  }
  EXPECT_EQ(std::memcmp(whole.data(), shared.data(), n * sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(whole_copy.data(), shared_copy.data(), n * sizeof(float)), 0);
  EXPECT_NEAR(residual, whole_residual, 1e-14 * whole_residual);  // the same terms, added in other groups
  // A share writes nothing outside its rows.
  std::vector<double> only(n, -1.0);
  std::vector<float> only_copy(n, -1.0f);
  const kernels::CsrView middle{4097 - 1234, n, ct.nnz, ct.indptr + 1234, ct.indices, ct.values};
  step(middle, 1234, only, only_copy);
  for (int i = 0; i < n; ++i) {
    const bool inside = i >= 1234 && i < 4097;
    ASSERT_EQ(only[i] == -1.0, !inside) << "agent " << i;
    ASSERT_EQ(only_copy[i] == -1.0f, !inside) << "agent " << i;
  }
  // Rows past the matrix are refused.
  const kernels::CsrView past{10, n, ct.nnz, ct.indptr + n - 10, ct.indices, ct.values};
  EXPECT_THROW(step(past, n - 5, only, only_copy), InternalError);
}

INSTANTIATE_TEST_SUITE_P(Cx, EigenTrustFirstRow, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "value_free" : "weighted"; });

TEST(World, LaunchersEnvironmentSaysWhichProcess) {
  const char* vars[] = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK",
                        "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* v : vars)
    if (const char* x = std::getenv(v)) saved.emplace_back(v, x);
  for (const char* v : vars) unsetenv(v);
  EXPECT_FALSE(host::launched_as().by_launcher);
  EXPECT_EQ(host::launched_as().size, 1);
  setenv("PMI_RANK", "2", 1);
  setenv("PMI_SIZE", "4", 1);
  EXPECT_TRUE(host::launched_as().by_launcher);
  EXPECT_EQ(host::launched_as().rank, 2);
  EXPECT_EQ(host::launched_as().size, 4);
  unsetenv("PMI_RANK");
  unsetenv("PMI_SIZE");
  setenv("PMIX_RANK", "0", 1);  // srun --mpi=pmix gives no size: MPI tells
  EXPECT_TRUE(host::launched_as().by_launcher);
  EXPECT_EQ(host::launched_as().size, 1);
  unsetenv("PMIX_RANK");
  for (const auto& [k, v] : saved) setenv(k.c_str(), v.c_str(), 1);
}

TEST(World, OneProcessCollectivesAreTheIdentity) {
  const host::Communicator& w = host::world();
  ASSERT_EQ(w.size(), 1);
  std::vector<double> v{1.0, 2.0, 3.0};
  w.allgatherv(v, {0, 3});
  EXPECT_EQ(v, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(w.alltoallv(std::vector<int>{4, 5}, {2}), (std::vector<int>{4, 5}));
  EXPECT_EQ(w.gatherv(std::vector<int>{6, 7}, {0, 2}), (std::vector<int>{6, 7}));
  EXPECT_EQ(w.allgather(0.5), (std::vector<double>{0.5}));
  EXPECT_TRUE(w.all(true));
  EXPECT_FALSE(w.all(false));
  // One process: a collective step's error is its own, unchanged.
  EXPECT_THROW(host::collectively(w, [] { throw DataError("bad row"); }), DataError);
  try {
    host::collectively(w, [] { throw NoInputError("missing"); });
  } catch (const host::CollectiveError&) {
    FAIL() << "one process should get the step's own error";
  } catch (const NoInputError& e) {
    EXPECT_STREQ(e.what(), "missing");
  }
  int calls = 0;
  host::collectively(w, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
}
