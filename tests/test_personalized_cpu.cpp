// Batched personalized trust on the CPU: one step against hand-computed
// values on a four-agent graph; every column against its own single-seed
// EigenTrust run (host::run_eigentrust with p uniform over the seed set) —
// bitwise, with the same iteration count — for k = 1, 5 and 33 on a random
// graph; bitwise identical results for any thread count; the memory refusal;
// and the seed-set parsers' errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "host/eigentrust.hpp"
#include "host/personalized.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/personalized.hpp"
#include "personalized_test_support.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;
using trustprop::testing::TempPath;

using namespace trustprop::testing::personalized;

namespace {

std::string write_file(const TempPath& path, const std::string& text) {
  std::ofstream(path.str()) << text;
  return path.str();
}

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

}  // namespace

TEST(PersonalizedCpu, OneStepMatchesHandComputedValues) {
  // 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 0 (weight 1); agent 3 trusts nobody (dangling).
  // Cᵀ: row 0 = {2: 1}, row 1 = {0: 1/2}, row 2 = {0: 1/2, 1: 1}, row 3 = {}.
  const auto g = graph_from_edges(4, {{0, 1, 1.f}, {0, 2, 1.f}, {1, 2, 1.f}, {2, 0, 1.f}});
  auto exec = cpu_exec();
  const auto& cpu = static_cast<const kernels::cpu::CpuExecutor&>(*exec);
  kernels::CsrMatrix w;
  w.rows = w.cols = 4;
  w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  w.values = kernels::Array<float>::from_host(exec, g.data);
  const auto tr = kernels::cpu::build_transition(cpu, w.view());

  // Column 0 seeded at {0}, column 1 at {1, 3}; entries sorted by agent, then column.
  const std::vector<std::int32_t> agent{0, 1, 3}, col{0, 1, 1};
  const std::vector<double> weight{1.0, 0.5, 0.5};
  const std::vector<std::uint32_t> seeded{0b1011u};
  const kernels::SeedMatrixView p{3, agent.data(), col.data(), weight.data(), seeded.data()};
  std::vector<double> t(8), t_next(8);
  kernels::cpu::personalized_start(cpu, 4, 2, p, t.data());
  EXPECT_EQ(t, (std::vector<double>{1, 0, 0, 0.5, 0, 0, 0, 0.5}));

  // a = 1/2. Column 0: m = 0, CᵀT = (0, 1/2, 1/2, 0), T' = (1/2, 1/4, 1/4, 0), ‖Δ‖₁ = 1.
  // Column 1: m = 1/2, CᵀT = (0, 0, 1/2, 0), T' = (0, 3/8, 1/4, 3/8), ‖Δ‖₁ = 1/2.
  const std::vector<std::uint8_t> both{1, 1};
  auto change = kernels::cpu::personalized_step(cpu, tr.ct.view(), tr.dangling.data(), 1, p, 2, both.data(), 0.5,
                                                t.data(), t_next.data());
  EXPECT_EQ(t_next, (std::vector<double>{0.5, 0, 0.25, 0.375, 0.25, 0.25, 0, 0.375}));
  EXPECT_EQ(change, (std::vector<double>{1.0, 0.5}));

  // An inactive column is copied through with no change.
  const std::vector<std::uint8_t> first_only{1, 0};
  change = kernels::cpu::personalized_step(cpu, tr.ct.view(), tr.dangling.data(), 1, p, 2, first_only.data(), 0.5,
                                           t.data(), t_next.data());
  EXPECT_EQ(t_next, (std::vector<double>{0.5, 0, 0.25, 0.5, 0.25, 0, 0, 0.5}));
  EXPECT_EQ(change, (std::vector<double>{1.0, 0.0}));
}

TEST(PersonalizedCpu, ConvergedColumnsAreFixedPointsOfTheirSeeds) {
  const auto g = graph_from_edges(4, {{0, 1, 1.f}, {0, 2, 1.f}, {1, 2, 1.f}, {2, 0, 1.f}});
  host::EigenTrustOptions o;
  o.restart = 0.5;
  o.tolerance = 1e-15;
  const auto r = host::run_personalized(cpu_exec(), g, make_sets({{0}, {1, 3}}), o);
  ASSERT_TRUE(r.convergence.converged);
  // Fixed point: t = (1 − a)(Cᵀt + m·p) + a·p.
  const double ct[4][4] = {{0, 0, 1, 0}, {0.5, 0, 0, 0}, {0.5, 1, 0, 0}, {0, 0, 0, 0}};
  const double p[2][4] = {{1, 0, 0, 0}, {0, 0.5, 0, 0.5}};
  for (int c = 0; c < 2; ++c) {
    const auto t = column(r, c);
    for (int j = 0; j < 4; ++j) {
      double y = 0;
      for (int i = 0; i < 4; ++i) y += ct[j][i] * t[i];
      EXPECT_NEAR(t[j], 0.5 * (y + t[3] * p[c][j]) + 0.5 * p[c][j], 1e-14) << "column " << c << ", agent " << j;
    }
  }
}

TEST(PersonalizedCpu, EveryColumnIsItsSingleSeedRunBitForBit) {
  const io::Graph g = random_graph();
  host::EigenTrustOptions o;
  o.tolerance = 1e-10;
  o.float32_gather = false;  // the batched SpMM gathers in float64: compare with the float64 single-seed run
  for (const std::int64_t k : {1, 5, 33}) {
    const host::SeedSets sets = varied_sets(k, g.n);
    const auto r = host::run_personalized(cpu_exec(), g, sets, o);
    ASSERT_EQ(r.k, k);
    ASSERT_TRUE(r.convergence.converged);
    std::int64_t earliest = r.convergence.iterations;
    for (std::int64_t c = 0; c < k; ++c) {
      const auto single = host::run_eigentrust(cpu_exec(), g, pretrust_of(sets, c, g.n), o);
      EXPECT_EQ(column(r, c), single.trust) << "k = " << k << ", column " << c;
      EXPECT_EQ(r.column_iterations[static_cast<std::size_t>(c)], single.convergence.iterations) << "column " << c;
      EXPECT_EQ(r.column_residuals[static_cast<std::size_t>(c)], single.convergence.residual) << "column " << c;
      earliest = std::min(earliest, r.column_iterations[static_cast<std::size_t>(c)]);
    }
    EXPECT_EQ(static_cast<std::size_t>(r.convergence.iterations), r.convergence.residuals.size());
    EXPECT_LT(r.convergence.residual, o.tolerance);
    if (k > 1) EXPECT_LT(earliest, r.convergence.iterations) << "columns should converge at different iterations";
  }
}

TEST(PersonalizedCpu, BitwiseIdenticalForAnyThreadCount) {
  const io::Graph g = random_graph();
  const host::SeedSets sets = varied_sets(7, g.n);
  const auto one = host::run_personalized(cpu_exec(1), g, sets, {});
  const auto two = host::run_personalized(cpu_exec(2), g, sets, {});
  const auto three = host::run_personalized(cpu_exec(3), g, sets, {});
  EXPECT_EQ(one.trust, two.trust);
  EXPECT_EQ(one.trust, three.trust);
  EXPECT_EQ(one.convergence.residuals, two.convergence.residuals);
  EXPECT_EQ(one.convergence.residuals, three.convergence.residuals);
}

TEST(PersonalizedCpu, NonConvergenceIsReportedPerColumn) {
  const io::Graph g = random_graph();
  host::EigenTrustOptions o;
  o.max_iterations = 3;
  // Seeds with positive out-trust (a dangling lone seed is a fixed point at once).
  std::vector<std::vector<std::int64_t>> sets;
  for (std::int64_t i = 2; sets.size() < 4; ++i)
    for (std::int64_t e = g.indptr[static_cast<std::size_t>(i)]; e < g.indptr[static_cast<std::size_t>(i) + 1]; ++e)
      if (g.data[static_cast<std::size_t>(e)] > 0.f) {
        sets.push_back({i});
        break;
      }
  const auto r = host::run_personalized(cpu_exec(), g, make_sets(sets), o);
  EXPECT_FALSE(r.convergence.converged);
  EXPECT_EQ(r.convergence.iterations, 3);
  EXPECT_EQ(r.column_iterations, (std::vector<std::int64_t>(4, 3)));
  for (double res : r.column_residuals) EXPECT_GE(res, o.tolerance);
}

TEST(PersonalizedCpu, RefusesABatchLargerThanMemoryBeforeAllocating) {
  const io::Graph g = random_graph();
  const host::SeedSets sets = varied_sets(20, g.n);
  for (const auto kind : {kernels::BackendKind::cpu, kernels::BackendKind::cuda}) {
    // Room for exactly 10 seed sets of this mean size.
    const std::size_t room = host::personalized_bytes(kind, g.n, g.nnz(), 10, sets.entries() * 10 / 20);
    const auto exec = std::make_shared<FakeExecutor>(kind, room);
    try {
      host::run_personalized(exec, g, sets, {}, "g.h5");
      ADD_FAILURE() << "a batch larger than memory was accepted";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(e.code(), ExitCode::software) << m;
      EXPECT_NE(m.find("personalized trust for 20 seed sets on g.h5"), std::string::npos) << m;
      EXPECT_NE(m.find("at most 10 seed sets fit"), std::string::npos) << m;
      EXPECT_NE(m.find("needs"), std::string::npos) << m;
      EXPECT_NE(m.find(exec->name() + " has"), std::string::npos) << m;
    }
  }
}

TEST(PersonalizedCpu, MemoryEstimateGrowsBySixteenBytesPerAgentPerColumn) {
  const std::int64_t n = 1000000, nnz = 48 * n;
  // Building Cᵀ, as EigenTrust: W, Cᵀ and the sort's buffer on a GPU, Cᵀ and its build on the CPU.
  EXPECT_GE(static_cast<double>(host::personalized_bytes(kernels::BackendKind::cuda, n, nnz, 1, 1)), 24.0 * nnz);
  EXPECT_GE(static_cast<double>(host::personalized_bytes(kernels::BackendKind::cpu, n, nnz, 1, 1)), 10.0 * nnz);
  // Past a few columns the iteration dominates: T and T' take 16 B per agent
  // per column (and on a GPU the step's per-column workspace).
  for (const auto kind : {kernels::BackendKind::cpu, kernels::BackendKind::cuda}) {
    const double some = static_cast<double>(host::personalized_bytes(kind, n, nnz, 200, 200));
    const double more = static_cast<double>(host::personalized_bytes(kind, n, nnz, 300, 300));
    EXPECT_GE((more - some) / 100.0, 16.0 * n);
    EXPECT_LE((more - some) / 100.0, 17.5 * n * 1.05);
  }
}

TEST(PersonalizedCpu, SeedListsAndFiles) {
  auto g = graph_from_edges(4, {{0, 1, 1.f}, {1, 2, 1.f}});
  g.id = {100, 200, 300, 400};
  g.kind = {2, 0, 2, 0};

  auto s = host::seeds_from_list(g, "200, 100,200", "g.h5");
  EXPECT_EQ(s.offsets, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(s.agents, (std::vector<std::int64_t>{1, 0, 1}));
  s = host::seeds_from_list(g, "institutions", "g.h5");
  EXPECT_EQ(s.offsets, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(s.agents, (std::vector<std::int64_t>{0, 2}));

  TempPath file("seeds.txt");
  write_file(file, "# seed sets\n300 100, 200   # three agents\n\n  400,400\n");
  s = host::seeds_from_file(g, file.str());
  EXPECT_EQ(s.offsets, (std::vector<std::int64_t>{0, 3, 4}));
  EXPECT_EQ(s.agents, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(host::seed_set_sizes_of_file(file.str()), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(host::seed_set_sizes_of_list("5,6,7"), (std::vector<std::int64_t>{1, 1, 1}));
}

TEST(PersonalizedCpu, SeedErrorsNameTheOptionOrFileAndLine) {
  auto g = graph_from_edges(4, {{0, 1, 1.f}});
  g.id = {100, 200, 300, 400};

  auto m = message_of<UsageError>([&] { host::seeds_from_list(g, "100,x7", "g.h5"); });
  EXPECT_NE(m.find("--seeds"), std::string::npos) << m;
  EXPECT_NE(m.find("'x7'"), std::string::npos) << m;
  m = message_of<UsageError>([&] { host::seeds_from_list(g, "100,,200", "g.h5"); });
  EXPECT_NE(m.find("--seeds"), std::string::npos) << m;
  m = message_of<UsageError>([&] { host::seeds_from_list(g, "100,999", "g.h5"); });
  EXPECT_NE(m.find("agent id 999 is not in the graph g.h5"), std::string::npos) << m;
  m = message_of<UsageError>([&] { host::seeds_from_list(g, "institutions", "g.h5"); });
  EXPECT_NE(m.find("g.h5: the graph has no institutions"), std::string::npos) << m;

  TempPath unknown("unknown.txt");
  write_file(unknown, "100\n# fine so far\n200 999 300\n");
  m = message_of<DataError>([&] { host::seeds_from_file(g, unknown.str()); });
  EXPECT_NE(m.find(unknown.str() + ":3: agent id 999 is not in the graph"), std::string::npos) << m;

  TempPath malformed("malformed.txt");
  write_file(malformed, "100\n200 2x0\n");
  m = message_of<DataError>([&] { host::seeds_from_file(g, malformed.str()); });
  EXPECT_NE(m.find(malformed.str() + ":2: '2x0' is not an agent id"), std::string::npos) << m;

  TempPath empty("empty.txt");
  write_file(empty, "# nothing\n\n");
  m = message_of<UsageError>([&] { host::seeds_from_file(g, empty.str()); });
  EXPECT_NE(m.find("lists no seed sets"), std::string::npos) << m;

  m = message_of<NoInputError>([&] { host::seeds_from_file(g, "/nonexistent/seeds.txt"); });
  EXPECT_NE(m.find("/nonexistent/seeds.txt"), std::string::npos) << m;
}
