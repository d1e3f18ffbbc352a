// Batched personalized trust: the CUDA kernels against the CPU reference
// (DESIGN §4) for k = 1, 32 and 40 columns (one column per warp, a full warp
// of columns, and a second pass over columns), on graphs larger than a warp
// with empty rows, dangling agents, negative ties and rows of Cᵀ of every
// length the GPU treats differently: short rows (one warp), long rows inside
// one chunk of Cᵀ's entries, long rows across chunks, and a row of more than
// 100,000 entries. The step is compared on identical inputs (the CPU's Cᵀ
// uploaded to the GPU), the whole driver end to end; reruns on the GPU are
// bitwise identical. Every GPU test skips, saying why, without a CUDA device.
#include <gtest/gtest.h>

#include "cuda_test.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.hpp"
#include "host/personalized.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/personalized.hpp"

using namespace trustprop;

namespace {

using ExecPtr = std::shared_ptr<const kernels::Executor>;

// The GPU's row classes (kernels/cuda/personalized.cu): rows of more than
// 512 entries are long, and long rows are cut at multiples of 4096 entries.
constexpr std::int64_t short_row = 512, chunk_entries = 4096;

// n agents with a few random ties each (10% none, 20% negative); agent 0
// trusted by `hub` agents, and agents 1..8 by 513 … 30,000 agents each, so
// that Cᵀ has long rows inside one chunk and across chunks.
io::Graph long_row_graph(std::int64_t n, std::int64_t hub, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<std::int32_t> agent(0, static_cast<std::int32_t>(n - 1));
  const std::int64_t medium[8] = {513, 600, 2000, 4095, 4096, 4097, 9000, 30000};
  io::Graph g;
  g.n = n;
  g.indptr.push_back(0);
  std::vector<std::pair<std::int32_t, float>> row;
  for (std::int64_t i = 0; i < n; ++i) {
    row.clear();
    if (unit(rng) >= 0.1)
      for (int d = static_cast<int>(unit(rng) * 8); d >= 0; --d) {
        const float w = static_cast<float>(std::pow(10.0, -3.0 + 4.0 * unit(rng)));
        row.emplace_back(agent(rng), unit(rng) < 0.2 ? -w : w);
      }
    if (i >= 9 && i < 9 + hub) row.emplace_back(0, 1.0f);
    for (int m = 0; m < 8; ++m)
      if (i >= 9 + 7 * m && i < 9 + 7 * m + medium[m]) row.emplace_back(1 + m, 0.5f);
    std::sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    row.erase(std::unique(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
              row.end());
    for (const auto& [j, w] : row)
      if (j != i) {
        g.indices.push_back(j);
        g.data.push_back(w);
      }
    g.indptr.push_back(static_cast<std::int64_t>(g.indices.size()));
  }
  return g;
}

// k seed sets: the hub, the long-row agents, agents with and without ties,
// sets of one to four agents.
host::SeedSets seed_sets(std::int64_t k, std::int64_t n) {
  host::SeedSets s;
  for (std::int64_t c = 0; c < k; ++c) {
    std::vector<std::int64_t> set{c % 10 == 0 ? 0 : c % 10 < 9 ? c % 10 : (c * 7919) % n};
    for (std::int64_t extra = 0; extra < c % 4; ++extra) set.push_back((c * 104729 + extra * 15485863) % n);
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    s.agents.insert(s.agents.end(), set.begin(), set.end());
    s.offsets.push_back(s.entries());
  }
  return s;
}

kernels::Transition cpu_transition(const ExecPtr& cpu, const io::Graph& g) {
  kernels::CsrMatrix w;
  w.rows = w.cols = g.n;
  w.indptr = kernels::Array<std::int64_t>::from_host(cpu, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(cpu, g.indices);
  w.values = kernels::Array<float>::from_host(cpu, g.data);
  return kernels::cpu::build_transition(static_cast<const kernels::cpu::CpuExecutor&>(*cpu), w.view());
}

// The same Cᵀ, copied to `exec`.
kernels::Transition copy_to(const ExecPtr& exec, const kernels::Transition& tr) {
  kernels::Transition out;
  out.ct.rows = out.ct.cols = tr.ct.rows;
  out.ct.indptr = kernels::Array<std::int64_t>::from_host(exec, tr.ct.indptr.to_host());
  out.ct.indices = kernels::Array<std::int32_t>::from_host(exec, tr.ct.indices.to_host());
  out.ct.values = kernels::Array<float>::from_host(exec, tr.ct.values.to_host());
  out.dangling = kernels::Array<std::int32_t>::from_host(exec, tr.dangling.to_host());
  return out;
}

// The seed matrix of kernels/personalized.hpp, on `exec`.
struct SeedMatrix {
  kernels::Array<std::int32_t> agent, column;
  kernels::Array<double> weight;
  kernels::Array<std::uint32_t> seeded;
  kernels::SeedMatrixView view() const {
    return {static_cast<std::int64_t>(agent.size()), agent.data(), column.data(), weight.data(), seeded.data()};
  }
};

SeedMatrix seed_matrix(const ExecPtr& exec, const host::SeedSets& s, std::int64_t n) {
  std::vector<std::tuple<std::int32_t, std::int32_t, double>> entries;
  for (std::int64_t c = 0; c < s.count(); ++c) {
    const std::int64_t b = s.offsets[static_cast<std::size_t>(c)], e = s.offsets[static_cast<std::size_t>(c) + 1];
    for (std::int64_t i = b; i < e; ++i)
      entries.emplace_back(static_cast<std::int32_t>(s.agents[static_cast<std::size_t>(i)]), static_cast<std::int32_t>(c),
                           1.0 / static_cast<double>(e - b));
  }
  std::sort(entries.begin(), entries.end());
  std::vector<std::int32_t> agent, column;
  std::vector<double> weight;
  std::vector<std::uint32_t> seeded(static_cast<std::size_t>((n + 31) / 32), 0u);
  for (const auto& [a, c, w] : entries) {
    agent.push_back(a);
    column.push_back(c);
    weight.push_back(w);
    seeded[static_cast<std::size_t>(a / 32)] |= 1u << (a % 32);
  }
  return {kernels::Array<std::int32_t>::from_host(exec, agent), kernels::Array<std::int32_t>::from_host(exec, column),
          kernels::Array<double>::from_host(exec, weight), kernels::Array<std::uint32_t>::from_host(exec, seeded)};
}

// A positive n × k block (agent-major), each column summing to 1: a mid-iteration state.
std::vector<double> spread_block(std::int64_t n, std::int64_t k) {
  std::vector<double> t(static_cast<std::size_t>(n * k));
  for (std::int64_t c = 0; c < k; ++c) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
      s += t[static_cast<std::size_t>(i * k + c)] = 1.0 + static_cast<double>((i * 7919 + c * 31) % 101);
    for (std::int64_t i = 0; i < n; ++i) t[static_cast<std::size_t>(i * k + c)] /= s;
  }
  return t;
}

// L1 distance of column c of two agent-major n × k blocks.
double column_l1(const std::vector<double>& a, const std::vector<double>& b, std::int64_t k, std::int64_t c) {
  double s = 0.0;
  for (std::size_t i = static_cast<std::size_t>(c); i < a.size(); i += static_cast<std::size_t>(k)) s += std::fabs(a[i] - b[i]);
  return s;
}

class PersonalizedCuda : public trustprop::testing::CudaTest {};

}  // namespace

TEST(PersonalizedCudaGraphs, RowsOfCtCoverEveryLengthClass) {
  // Guards the test graph (runs without a GPU): a row of more than 100,000
  // entries, long rows inside one chunk, long rows across chunks, short rows.
  const io::Graph g = long_row_graph(150000, 110000, 3);
  const auto tr = cpu_transition(std::make_shared<kernels::cpu::CpuExecutor>(), g);
  const auto indptr = tr.ct.indptr.to_host();
  EXPECT_GT(indptr[1] - indptr[0], 100000);
  int inside = 0, across = 0;
  for (std::size_t j = 0; j + 1 < indptr.size(); ++j) {
    if (indptr[j + 1] - indptr[j] <= short_row) continue;
    (indptr[j] / chunk_entries == (indptr[j + 1] - 1) / chunk_entries ? inside : across)++;
  }
  EXPECT_GE(inside, 2);
  EXPECT_GE(across, 3);
  EXPECT_GT(tr.dangling.size(), 0u);
}

TEST_F(PersonalizedCuda, StepMatchesCpuOnTheSameInputs) {
  struct Case {
    std::int64_t n, hub;
  };
  for (const Case shape : {Case{2000, 0}, Case{150000, 110000}}) {
    const io::Graph g = long_row_graph(shape.n, shape.hub, 7);
    const kernels::Transition tr_cpu = cpu_transition(cpu, g);
    const kernels::Transition tr_gpu = copy_to(gpu, tr_cpu);
    for (const std::int64_t k : {1, 32, 40}) {
      SCOPED_TRACE(std::to_string(g.n) + " agents, k = " + std::to_string(k));
      const host::SeedSets sets = seed_sets(k, g.n);
      // Every third column inactive (copied), the others iterated.
      std::vector<std::uint8_t> active(static_cast<std::size_t>(k));
      for (std::int64_t c = 0; c < k; ++c) active[static_cast<std::size_t>(c)] = k == 1 || c % 3 != 2;
      const ExecPtr execs[2] = {cpu, gpu};
      const kernels::Transition* trs[2] = {&tr_cpu, &tr_gpu};
      for (const bool from_seeds : {true, false}) {
        std::vector<double> next[2], start[2], change[2];
        for (int b = 0; b < 2; ++b) {
          const SeedMatrix p = seed_matrix(execs[b], sets, g.n);
          kernels::Array<double> t(execs[b], static_cast<std::size_t>(g.n * k));
          if (from_seeds)
            kernels::dispatch(*execs[b], [&](const auto& e) { personalized_start(e, g.n, k, p.view(), t.data()); });
          else
            t = kernels::Array<double>::from_host(execs[b], spread_block(g.n, k));
          start[b] = t.to_host();
          auto t_next = kernels::Array<double>::from_host(
              execs[b], std::vector<double>(static_cast<std::size_t>(g.n * k), std::numeric_limits<double>::quiet_NaN()));
          const auto flags = kernels::Array<std::uint8_t>::from_host(execs[b], active);
          change[b] = kernels::dispatch(*execs[b], [&](const auto& e) {
            return personalized_step(e, trs[b]->ct.view(), trs[b]->dangling.data(),
                                     static_cast<std::int64_t>(trs[b]->dangling.size()), p.view(), k, flags.data(), 0.15,
                                     t.data(), t_next.data());
          });
          next[b] = t_next.to_host();
        }
        ASSERT_EQ(start[1], start[0]) << "personalized_start differs";
        for (double v : next[1]) ASSERT_TRUE(std::isfinite(v)) << "an entry of T' was not written";
        for (std::int64_t c = 0; c < k; ++c) {
          const auto col = static_cast<std::size_t>(c);
          EXPECT_LE(column_l1(next[1], next[0], k, c), 1e-12) << "column " << c;
          EXPECT_NEAR(change[1][col], change[0][col], 1e-13 + 1e-10 * change[0][col]) << "column " << c;
          if (!active[col]) {
            EXPECT_EQ(column_l1(next[1], start[1], k, c), 0.0) << "inactive column " << c << " changed";
            EXPECT_EQ(change[1][col], 0.0);
          }
        }
      }
    }
  }
}

TEST_F(PersonalizedCuda, RunMatchesCpuPerColumn) {
  const io::Graph g = long_row_graph(40000, 20000, 11);
  for (const std::int64_t k : {1, 32, 40}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    const host::SeedSets sets = seed_sets(k, g.n);
    const auto want = host::run_personalized(cpu, g, sets, {});
    const auto got = host::run_personalized(gpu, g, sets, {});
    ASSERT_TRUE(got.convergence.converged);
    for (std::int64_t c = 0; c < k; ++c) {
      double l1 = 0.0;
      for (std::int64_t j = 0; j < g.n; ++j)
        l1 += std::fabs(got.trust[static_cast<std::size_t>(c * g.n + j)] - want.trust[static_cast<std::size_t>(c * g.n + j)]);
      EXPECT_LE(l1, 1e-6) << "column " << c;
      EXPECT_LE(std::llabs(got.column_iterations[static_cast<std::size_t>(c)] -
                           want.column_iterations[static_cast<std::size_t>(c)]),
                1)
          << "column " << c;
    }
  }
}

TEST_F(PersonalizedCuda, RowsLongerThan100kAndRerunsBitwiseIdentical) {
  const io::Graph g = long_row_graph(150000, 110000, 13);
  host::EigenTrustOptions o;
  o.tolerance = 0.0;  // exactly max_iterations on every backend
  o.max_iterations = 5;
  for (const std::int64_t k : {1, 32, 40}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    const host::SeedSets sets = seed_sets(k, g.n);
    const auto a = host::run_personalized(gpu, g, sets, o);
    const auto b = host::run_personalized(gpu, g, sets, o);
    EXPECT_EQ(a.trust, b.trust);
    EXPECT_EQ(a.convergence.residuals, b.convergence.residuals);
    EXPECT_EQ(a.column_residuals, b.column_residuals);
    const auto c = host::run_personalized(cpu, g, sets, o);
    for (std::int64_t col = 0; col < k; ++col) {
      double l1 = 0.0;
      for (std::int64_t j = 0; j < g.n; ++j)
        l1 += std::fabs(a.trust[static_cast<std::size_t>(col * g.n + j)] - c.trust[static_cast<std::size_t>(col * g.n + j)]);
      EXPECT_LE(l1, 1e-6) << "column " << col;  // Cᵀ itself differs by up to a float ulp between backends
    }
  }
}
