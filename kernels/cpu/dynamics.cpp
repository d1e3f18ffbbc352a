// CPU city dynamics kernels (kernels/dynamics.hpp; the rules themselves are
// kernels/dynamics_rules.hpp, shared with the GPU). The reference for the
// CUDA twins: OpenMP loops over rows of W, rows of Wᵀ or agents, each
// output written by exactly one iteration, integer counters, and sums over
// fixed blocks added in order, so that every result is the same for any
// number of threads.
#include "kernels/dynamics.hpp"

#include <omp.h>

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "kernels/cpu/dynamics_interact.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"
#include "kernels/cpu/sell_lanes.hpp"
#include "kernels/dynamics_rules.hpp"

namespace trustprop::kernels::cpu {

namespace dyn = dynamics_rules;

InPattern dyn_in_pattern(const CpuExecutor& exec, const CsrView& w) {
  const std::int64_t n = w.rows;
  TRUSTPROP_ASSERT(w.nnz < dyn_max_ties, "dyn_in_pattern: 32-bit record slots hold fewer than 2^32 ties");
  auto ex = exec.shared_from_this();
  std::vector<std::int64_t> count(static_cast<std::size_t>(n) + 1, 0);
  for (std::int64_t k = 0; k < w.nnz; ++k) ++count[static_cast<std::size_t>(w.indices[k]) + 1];
  std::partial_sum(count.begin(), count.end(), count.begin());

  InPattern p;
  p.indptr = Array<std::int64_t>::from_host(ex, count);
  p.source = Array<std::int32_t>(ex, static_cast<std::size_t>(w.nnz));
  p.in_slot = Array<RecordSlot>(ex, static_cast<std::size_t>(w.nnz));
  p.edge_slot = Array<RecordSlot>(ex, static_cast<std::size_t>(w.nnz));
  std::int32_t* source = p.source.data();
  RecordSlot* edge = p.in_slot.data();  // W's position of each entry, until it becomes the slot

  // Every entry into its column's segment by one pass over W in order (a
  // counting sort), so that each segment comes out ordered by customer.
  std::vector<std::int64_t> cursor(count.begin(), count.end() - 1);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      const std::int64_t pos = cursor[static_cast<std::size_t>(w.indices[k])]++;
      source[pos] = static_cast<std::int32_t>(i);
      edge[pos] = static_cast<RecordSlot>(k);
    }

  // The record slots (InPattern): blocks of whole rows of Wᵀ, a new one
  // where a row would take the block past dyn_record_block entries; the
  // slots of a block are its entries' range, handed out to its edges in W
  // order by one pass over W (a counting sort).
  std::vector<std::int64_t> cursor_of_block{0};
  std::vector<std::int32_t> block_of(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int64_t b = count[static_cast<std::size_t>(j)], e = count[static_cast<std::size_t>(j) + 1];
    if (e - cursor_of_block.back() > dyn_record_block && b > cursor_of_block.back()) cursor_of_block.push_back(b);
    block_of[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(cursor_of_block.size() - 1);
  }
  RecordSlot* edge_slot = p.edge_slot.data();
  for (std::int64_t k = 0; k < w.nnz; ++k)
    edge_slot[k] = static_cast<RecordSlot>(
        cursor_of_block[static_cast<std::size_t>(block_of[static_cast<std::size_t>(w.indices[k])])]++);
#pragma omp parallel for schedule(static)
  for (std::int64_t q = 0; q < w.nnz; ++q) edge[q] = edge_slot[edge[q]];

  dyn_sell_lanes(exec, p);
  return p;
}

void dyn_sell_lanes(const CpuExecutor& exec, InPattern& p) {
  const std::int64_t rows = static_cast<std::int64_t>(p.indptr.size()) - 1;
  if (rows <= 0) return;
  const std::int64_t* indptr = p.indptr.data();
  std::vector<std::int32_t> length(static_cast<std::size_t>(rows));
  for (std::int64_t j = 0; j < rows; ++j) length[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(indptr[j + 1] - indptr[j]);
  SellLanes lanes = sell_lanes(exec, length);
  if (lanes.pads_too_much()) return;
  p.sell_source = Array<std::int32_t>(exec.shared_from_this(), static_cast<std::size_t>(lanes.entries));
  to_sell_lanes(lanes.chunks(), indptr, p.source.data(), p.sell_source.data());
  p.sell_offsets = std::move(lanes.offsets);
  p.sell_rows = std::move(lanes.rows);
  p.sell_lengths = std::move(lanes.lengths);
}

void dyn_interact(const CpuExecutor&, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch,
                  const std::uint8_t* strategy, const double* pool_r, const double* pool_s, float* r, float* s,
                  EdgeRecord* record, double* inverse_row_sum, std::int32_t* tallies) {
  interact_rows(simd_level(), g, rules, epoch, strategy, pool_r, pool_s, r, s, record, inverse_row_sum, tallies);
}

void dyn_tally(const CpuExecutor&, const DynamicsGraphView& graph, const DynamicsRules& rules,
               const EdgeRecord* record, float* ct_values, std::int32_t* tallies, double* pool_r, double* pool_s) {
  const DynamicsGraphView g = graph;
  const float forgetting = rules.forgetting;
  const std::int64_t n = g.n;
#pragma omp parallel for schedule(dynamic, 256)
  for (std::int64_t j = g.in_row_begin; j < g.in_row_end; ++j) {
    std::int32_t given = 0, defections = 0, fines = 0, refused = 0;
    for (std::int64_t q = g.in_indptr[j]; q < g.in_indptr[j + 1]; ++q) {
      const EdgeRecord rec = record[g.in_slot[q]];
      ct_values[q] = rec.trust;
      given += rec.outcome == outcome_cooperated;
      defections += rec.outcome >= outcome_defected;
      fines += rec.outcome == outcome_defected_detected;
      refused += rec.outcome == outcome_avoided;
    }
    tallies[tally_given * n + j] = given;
    tallies[tally_defections * n + j] = defections;
    tallies[tally_fines * n + j] = fines;
    tallies[tally_refused * n + j] = refused;
    if (g.registered[j]) {
      pool_r[j] = dyn::pool_update(forgetting, pool_r[j], given);
      pool_s[j] = dyn::pool_update(forgetting, pool_s[j], defections);
    }
  }
}

std::int64_t dyn_dangling(const CpuExecutor&, std::int64_t n, const double* inverse_row_sum, std::int32_t* list) {
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (inverse_row_sum[i] == 0.0) list[count++] = static_cast<std::int32_t>(i);
  return count;
}

void dyn_payoff(const CpuExecutor&, std::int64_t n, const DynamicsRules& rules, const std::int32_t* tallies,
                const double* t, double* payoff) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    payoff[i] = dyn::payoff_of(rules, tallies[tally_received * n + i], tallies[tally_given * n + i],
                                 tallies[tally_fines * n + i], t[i]);
}

void dyn_imitate(const CpuExecutor&, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch,
                 const std::uint8_t* strategy, const double* payoff, std::uint8_t* next, std::int32_t* model) {
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = g.row_begin; i < g.row_end; ++i) {
    const dyn::Imitation m = dyn::imitation_step(g, rules, epoch, i, strategy, payoff);
    next[i] = m.next;
    model[i] = m.model;
  }
}

DynamicsSummary dyn_summary(const CpuExecutor&, const DynamicsGraphView& g, const std::uint8_t* played,
                            const std::uint8_t* next, const std::int32_t* model, const double* payoff,
                            const double* t, const std::int32_t* tallies) {
  const std::int64_t n = g.n;
  const std::int64_t blocks = (n + reduction_block - 1) / reduction_block;
  std::vector<DynamicsSummary> partial(static_cast<std::size_t>(blocks));
#pragma omp parallel for schedule(dynamic, 4)
  for (std::int64_t bl = 0; bl < blocks; ++bl) {
    DynamicsSummary& p = partial[static_cast<std::size_t>(bl)];
    const std::int64_t end = std::min(n, (bl + 1) * reduction_block);
    for (std::int64_t i = bl * reduction_block; i < end; ++i) {
      const int grp = dyn::summary_group(g.kind[i], g.registered[i], played[i]);
      ++p.count[grp];
      p.trust[grp] += t[i];
      p.payoff[grp] += payoff[i];
      for (int k = 0; k < tally_count; ++k) p.tally[grp][k] += tallies[k * n + i];
      if (model[i] >= 0) {
        ++p.imitations;
        p.switches += next[i] != played[i];
      }
    }
  }
  DynamicsSummary total;
  for (const DynamicsSummary& p : partial) {
    for (int k = 0; k < DynamicsSummary::groups; ++k) {
      total.count[k] += p.count[k];
      total.trust[k] += p.trust[k];
      total.payoff[k] += p.payoff[k];
      for (int t = 0; t < tally_count; ++t) total.tally[k][t] += p.tally[k][t];
    }
    total.imitations += p.imitations;
    total.switches += p.switches;
  }
  return total;
}

TrustInequality dyn_trust_inequality(const CpuExecutor&, std::int64_t n, const double* t) {
  TrustInequality out;
  if (n == 0) return out;
  std::vector<double> x(t, t + n);
  std::sort(x.begin(), x.end());
  const double total = block_sum(n, [&](std::int64_t i) { return x[static_cast<std::size_t>(i)]; });
  if (!(total > 0.0)) return out;
  // Sorted ascending, 1-based ranks: G = 2·Σ i·x_i / (n·Σ x) − (n + 1)/n.
  const double ranked =
      block_sum(n, [&](std::int64_t i) { return static_cast<double>(i + 1) * x[static_cast<std::size_t>(i)]; });
  const auto nd = static_cast<double>(n);
  out.gini = 2.0 * ranked / (nd * total) - (nd + 1.0) / nd;
  const std::int64_t top = (n + 99) / 100;
  out.top1_share = block_sum(top, [&](std::int64_t i) { return x[static_cast<std::size_t>(n - top + i)]; }) / total;
  return out;
}

void dyn_random_words(const CpuExecutor&, std::uint64_t seed, std::uint32_t purpose, std::uint32_t epoch,
                      std::int64_t count, std::uint32_t* words) {
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const rng::Words4 w = rng::draw4(seed, purpose, static_cast<std::uint64_t>(i), epoch);
    for (int k = 0; k < 4; ++k) words[4 * i + k] = w.w[k];
  }
}

}  // namespace trustprop::kernels::cpu
