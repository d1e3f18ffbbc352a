// CPU EigenTrust kernels (see kernels/eigentrust.hpp for the equations).
// The reference for every GPU kernel: plain OpenMP loops, double
// accumulation, fixed-block reductions so results are bitwise reproducible
// whatever the number of threads.
#include "kernels/eigentrust.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"

namespace trustprop::kernels::cpu {

Transition build_transition(const CpuExecutor& exec, const CsrView& w, TransitionForm form) {
  const std::int64_t n = w.rows;
  auto ex = exec.shared_from_this();
  std::vector<double> inv(static_cast<std::size_t>(n));
  std::vector<std::int64_t> count(static_cast<std::size_t>(n) + 1, 0);

  // Positive out-trust of each row, how many positive entries each column
  // gets, and whether every row gives its positive trust in equal shares;
  // for the value-free form also 1/d_i, d_i the row's positive entries
  // counted (not 1/s_i, which carries the rounding of the weights' sum).
  const bool may_drop_values = form == TransitionForm::value_free_if_uniform;
  std::vector<double> scale(may_drop_values ? static_cast<std::size_t>(n) : 0);
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
        const std::int32_t j = w.indices[k];
#pragma omp atomic
        ++count[static_cast<std::size_t>(j) + 1];
      }
    }
    inv[static_cast<std::size_t>(i)] = s > 0.0 ? 1.0 / s : 0.0;
    if (may_drop_values) scale[static_cast<std::size_t>(i)] = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  const std::int64_t nnz = count[static_cast<std::size_t>(n)];

  Transition tr;
  tr.value_free = may_drop_values && uniform;
  tr.ct.rows = tr.ct.cols = n;
  tr.ct.indptr = Array<std::int64_t>::from_host(ex, count);
  tr.ct.indices = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  if (!tr.value_free) tr.ct.values = Array<float>(ex, static_cast<std::size_t>(nnz));
  std::int32_t* ci = tr.ct.indices.data();
  float* cv = tr.ct.values.data();

  // Scatter each positive entry into its column's segment, then sort each
  // segment by source agent: the result is independent of the scatter order.
  std::vector<std::int64_t> cursor(count.begin(), count.end() - 1);
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      if (w.values[k] > 0.0f) {
        std::int64_t pos;
#pragma omp atomic capture
        pos = cursor[static_cast<std::size_t>(w.indices[k])]++;
        ci[pos] = static_cast<std::int32_t>(i);
        if (cv) cv[pos] = static_cast<float>(w.values[k] * inv[static_cast<std::size_t>(i)]);
      }
    }
  }
#pragma omp parallel
  {
    std::vector<std::pair<std::int32_t, float>> buf;
#pragma omp for schedule(dynamic, 256)
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t b = count[static_cast<std::size_t>(j)], e = count[static_cast<std::size_t>(j) + 1];
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
  if (tr.value_free) tr.source_scale = Array<double>::from_host(ex, scale);
  return tr;
}

namespace {
// One pass over Cᵀ gathering from `x` (t itself, or a copy the last step
// wrote): the new trust of each agent, its copies when asked, and ‖t' − t‖₁.
// ValueFree: Cᵀ has no values and x already holds t_i·source_scale_i.
// The sum runs over the row in order: splitting it into four interleaved
// partial sums was slower on R-MAT's short rows and no faster on a city's
// long ones (docs/benchmarks.md): the gather, not the add latency, bounds it.
template <bool ValueFree, class Gathered>
double pull_step(const CsrView& ct, double mass, const double* pretrust, double restart, const double* t,
                 const Gathered* x, const GatherVectors& g, double* t_next) {
  const double keep = 1.0 - restart;
  return block_sum(ct.rows, [&](std::int64_t j) {
    double y = 0.0;
    for (std::int64_t k = ct.indptr[j]; k < ct.indptr[j + 1]; ++k) {
      if constexpr (ValueFree)
        y += static_cast<double>(x[ct.indices[k]]);
      else
        y += static_cast<double>(ct.values[k]) * static_cast<double>(x[ct.indices[k]]);
    }
    const double v = keep * (y + mass * pretrust[j]) + restart * pretrust[j];
    t_next[j] = v;
    const double copy = ValueFree ? v * g.source_scale[j] : v;
    if (g.x32_next) g.x32_next[j] = static_cast<float>(copy);
    if (g.x64_next) g.x64_next[j] = copy;
    return std::fabs(v - t[j]);
  });
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
  const double m = block_sum(n_dangling, [&](std::int64_t k) { return t[dangling[k]]; });
  if (value_free)
    return g.x32 ? pull_step<true>(ct, m, pretrust, restart, t, g.x32, g, t_next)
                 : pull_step<true>(ct, m, pretrust, restart, t, g.x64, g, t_next);
  return g.x32 ? pull_step<false>(ct, m, pretrust, restart, t, g.x32, g, t_next)
               : pull_step<false>(ct, m, pretrust, restart, t, t, g, t_next);
}

}  // namespace trustprop::kernels::cpu
