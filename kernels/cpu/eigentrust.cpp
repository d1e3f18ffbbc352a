// CPU EigenTrust kernels (see kernels/eigentrust.hpp for the equations).
// The reference for every GPU kernel: plain OpenMP loops, double
// accumulation, fixed-block reductions so results are bitwise reproducible
// whatever the number of threads.
#include "kernels/eigentrust.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"
#include "kernels/cpu/sell.hpp"
#include "kernels/cpu/sell_lanes.hpp"
#include "kernels/cpu/source_blocks.hpp"
#include "kernels/positive_row.hpp"

namespace trustprop::kernels::cpu {

std::int64_t auto_block_width(std::int64_t n, std::int64_t nnz) {
  constexpr std::int64_t preferred = 512 * 1024;
  if (n <= 0 || nnz > std::numeric_limits<std::uint32_t>::max()) return 0;
  const std::int64_t wanted = (n + preferred - 1) / preferred;
  const std::int64_t affordable = nnz / (8 * (n + 1));  // blocks within ½ B of offsets per tie
  if (wanted < 2 || affordable < 2) return 0;
  return wanted <= affordable ? preferred : (n + affordable - 1) / affordable;
}

namespace {
// The L3 one core sees, from sysfs ("32768K"): one instance, not the sum
// over a socket's core complexes (what glibc's sysconf reports in some
// VMs: 384 MB on this one). 32 MiB when unknown.
std::int64_t l3_bytes() {
  std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index3/size");
  std::int64_t size = 0;
  char unit = 0;
  if (in >> size) in >> unit;
  if (size <= 0) return std::int64_t{32} << 20;
  return unit == 'M' ? size << 20 : unit == 'K' ? size << 10 : size;
}
}  // namespace

bool prefer_source_blocks(std::int64_t n, std::int64_t nnz, std::int64_t llc_bytes) {
  static const std::int64_t machine_l3 = l3_bytes();
  if (llc_bytes <= 0) llc_bytes = machine_l3;
  return 4 * n > llc_bytes / 3 && auto_block_width(n, nnz) > 0;
}

namespace {
std::int64_t block_width(std::int64_t n, std::int64_t nnz, TransitionForm form, std::int64_t requested) {
  if (form != TransitionForm::eigentrust || nnz > std::numeric_limits<std::uint32_t>::max()) return 0;
  if (requested > 0) return requested < n ? requested : 0;
  return auto_block_width(n, nnz);
}

// One pass over the positive entries of W for the row statistics the
// transition needs: 1/s_i (0 for a dangling row) into inv and, for the
// value-free form (d_inv given), 1/d_i, d_i the row's positive entries
// counted (not 1/s_i, which carries the rounding of the weights' sum);
// count(i, j) is called for each positive w_ij, from several threads.
// Returns whether every row gives its positive trust in equal shares.
template <class Count>
bool row_statistics(const CsrView& w, double* inv, double* d_inv, Count&& count) {
  bool uniform = true;
#pragma omp parallel for schedule(dynamic, 1024) reduction(&& : uniform)
  for (std::int64_t i = 0; i < w.rows; ++i) {
    const PositiveRow row = positive_row(w.values, w.indptr[i], w.indptr[i + 1], [&](std::int64_t k) {
      count(i, w.indices[k]);
    });
    uniform = uniform && row.uniform;
    inv[i] = row.inverse_sum();
    if (d_inv) d_inv[i] = row.inverse_count();
  }
  return uniform;
}

// Scatters each positive w_ij as (i, c_ij) to place(j, k-th entry of row j
// so far), then has sort_row(j) order each row by source: the result does
// not depend on the scatter order.
template <class Place>
void scatter_entries(const CsrView& w, const double* inv, std::int32_t* ci, float* cv, Place&& place) {
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = 0; i < w.rows; ++i) {
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      if (w.values[k] > 0.0f) {
        const std::int64_t pos = place(i, w.indices[k]);
        ci[pos] = static_cast<std::int32_t>(i);
        if (cv) cv[pos] = transition_value(w.values[k], inv[i]);
      }
    }
  }
}

// Sorts the entries first, first + stride, ... (count of them) by source.
void sort_by_source(std::int32_t* ci, float* cv, std::int64_t first, std::int64_t count, std::int64_t stride,
                    std::vector<std::pair<std::int32_t, float>>& buf) {
  bool sorted = true;
  for (std::int64_t p = 1; p < count && sorted; ++p) sorted = ci[first + (p - 1) * stride] <= ci[first + p * stride];
  if (sorted) return;
  buf.clear();
  for (std::int64_t p = 0; p < count; ++p) buf.emplace_back(ci[first + p * stride], cv ? cv[first + p * stride] : 0.0f);
  std::sort(buf.begin(), buf.end());
  for (std::int64_t p = 0; p < count; ++p) {
    ci[first + p * stride] = buf[static_cast<std::size_t>(p)].first;
    if (cv) cv[first + p * stride] = buf[static_cast<std::size_t>(p)].second;
  }
}

// What every layout shares: the dangling agents (no positive out-trust)
// and, value-free, 1/d_i as source_scale.
void finish(const CpuExecutor& exec, const std::vector<double>& inv, Array<double>&& scale, Transition& tr) {
  std::vector<std::int32_t> dangling;
  for (std::size_t i = 0; i < inv.size(); ++i)
    if (inv[i] == 0.0) dangling.push_back(static_cast<std::int32_t>(i));
  tr.dangling = Array<std::int32_t>::from_host(exec.shared_from_this(), dangling);
  if (tr.value_free) tr.source_scale = std::move(scale);
}

// Cᵀ of the positive entries of W as CSR, entries ordered by (source block,
// row j, source i); Offset: int64 for plain CSR (one block of all n
// sources), uint32 for a blocked Cᵀ.
template <class Offset>
Transition build(const CpuExecutor& exec, const CsrView& w, bool may_drop_values, std::int64_t width) {
  const std::int64_t n = w.rows;
  const std::int64_t per_block = width > 0 ? width : std::max<std::int64_t>(n, 1);
  const std::int64_t blocks = width > 0 ? (n + width - 1) / width : 1;
  const auto segment = [&](std::int64_t i, std::int64_t j) {  // (block of source i, row j), in offset order
    return static_cast<std::size_t>(i / per_block * (n + 1) + j);
  };
  auto ex = exec.shared_from_this();
  // The offsets and 1/d_i are built where the Transition keeps them (CPU
  // arrays are host memory): no second copy at the peak.
  const auto segments = static_cast<std::size_t>(blocks * (n + 1));
  Array<Offset> offsets(ex, segments);
  Offset* offset = offsets.data();
  std::fill(offset, offset + segments, Offset{0});
  std::vector<double> inv(static_cast<std::size_t>(n));
  Array<double> scale(ex, may_drop_values ? static_cast<std::size_t>(n) : 0);
  const bool uniform = row_statistics(w, inv.data(), scale.data(), [&](std::int64_t i, std::int32_t j) {
    const std::size_t c = segment(i, j) + 1;
#pragma omp atomic
    ++offset[c];
  });
  std::partial_sum(offset, offset + segments, offset);
  const auto nnz = static_cast<std::int64_t>(offset[segments - 1]);

  Transition tr;
  tr.value_free = may_drop_values && uniform;
  tr.ct.rows = tr.ct.cols = n;
  tr.ct.indices = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  if (!tr.value_free) tr.ct.values = Array<float>(ex, static_cast<std::size_t>(nnz));
  std::int32_t* ci = tr.ct.indices.data();
  float* cv = tr.ct.values.data();
  {
    std::vector<Offset> cursor(offset, offset + segments);
    scatter_entries(w, inv.data(), ci, cv, [&](std::int64_t i, std::int32_t j) {
      Offset pos;
#pragma omp atomic capture
      pos = cursor[segment(i, j)]++;
      return static_cast<std::int64_t>(pos);
    });
  }
#pragma omp parallel
  {
    std::vector<std::pair<std::int32_t, float>> buf;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t c = 0; c < blocks * (n + 1) - 1; ++c) {
      const auto b = static_cast<std::int64_t>(offset[c]);
      sort_by_source(ci, cv, b, static_cast<std::int64_t>(offset[c + 1]) - b, 1, buf);
    }
  }
  finish(exec, inv, std::move(scale), tr);
  if constexpr (std::is_same_v<Offset, std::int64_t>) {
    tr.ct.indptr = std::move(offsets);
  } else {
    tr.block_width = width;
    tr.block_indptr = std::move(offsets);
  }
  return tr;
}

// Cᵀ of the positive entries of W as SELL-8 chunks (kernels::SellChunks),
// or nothing when the padding would exceed a quarter of the entries.
std::optional<Transition> build_sell(const CpuExecutor& exec, const CsrView& w, bool may_drop_values) {
  const std::int64_t n = w.rows;
  auto ex = exec.shared_from_this();
  std::vector<double> inv(static_cast<std::size_t>(n));
  Array<double> scale(ex, may_drop_values ? static_cast<std::size_t>(n) : 0);
  std::vector<std::int32_t> length(static_cast<std::size_t>(n), 0);  // entries per row of Cᵀ
  const bool uniform = row_statistics(w, inv.data(), scale.data(), [&](std::int64_t, std::int32_t j) {
#pragma omp atomic
    ++length[static_cast<std::size_t>(j)];
  });

  SellLanes lanes = sell_lanes(exec, length);
  std::vector<std::int32_t>().swap(length);
  if (lanes.pads_too_much()) return std::nullopt;

  Transition tr;
  tr.value_free = may_drop_values && uniform;
  tr.ct.rows = tr.ct.cols = n;
  const auto entries = static_cast<std::size_t>(lanes.entries);
  tr.ct.indices = Array<std::int32_t>(ex, entries);
  std::int32_t* ci = tr.ct.indices.data();
  std::fill(ci, ci + entries, 0);
  if (!tr.value_free) {
    tr.ct.values = Array<float>(ex, entries);
    std::fill(tr.ct.values.data(), tr.ct.values.data() + entries, 0.0f);
  }
  float* cv = tr.ct.values.data();
  // Entry p of row j goes to lanes.first[j] + 8·p: one counter per row,
  // stepping by 8 (one random access per entry).
  std::vector<std::int64_t>& next = lanes.first;
  scatter_entries(w, inv.data(), ci, cv, [&](std::int64_t, std::int32_t j) {
    std::int64_t pos;
#pragma omp atomic capture
    {
      pos = next[static_cast<std::size_t>(j)];
      next[static_cast<std::size_t>(j)] += 8;
    }
    return pos;
  });
#pragma omp parallel
  {
    std::vector<std::pair<std::int32_t, float>> buf;
    const std::int64_t* offset = lanes.offsets.data();
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t s = 0; s < static_cast<std::int64_t>(lanes.rows.size()); ++s)
      sort_by_source(ci, cv, offset[s / 8] + s % 8, lanes.lengths.data()[s], 8, buf);
  }
  finish(exec, inv, std::move(scale), tr);
  tr.sell_offsets = std::move(lanes.offsets);
  tr.sell_rows = std::move(lanes.rows);
  tr.sell_lengths = std::move(lanes.lengths);
  return tr;
}
}  // namespace

Transition build_transition(const CpuExecutor& exec, const CsrView& w, TransitionForm form,
                            std::int64_t block_agents) {
  const bool may_drop_values = form != TransitionForm::weighted;
  // The eigentrust form is SELL-8 unless source blocks are asked for or
  // preferred (kernels/cpu/source_blocks.hpp); a graph that SELL would pad
  // too much gets the source-block policy.
  const bool sell = block_agents >= w.rows || (block_agents == 0 && !prefer_source_blocks(w.rows, w.nnz));
  if (form == TransitionForm::eigentrust && w.rows > 0 && sell)
    if (auto tr = build_sell(exec, w, may_drop_values)) return std::move(*tr);
  const std::int64_t width = block_width(w.rows, w.nnz, form, block_agents);
  if (width > 0) return build<std::uint32_t>(exec, w, may_drop_values, width);
  return build<std::int64_t>(exec, w, may_drop_values, 0);
}

void to_eigentrust_layout(const CpuExecutor& exec, Transition& tr) {
  if (tr.ct.indptr.size() == 0 || tr.ct.rows == 0) return;  // already SELL-8 or source-blocked, or empty
  const std::vector<std::int64_t> indptr = tr.ct.indptr.to_host();
  std::vector<std::int32_t> length(static_cast<std::size_t>(tr.ct.rows));
  for (std::size_t j = 0; j < length.size(); ++j) length[j] = static_cast<std::int32_t>(indptr[j + 1] - indptr[j]);
  SellLanes lanes = sell_lanes(exec, length);
  if (lanes.pads_too_much()) return;
  auto ex = exec.shared_from_this();
  const SellChunks chunks = lanes.chunks();
  const auto entries = static_cast<std::size_t>(lanes.entries);
  Array<std::int32_t> indices(ex, entries);
  to_sell_lanes(chunks, indptr.data(), tr.ct.indices.data(), indices.data());
  tr.ct.indices = std::move(indices);
  if (!tr.value_free) {
    Array<float> values(ex, entries);
    to_sell_lanes(chunks, indptr.data(), tr.ct.values.data(), values.data());
    tr.ct.values = std::move(values);
  }
  tr.ct.indptr = Array<std::int64_t>();
  tr.sell_offsets = std::move(lanes.offsets);
  tr.sell_rows = std::move(lanes.rows);
  tr.sell_lengths = std::move(lanes.lengths);
}

namespace {
// Σ_k c_k·x[i_k] over entries [begin, end) of Cᵀ, in order: x is t itself
// or a copy the last step wrote; ValueFree: Cᵀ has no values and x already
// holds t_i·source_scale_i. Splitting the sum into four interleaved partial
// sums was slower on R-MAT's short rows and no faster on a city's long ones
// (docs/benchmarks.md): the gather, not the add latency, bounds it.
template <bool ValueFree, class Gathered>
double dot(const CsrView& ct, const Gathered* x, std::int64_t begin, std::int64_t end) {
  double y = 0.0;
  for (std::int64_t k = begin; k < end; ++k) {
    if constexpr (ValueFree)
      y += static_cast<double>(x[ct.indices[k]]);
    else
      y += static_cast<double>(ct.values[k]) * static_cast<double>(x[ct.indices[k]]);
  }
  return y;
}

// The new trust of row j of Cᵀ from y_j = (Cᵀx)_j, its copies when asked,
// and its term |t'_j − t_j| of the residual. The pointers start at Cᵀ's
// first row (eigentrust_step's first_row), so j indexes them all.
struct Update {
  double mass, restart;
  const double* pretrust;
  const double* t;
  const double* source_scale;
  float* x32_next;
  double* x64_next;
  double* t_next;

  Update(double mass, double restart, const double* pretrust, const double* t, const GatherVectors& g,
         double* t_next, std::int64_t first_row)
      : mass(mass), restart(restart), pretrust(pretrust + first_row), t(t + first_row),
        source_scale(g.source_scale ? g.source_scale + first_row : nullptr),
        x32_next(g.x32_next ? g.x32_next + first_row : nullptr),
        x64_next(g.x64_next ? g.x64_next + first_row : nullptr), t_next(t_next + first_row) {}

  double operator()(std::int64_t j, double y) const {
    const double v = (1.0 - restart) * (y + mass * pretrust[j]) + restart * pretrust[j];
    t_next[j] = v;
    const double copy = source_scale ? v * source_scale[j] : v;
    if (x32_next) x32_next[j] = static_cast<float>(copy);
    if (x64_next) x64_next[j] = copy;
    return std::fabs(v - t[j]);
  }
};

// One pass over a plain Cᵀ: the new trust and ‖t' − t‖₁.
template <bool ValueFree, class Gathered>
double pull_step(const CsrView& ct, const Gathered* x, const Update& update) {
  return block_sum(ct.rows, [&](std::int64_t j) {
    return update(j, dot<ValueFree>(ct, x, ct.indptr[j], ct.indptr[j + 1]));
  });
}

// A source-blocked Cᵀ: one pass per block, each gathering from its slice of
// x only; the row sums of all but the last block collect in t_next, the
// last pass adds its own and finishes the update. y_j = ((r_0 + r_1) + …)
// in block order, whatever the thread count.
template <bool ValueFree, class Gathered>
double blocked_pull_step(const CsrView& ct, const SourceBlocks& blocks, const Gathered* x, const Update& update) {
  const std::int64_t n = ct.rows, last = (n + blocks.width - 1) / blocks.width - 1;
  const auto range = [&](std::int64_t b, std::int64_t j) {
    const std::uint32_t* o = blocks.indptr + b * (n + 1) + j;
    return std::pair<std::int64_t, std::int64_t>(o[0], o[1]);
  };
  double* y = update.t_next;
#pragma omp parallel
  for (std::int64_t b = 0; b < last; ++b) {
#pragma omp for schedule(dynamic, 1024)
    for (std::int64_t j = 0; j < n; ++j) {
      const auto [begin, end] = range(b, j);
      const double r = dot<ValueFree>(ct, x, begin, end);
      y[j] = b == 0 ? r : y[j] + r;
    }
  }
  return block_sum(n, [&](std::int64_t j) {
    const auto [begin, end] = range(last, j);
    return update(j, y[j] + dot<ValueFree>(ct, x, begin, end));
  });
}

// A SELL-8 Cᵀ: the row products into t_next (kernels/cpu/sell.cpp, bitwise
// the plain CSR sums), then the update in row order.
template <bool ValueFree, class Gathered>
double sell_pull_step(const CsrView& ct, const SellChunks& sell, const Gathered* x, const Update& update) {
  sell_products<ValueFree>(simd_level(), sell, ct.indices, ct.values, x, update.t_next);
  return block_sum(ct.rows, [&](std::int64_t j) { return update(j, update.t_next[j]); });
}

template <bool ValueFree, class Gathered>
double step(const CsrView& ct, const GatherVectors& g, const Gathered* x, const Update& update) {
  if (g.blocks.width > 0) return blocked_pull_step<ValueFree>(ct, g.blocks, x, update);
  if (g.sell.chunks > 0) return sell_pull_step<ValueFree>(ct, g.sell, x, update);
  return pull_step<ValueFree>(ct, x, update);
}
}  // namespace

double eigentrust_step(const CpuExecutor&, const CsrView& ct, const std::int32_t* dangling,
                       std::int64_t n_dangling, const double* pretrust, double restart, const double* t,
                       double* t_next, const GatherVectors& g, std::int64_t first_row) {
  const bool value_free = g.source_scale != nullptr;
  TRUSTPROP_ASSERT(ct.nnz == 0 || value_free == (ct.values == nullptr),
                   "eigentrust_step: source_scale must be given exactly for a value-free Cᵀ");
  TRUSTPROP_ASSERT(!value_free || g.x32 || g.x64, "eigentrust_step: a value-free Cᵀ gathers from x32 or x64");
  TRUSTPROP_ASSERT(value_free || (!g.x64 && !g.x64_next), "eigentrust_step: x64 is for a value-free Cᵀ");
  TRUSTPROP_ASSERT((g.blocks.width > 0) + (g.sell.chunks > 0) == (ct.indptr == nullptr && ct.rows > 0),
                   "eigentrust_step: a source-blocked or SELL-8 Cᵀ comes with its layout and without indptr");
  const double m = block_sum(n_dangling, [&](std::int64_t k) { return t[dangling[k]]; });
  TRUSTPROP_ASSERT(first_row >= 0 && first_row + ct.rows <= ct.cols, "eigentrust_step: rows outside the matrix");
  const Update update(m, restart, pretrust, t, g, t_next, first_row);
  if (value_free)
    return g.x32 ? step<true>(ct, g, g.x32, update) : step<true>(ct, g, g.x64, update);
  return g.x32 ? step<false>(ct, g, g.x32, update) : step<false>(ct, g, t, update);
}

}  // namespace trustprop::kernels::cpu
