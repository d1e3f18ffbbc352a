// CPU batched personalized trust (equations and layout in
// kernels/personalized.hpp); the reference the CUDA kernels are tested
// against. One pass over Cᵀ per iteration: for each agent j, each entry
// (i, c_ij) of its row adds c_ij·T[i, :] — one contiguous k-wide row of T —
// into sums held in registers, 16 columns at a time (the row's entries are
// re-read from L1 for each block of columns). Accumulation in double, per
// column in the same order as cpu::eigentrust_step, and the per-column sums
// (dangling mass, change) over the fixed blocks of cpu::block_sum: every
// column is bitwise the single-seed iteration's result, for any number of
// threads.
#include "kernels/personalized.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "kernels/cpu/executor.hpp"

namespace trustprop::kernels::cpu {

namespace {

// cpu::block_sum for k columns at once: `block(begin, end, sum)` adds the
// terms of items [begin, end) to sum[0..k) in item order, for fixed blocks of
// reduction_block items; the block sums are then added in block order.
template <class Block>
std::vector<double> column_block_sums(std::int64_t items, std::int64_t k, Block&& block) {
  const auto columns = static_cast<std::size_t>(k);
  const std::int64_t blocks = (items + reduction_block - 1) / reduction_block;
  std::vector<double> partial(static_cast<std::size_t>(blocks) * columns, 0.0);
#pragma omp parallel for schedule(dynamic, 4)
  for (std::int64_t b = 0; b < blocks; ++b)
    block(b * reduction_block, std::min(items, (b + 1) * reduction_block),
          partial.data() + static_cast<std::size_t>(b) * columns);
  std::vector<double> total(columns, 0.0);
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::size_t c = 0; c < columns; ++c) total[c] += partial[static_cast<std::size_t>(b) * columns + c];
  return total;
}

// y[c0 .. c0 + W) = Σ_e c_e·T[source_e, c0 .. c0 + W) over row j of Cᵀ, the
// W sums held in registers while the row's entries stream by; each column
// is summed over the entries in row order, as in eigentrust_step. The rows
// of T that the entry 8 places ahead will read are prefetched: they are
// scattered over a block of T larger than the caches.
template <int W>
void row_block(const CsrView& ct, std::int64_t j, const double* t, std::size_t k, std::size_t c0, double* y) {
  double sum[W] = {};
  const std::int64_t end = ct.indptr[j + 1];
  for (std::int64_t e = ct.indptr[j]; e < end; ++e) {
    if (e + 8 < end) {
      const double* ahead = t + static_cast<std::size_t>(ct.indices[e + 8]) * k + c0;
      __builtin_prefetch(ahead);
      if (W > 8) __builtin_prefetch(ahead + 8);
    }
    const double c = ct.values[e];
    const double* x = t + static_cast<std::size_t>(ct.indices[e]) * k + c0;
    for (int w = 0; w < W; ++w) sum[w] += c * x[w];
  }
  for (int w = 0; w < W; ++w) y[c0 + static_cast<std::size_t>(w)] = sum[w];
}

// y[0..k) = (Cᵀ T)[j, 0..k): blocks of 16 columns, then 8, 4, 2, 1 for the rest.
void row_product(const CsrView& ct, std::int64_t j, const double* t, std::size_t k, double* y) {
  std::size_t c0 = 0;
  for (; c0 + 16 <= k; c0 += 16) row_block<16>(ct, j, t, k, c0, y);
  if (k - c0 >= 8) row_block<8>(ct, j, t, k, c0, y), c0 += 8;
  if (k - c0 >= 4) row_block<4>(ct, j, t, k, c0, y), c0 += 4;
  if (k - c0 >= 2) row_block<2>(ct, j, t, k, c0, y), c0 += 2;
  if (k - c0 >= 1) row_block<1>(ct, j, t, k, c0, y);
}

// The seed entries of agent j: [first, last) in the seed matrix.
std::pair<std::int64_t, std::int64_t> seed_range(const SeedMatrixView& seeds, std::int64_t j) {
  if (!((seeds.seeded[j / 32] >> (j % 32)) & 1u)) return {0, 0};
  const auto range = std::equal_range(seeds.agent, seeds.agent + seeds.entries, static_cast<std::int32_t>(j));
  return {range.first - seeds.agent, range.second - seeds.agent};
}

}  // namespace

void personalized_start(const CpuExecutor&, std::int64_t n, std::int64_t k, const SeedMatrixView& seeds, double* t) {
  const std::int64_t total = n * k;
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < total; ++i) t[i] = 0.0;
  for (std::int64_t s = 0; s < seeds.entries; ++s) t[seeds.agent[s] * k + seeds.column[s]] = seeds.weight[s];
}

std::vector<double> personalized_step(const CpuExecutor&, const CsrView& ct, const std::int32_t* dangling,
                                      std::int64_t n_dangling, const SeedMatrixView& seeds, std::int64_t k,
                                      const std::uint8_t* active, double restart, const double* t, double* t_next) {
  const auto columns = static_cast<std::size_t>(k);
  const std::vector<double> mass =
      column_block_sums(n_dangling, k, [&](std::int64_t begin, std::int64_t end, double* sum) {
        for (std::int64_t i = begin; i < end; ++i) {
          const double* row = t + static_cast<std::size_t>(dangling[i]) * columns;
          for (std::size_t c = 0; c < columns; ++c) sum[c] += row[c];
        }
      });
  const double keep = 1.0 - restart;
  return column_block_sums(ct.rows, k, [&](std::int64_t begin, std::int64_t end, double* change) {
    std::vector<double> y(columns), p(columns, 0.0);  // p: the seed weights of the current row
    for (std::int64_t j = begin; j < end; ++j) {
      row_product(ct, j, t, columns, y.data());
      const auto [first, last] = seed_range(seeds, j);
      for (std::int64_t s = first; s < last; ++s) p[static_cast<std::size_t>(seeds.column[s])] = seeds.weight[s];
      const double* tj = t + static_cast<std::size_t>(j) * columns;
      double* out = t_next + static_cast<std::size_t>(j) * columns;
      for (std::size_t c = 0; c < columns; ++c) {
        if (active[c]) {
          const double v = keep * (y[c] + mass[c] * p[c]) + restart * p[c];  // eigentrust_step's expression
          out[c] = v;
          change[c] += std::fabs(v - tj[c]);
        } else {
          out[c] = tj[c];
        }
      }
      for (std::int64_t s = first; s < last; ++s) p[static_cast<std::size_t>(seeds.column[s])] = 0.0;
    }
  });
}

}  // namespace trustprop::kernels::cpu
