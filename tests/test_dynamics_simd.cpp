// The AVX-512 interaction pass (kernels/cpu/dynamics_interact.cpp) against
// the scalar rows it twins, bit for bit: evidence, records, 1/Σ and the
// customer tallies over several chained epochs of a city, from a random
// state, with and without pooled feedback, through the CPU's record slots
// and with the records in W order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "io/generate_city.hpp"
#include "kernels/cpu/dynamics_interact.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/dynamics_rules.hpp"

using namespace trustprop;
namespace dyn = kernels::dynamics_rules;
using kernels::cpu::Simd;

namespace {

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

struct State {
  std::vector<float> r, s, trust;  // trust: the records' Cᵀ values, in W order
  std::vector<std::uint8_t> outcome;  // in W order
  std::vector<double> inverse;
  std::vector<std::int32_t> tallies;
};

class InteractSimd : public ::testing::TestWithParam<bool> {};

}  // namespace

TEST_P(InteractSimd, Avx512RowsGiveTheScalarRowsBits) {
  if (!kernels::cpu::interact_simd(Simd::avx512)) GTEST_SKIP() << "this CPU has no AVX-512 (F, VL, DQ, BW)";
  const bool pooled_feedback = GetParam();
  io::CityParams city;
  city.agents = 5000;
  city.seed = 29;
  const io::Graph g = io::generate_city_graph(city);
  const std::int64_t n = g.n, nnz = g.nnz();
  const auto un = static_cast<std::size_t>(n), unnz = static_cast<std::size_t>(nnz);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::CsrView pattern{n, n, nnz, g.indptr.data(), g.indices.data(), nullptr};
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern);

  // Rows of every length modulo 16 (the masked tails), and more than one
  // vector: the generated city has them.
  std::vector<int> tails(16, 0);
  std::int64_t longest = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t d = g.indptr[static_cast<std::size_t>(i) + 1] - g.indptr[static_cast<std::size_t>(i)];
    ++tails[static_cast<std::size_t>(d % 16)];
    longest = std::max(longest, d);
  }
  ASSERT_TRUE(std::all_of(tails.begin(), tails.end(), [](int t) { return t > 0; }));
  ASSERT_GT(longest, 64);

  std::mt19937 rng(31);
  std::vector<std::uint8_t> registered(un), edge_registered(unnz), strategy(un), kind(un, kernels::kind_resident);
  for (auto& v : registered) v = rng() % 3 == 0;
  for (auto& v : strategy) v = rng() % 2;
  for (std::size_t k = 0; k < unnz; ++k) edge_registered[k] = registered[static_cast<std::size_t>(g.indices[k])];
  std::vector<std::uint32_t> threshold(unnz);
  for (std::size_t k = 0; k < unnz; ++k) threshold[k] = dyn::interaction_threshold(0.7, g.data[k]);
  std::vector<float> r0(unnz), s0(unnz);
  for (std::size_t k = 0; k < unnz; ++k) {  // evidence with fractions, as forgetting leaves it
    r0[k] = static_cast<float>(rng() % 50) / 7.0f;
    s0[k] = static_cast<float>(rng() % 40) / 7.0f;
  }
  std::vector<double> pool_r(un), pool_s(un);
  for (std::size_t i = 0; i < un; ++i) {
    pool_r[i] = static_cast<double>(rng() % 200) / 9.0;
    pool_s[i] = static_cast<double>(rng() % 200) / 9.0;
  }
  // The first rows distrust all their partners: dangling customers.
  for (std::size_t k = 0; k < static_cast<std::size_t>(g.indptr[10]); ++k) {
    r0[k] = 0.0f;
    s0[k] = 20.0f;
    pool_r[static_cast<std::size_t>(g.indices[k])] = 0.0;
    pool_s[static_cast<std::size_t>(g.indices[k])] = 20.0;
  }
  kernels::DynamicsRules rules;
  rules.seed = 0x1234567890abcdefULL;
  rules.forgetting = 0.93f;
  rules.avoid_below = 0.45;
  rules.detection = 0.4;
  rules.pooled_feedback = pooled_feedback;

  for (const bool slots : {true, false}) {
    kernels::DynamicsGraphView v;
    v.n = n;
    v.row_end = v.in_row_end = n;
    v.nnz = nnz;
    v.indptr = g.indptr.data();
    v.indices = g.indices.data();
    v.threshold = threshold.data();
    v.edge_slot = slots ? p.edge_slot.data() : nullptr;
    v.kind = kind.data();
    v.registered = registered.data();
    v.edge_registered = edge_registered.data();
    auto run = [&](Simd level) {
      State st{r0, s0, std::vector<float>(unnz), std::vector<std::uint8_t>(unnz), std::vector<double>(un),
               std::vector<std::int32_t>(un * kernels::tally_count)};
      std::vector<kernels::EdgeRecord> record(unnz);
      for (std::uint32_t epoch = 1; epoch <= 3; ++epoch)  // chained: each epoch's evidence is the next one's input
        kernels::cpu::interact_rows(level, v, rules, epoch, strategy.data(), pool_r.data(), pool_s.data(),
                                    st.r.data(), st.s.data(), record.data(), st.inverse.data(), st.tallies.data());
      for (std::size_t k = 0; k < unnz; ++k) {
        const kernels::EdgeRecord& rec = record[slots ? static_cast<std::size_t>(p.edge_slot.data()[k]) : k];
        st.trust[k] = rec.trust;
        st.outcome[k] = rec.outcome;
      }
      return st;
    };
    const State scalar = run(Simd::scalar), simd = run(Simd::avx512);
    SCOPED_TRACE(slots ? "record slots" : "records in W order");
    EXPECT_TRUE(same_bits(simd.r, scalar.r));
    EXPECT_TRUE(same_bits(simd.s, scalar.s));
    EXPECT_TRUE(same_bits(simd.trust, scalar.trust));
    EXPECT_TRUE(same_bits(simd.outcome, scalar.outcome));
    EXPECT_TRUE(same_bits(simd.inverse, scalar.inverse));
    EXPECT_TRUE(same_bits(simd.tallies, scalar.tallies));

    // Every decision was exercised: interactions both ways, refusals,
    // detections, rows with and without trust.
    const auto count = [&](kernels::EdgeOutcome o) {
      return std::count(scalar.outcome.begin(), scalar.outcome.end(), o);
    };
    EXPECT_GT(count(kernels::outcome_none), 1000);
    EXPECT_GT(count(kernels::outcome_cooperated), 1000);
    EXPECT_GT(count(kernels::outcome_defected), 1000);
    EXPECT_GT(count(kernels::outcome_defected_detected), 100);
    EXPECT_GT(count(kernels::outcome_avoided), 100);
    EXPECT_GT(std::count(scalar.inverse.begin(), scalar.inverse.end(), 0.0), 0);
    EXPECT_LT(std::count(scalar.inverse.begin(), scalar.inverse.end(), 0.0), n);
  }
}

INSTANTIATE_TEST_SUITE_P(PooledFeedback, InteractSimd, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "pooled" : "own_evidence"; });
