// The CPU's record slots (kernels::InPattern): dyn_in_pattern groups the
// edge records by blocks of Wᵀ rows, and dyn_interact + dyn_tally through
// those slots give bit for bit what they give with the records in W order
// (the GPU's layout), on a city large enough for several blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "io/generate_city.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/dynamics_rules.hpp"

using namespace trustprop;
namespace dyn = kernels::dynamics_rules;

namespace {

io::Graph city_of(std::int64_t agents) {
  io::CityParams city;
  city.agents = agents;
  city.seed = 11;
  return io::generate_city_graph(city);
}

kernels::CsrView pattern_of(const io::Graph& g) {
  return {g.n, g.n, g.nnz(), g.indptr.data(), g.indices.data(), nullptr};
}

// The position in W of every entry of Wᵀ (rows by column, customers
// ascending), computed here by counting.
std::vector<kernels::RecordSlot> transposed_edges(const io::Graph& g) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(g.n) + 1, 0);
  for (const std::int32_t j : g.indices) ++start[static_cast<std::size_t>(j) + 1];
  for (std::size_t j = 0; j < static_cast<std::size_t>(g.n); ++j) start[j + 1] += start[j];
  std::vector<kernels::RecordSlot> edge(g.indices.size());
  for (std::int64_t i = 0; i < g.n; ++i)  // rows ascending: customers ascending within each column
    for (std::int64_t k = g.indptr[static_cast<std::size_t>(i)]; k < g.indptr[static_cast<std::size_t>(i) + 1]; ++k)
      edge[static_cast<std::size_t>(start[static_cast<std::size_t>(g.indices[static_cast<std::size_t>(k)])]++)] =
          static_cast<kernels::RecordSlot>(k);
  return edge;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST(DynamicsSlots, RecordsAreGroupedByBlocksOfTransposedRowsInWOrder) {
  const io::Graph g = city_of(6000);
  const std::int64_t nnz = g.nnz();
  ASSERT_GT(nnz, 3 * kernels::dyn_record_block);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern_of(g));
  const std::vector<kernels::RecordSlot> in_slot = p.in_slot.to_host(), edge_slot = p.edge_slot.to_host();
  const std::vector<std::int64_t> indptr = p.indptr.to_host();
  const std::vector<kernels::RecordSlot> want = transposed_edges(g);
  ASSERT_EQ(static_cast<std::int64_t>(edge_slot.size()), nnz);

  // A permutation, and entry q's slot is its edge's.
  std::vector<std::int64_t> edge_of_slot(static_cast<std::size_t>(nnz), -1);  // -1: no edge yet
  for (std::int64_t k = 0; k < nnz; ++k) {
    const std::int64_t slot = edge_slot[static_cast<std::size_t>(k)];
    ASSERT_LT(slot, nnz);
    ASSERT_EQ(edge_of_slot[static_cast<std::size_t>(slot)], -1) << "slot " << slot << " taken twice";
    edge_of_slot[static_cast<std::size_t>(slot)] = k;
  }
  for (std::int64_t q = 0; q < nnz; ++q)
    ASSERT_EQ(edge_of_slot[in_slot[static_cast<std::size_t>(q)]], want[static_cast<std::size_t>(q)])
        << "entry " << q;

  // Blocks: the slots ascend in W order except where a block starts, which
  // is at the start of a row of Wᵀ; a block holds at most dyn_record_block
  // entries unless it is one longer row; each row's slots lie in its block.
  std::vector<std::int64_t> starts{0};
  for (std::int64_t slot = 1; slot < nnz; ++slot)
    if (edge_of_slot[static_cast<std::size_t>(slot)] < edge_of_slot[static_cast<std::size_t>(slot) - 1])
      starts.push_back(slot);
  starts.push_back(nnz);
  // Several blocks (slots in W order throughout would be one), and full
  // ones: two neighbours together exceed a block (slots in Wᵀ order would
  // make a block of every row).
  const auto blocks = static_cast<std::int64_t>(starts.size()) - 1;
  EXPECT_GE(blocks, 4);
  EXPECT_LE(blocks, 2 * nnz / kernels::dyn_record_block + 1);
  for (std::size_t b = 0; b + 1 < starts.size(); ++b) {
    const auto at = std::lower_bound(indptr.begin(), indptr.end(), starts[b]);
    ASSERT_TRUE(at != indptr.end() && *at == starts[b]) << "block " << b << " starts inside a row";
    const std::int64_t size = starts[b + 1] - starts[b];
    const bool one_row = at + 1 != indptr.end() && *(at + 1) >= starts[b + 1];
    if (!one_row) EXPECT_LE(size, kernels::dyn_record_block) << "block " << b;
  }
  for (std::int64_t j = 0; j < g.n; ++j) {
    const std::int64_t b = indptr[static_cast<std::size_t>(j)], e = indptr[static_cast<std::size_t>(j) + 1];
    if (b == e) continue;
    const auto block = std::upper_bound(starts.begin(), starts.end(), b) - 1;
    for (std::int64_t q = b; q < e; ++q) {
      const std::int64_t slot = in_slot[static_cast<std::size_t>(q)];
      EXPECT_GE(slot, *block) << "row " << j;
      EXPECT_LT(slot, *(block + 1)) << "row " << j;
    }
  }
}

TEST(DynamicsSlots, BlockedSlotsGiveTheSameEpochAsRecordsInWOrder) {
  // One epoch's edge kernels from a random state with evidence, pooled
  // feedback and registered providers, through dyn_in_pattern's slots and
  // through records in W order (edge_slot null, in_slot = W's position).
  const io::Graph g = city_of(6000);
  const std::int64_t n = g.n, nnz = g.nnz();
  const auto un = static_cast<std::size_t>(n), unnz = static_cast<std::size_t>(nnz);
  auto exec = std::make_shared<kernels::cpu::CpuExecutor>(2);
  const kernels::InPattern p = kernels::cpu::dyn_in_pattern(*exec, pattern_of(g));
  const std::vector<kernels::RecordSlot> w_order = transposed_edges(g);
  ASSERT_FALSE(same_bits(p.in_slot.to_host(), w_order));  // the slots are not W order

  std::mt19937 rng(23);
  std::vector<std::uint8_t> registered(un), edge_registered(unnz), strategy(un), kind(un, kernels::kind_resident);
  for (auto& v : registered) v = rng() % 3 == 0;
  for (auto& v : strategy) v = rng() % 2;
  for (std::size_t k = 0; k < unnz; ++k) edge_registered[k] = registered[static_cast<std::size_t>(g.indices[k])];
  std::vector<std::uint32_t> threshold(unnz);
  for (std::size_t k = 0; k < unnz; ++k) threshold[k] = dyn::interaction_threshold(0.6, g.data[k]);
  std::vector<float> r0(unnz), s0(unnz);
  for (std::size_t k = 0; k < unnz; ++k) {
    r0[k] = static_cast<float>(rng() % 5);
    s0[k] = static_cast<float>(rng() % 4);
  }
  std::vector<double> pool_r0(un), pool_s0(un);
  for (std::size_t i = 0; i < un; ++i) {
    pool_r0[i] = static_cast<double>(rng() % 20);
    pool_s0[i] = static_cast<double>(rng() % 20);
  }
  kernels::DynamicsRules rules;
  rules.seed = 77;
  rules.forgetting = 0.9f;
  rules.avoid_below = 0.4;
  rules.detection = 0.5;
  rules.pooled_feedback = true;

  struct Epoch {
    std::vector<float> r, s, ct;
    std::vector<double> pool_r, pool_s, inverse;
    std::vector<std::int32_t> tallies;
    std::vector<std::uint8_t> outcome;  // in W order
  };
  auto run = [&](const kernels::RecordSlot* in_slot, const kernels::RecordSlot* edge_slot) {
    kernels::DynamicsGraphView v;
    v.n = n;
    v.row_end = v.in_row_end = n;
    v.nnz = nnz;
    v.indptr = g.indptr.data();
    v.indices = g.indices.data();
    v.threshold = threshold.data();
    v.in_indptr = p.indptr.data();
    v.in_source = p.source.data();
    v.in_slot = in_slot;
    v.edge_slot = edge_slot;
    v.kind = kind.data();
    v.registered = registered.data();
    v.edge_registered = edge_registered.data();
    Epoch e{r0, s0, std::vector<float>(unnz), pool_r0, pool_s0, std::vector<double>(un),
            std::vector<std::int32_t>(un * kernels::tally_count), std::vector<std::uint8_t>(unnz)};
    std::vector<kernels::EdgeRecord> record(unnz);
    kernels::cpu::dyn_interact(*exec, v, rules, 4, strategy.data(), e.pool_r.data(), e.pool_s.data(), e.r.data(),
                               e.s.data(), record.data(), e.inverse.data(), e.tallies.data());
    kernels::cpu::dyn_tally(*exec, v, rules, record.data(), e.ct.data(), e.tallies.data(), e.pool_r.data(),
                            e.pool_s.data());
    for (std::size_t k = 0; k < unnz; ++k)
      e.outcome[k] = record[edge_slot != nullptr ? static_cast<std::size_t>(edge_slot[k]) : k].outcome;
    return e;
  };
  const Epoch blocked = run(p.in_slot.data(), p.edge_slot.data());
  const Epoch plain = run(w_order.data(), nullptr);
  EXPECT_TRUE(same_bits(blocked.ct, plain.ct));
  EXPECT_TRUE(same_bits(blocked.tallies, plain.tallies));
  EXPECT_TRUE(same_bits(blocked.outcome, plain.outcome));
  EXPECT_TRUE(same_bits(blocked.pool_r, plain.pool_r));
  EXPECT_TRUE(same_bits(blocked.pool_s, plain.pool_s));
  EXPECT_TRUE(same_bits(blocked.inverse, plain.inverse));
  EXPECT_TRUE(same_bits(blocked.r, plain.r));
  EXPECT_TRUE(same_bits(blocked.s, plain.s));

  // The epoch did something, and Cᵀ is the row-normalised local trust:
  // every customer's values sum to 1 (to float rounding) or it is dangling.
  const auto count = [&](kernels::EdgeOutcome o) { return std::count(plain.outcome.begin(), plain.outcome.end(), o); };
  EXPECT_GT(count(kernels::outcome_cooperated), 1000);
  EXPECT_GT(count(kernels::outcome_defected_detected), 100);
  EXPECT_GT(count(kernels::outcome_avoided), 100);
  std::vector<double> row_sum(un, 0.0);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t q = p.indptr.data()[j]; q < p.indptr.data()[j + 1]; ++q)
      row_sum[static_cast<std::size_t>(p.source.data()[q])] += plain.ct[static_cast<std::size_t>(q)];
  for (std::size_t i = 0; i < un; ++i) {
    if (plain.inverse[i] == 0.0)
      EXPECT_EQ(row_sum[i], 0.0) << "agent " << i;
    else
      EXPECT_NEAR(row_sum[i], 1.0, 1e-5) << "agent " << i;
  }
}
