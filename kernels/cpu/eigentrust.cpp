// CPU EigenTrust kernels (see kernels/eigentrust.hpp for the equations).
// The reference for every GPU kernel: plain OpenMP loops, double
// accumulation, fixed-block reductions so results are bitwise reproducible
// whatever the number of threads.
#include "kernels/eigentrust.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"
#include "kernels/cpu/source_blocks.hpp"

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
std::int64_t block_width(std::int64_t n, std::int64_t nnz, TransitionForm form, std::int64_t requested) {
  if (form != TransitionForm::eigentrust || nnz > std::numeric_limits<std::uint32_t>::max()) return 0;
  if (requested > 0) return requested < n ? requested : 0;
  return auto_block_width(n, nnz);
}

// Cᵀ of the positive entries of W, entries ordered by (source block, row j,
// source i); Offset: int64 for plain CSR (one block of all n sources),
// uint32 for a blocked Cᵀ. Also the row statistics of W that the transition
// needs: 1/s_i (0 for a dangling row) and, for the value-free form, 1/d_i.
template <class Offset>
Transition build(const CpuExecutor& exec, const CsrView& w, bool may_drop_values, std::int64_t width) {
  const std::int64_t n = w.rows;
  const std::int64_t per_block = width > 0 ? width : std::max<std::int64_t>(n, 1);
  const std::int64_t blocks = width > 0 ? (n + width - 1) / width : 1;
  const auto segment = [&](std::int64_t i, std::int64_t j) {  // (block of source i, row j), in offset order
    return static_cast<std::size_t>(i / per_block * (n + 1) + j);
  };
  auto ex = exec.shared_from_this();
  std::vector<double> inv(static_cast<std::size_t>(n));
  // The offsets and 1/d_i are built where the Transition keeps them (CPU
  // arrays are host memory): no second copy at the peak.
  const auto segments = static_cast<std::size_t>(blocks * (n + 1));
  Array<Offset> offsets(ex, segments);
  Offset* offset = offsets.data();
  std::fill(offset, offset + segments, Offset{0});

  // Positive out-trust of each row, how many positive entries each segment
  // gets, and whether every row gives its positive trust in equal shares;
  // for the value-free form also 1/d_i, d_i the row's positive entries
  // counted (not 1/s_i, which carries the rounding of the weights' sum).
  Array<double> scale(ex, may_drop_values ? static_cast<std::size_t>(n) : 0);
  double* d_inv = scale.data();
  bool uniform = true;
#pragma omp parallel for schedule(dynamic, 1024) reduction(&& : uniform)
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    float first = 0.0f;
    std::int64_t d = 0;
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      if (w.values[k] > 0.0f) {
        if (first == 0.0f) first = w.values[k];
        uniform = uniform && w.values[k] == first;
        s += w.values[k];
        ++d;
        const std::size_t c = segment(i, w.indices[k]) + 1;
#pragma omp atomic
        ++offset[c];
      }
    }
    inv[static_cast<std::size_t>(i)] = s > 0.0 ? 1.0 / s : 0.0;
    if (may_drop_values) d_inv[i] = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  }
  std::partial_sum(offset, offset + segments, offset);
  const auto nnz = static_cast<std::int64_t>(offset[segments - 1]);

  Transition tr;
  tr.value_free = may_drop_values && uniform;
  tr.ct.rows = tr.ct.cols = n;
  tr.ct.indices = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  if (!tr.value_free) tr.ct.values = Array<float>(ex, static_cast<std::size_t>(nnz));
  std::int32_t* ci = tr.ct.indices.data();
  float* cv = tr.ct.values.data();

  // Scatter each positive entry into its segment, then sort each segment by
  // source agent: the result is independent of the scatter order.
  std::vector<Offset> cursor(offset, offset + segments);
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      if (w.values[k] > 0.0f) {
        const std::size_t c = segment(i, w.indices[k]);
        Offset pos;
#pragma omp atomic capture
        pos = cursor[c]++;
        ci[pos] = static_cast<std::int32_t>(i);
        if (cv) cv[pos] = static_cast<float>(w.values[k] * inv[static_cast<std::size_t>(i)]);
      }
    }
  }
  std::vector<Offset>().swap(cursor);
#pragma omp parallel
  {
    std::vector<std::pair<std::int32_t, float>> buf;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t c = 0; c < blocks * (n + 1) - 1; ++c) {
      const auto b = static_cast<std::int64_t>(offset[c]);
      const auto e = static_cast<std::int64_t>(offset[c + 1]);
      if (std::is_sorted(ci + b, ci + e)) continue;
      if (!cv) {
        std::sort(ci + b, ci + e);
        continue;
      }
      buf.clear();
      for (std::int64_t k = b; k < e; ++k) buf.emplace_back(ci[k], cv[k]);
      std::sort(buf.begin(), buf.end());
      for (std::int64_t k = b; k < e; ++k) std::tie(ci[k], cv[k]) = buf[static_cast<std::size_t>(k - b)];
    }
  }

  std::vector<std::int32_t> dangling;
  for (std::int64_t i = 0; i < n; ++i)
    if (inv[static_cast<std::size_t>(i)] == 0.0) dangling.push_back(static_cast<std::int32_t>(i));
  tr.dangling = Array<std::int32_t>::from_host(ex, dangling);
  if (tr.value_free) tr.source_scale = std::move(scale);
  if constexpr (std::is_same_v<Offset, std::int64_t>) {
    tr.ct.indptr = std::move(offsets);
  } else {
    tr.block_width = width;
    tr.block_indptr = std::move(offsets);
  }
  return tr;
}
}  // namespace

Transition build_transition(const CpuExecutor& exec, const CsrView& w, TransitionForm form,
                            std::int64_t block_agents) {
  const bool may_drop_values = form != TransitionForm::weighted;
  const std::int64_t width = block_width(w.rows, w.nnz, form, block_agents);
  return width > 0 ? build<std::uint32_t>(exec, w, may_drop_values, width)
                   : build<std::int64_t>(exec, w, may_drop_values, 0);
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

// The new trust of agent j from y_j = (Cᵀx)_j, its copies when asked, and
// its term |t'_j − t_j| of the residual.
struct Update {
  double mass, restart;
  const double* pretrust;
  const double* t;
  const GatherVectors& g;
  double* t_next;

  double operator()(std::int64_t j, double y) const {
    const double v = (1.0 - restart) * (y + mass * pretrust[j]) + restart * pretrust[j];
    t_next[j] = v;
    const double copy = g.source_scale ? v * g.source_scale[j] : v;
    if (g.x32_next) g.x32_next[j] = static_cast<float>(copy);
    if (g.x64_next) g.x64_next[j] = copy;
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

template <bool ValueFree, class Gathered>
double step(const CsrView& ct, const SourceBlocks& blocks, const Gathered* x, const Update& update) {
  return blocks.width > 0 ? blocked_pull_step<ValueFree>(ct, blocks, x, update)
                          : pull_step<ValueFree>(ct, x, update);
}
}  // namespace

double eigentrust_step(const CpuExecutor&, const CsrView& ct, const std::int32_t* dangling,
                       std::int64_t n_dangling, const double* pretrust, double restart, const double* t,
                       double* t_next, const GatherVectors& g) {
  const bool value_free = g.source_scale != nullptr;
  TRUSTPROP_ASSERT(ct.nnz == 0 || value_free == (ct.values == nullptr),
                   "eigentrust_step: source_scale must be given exactly for a value-free Cᵀ");
  TRUSTPROP_ASSERT(!value_free || g.x32 || g.x64, "eigentrust_step: a value-free Cᵀ gathers from x32 or x64");
  TRUSTPROP_ASSERT(value_free || (!g.x64 && !g.x64_next), "eigentrust_step: x64 is for a value-free Cᵀ");
  TRUSTPROP_ASSERT((g.blocks.width > 0) == (ct.indptr == nullptr && ct.rows > 0),
                   "eigentrust_step: a source-blocked Cᵀ comes with its block offsets and without indptr");
  const double m = block_sum(n_dangling, [&](std::int64_t k) { return t[dangling[k]]; });
  const Update update{m, restart, pretrust, t, g, t_next};
  if (value_free)
    return g.x32 ? step<true>(ct, g.blocks, g.x32, update) : step<true>(ct, g.blocks, g.x64, update);
  return g.x32 ? step<false>(ct, g.blocks, g.x32, update) : step<false>(ct, g.blocks, t, update);
}

}  // namespace trustprop::kernels::cpu
