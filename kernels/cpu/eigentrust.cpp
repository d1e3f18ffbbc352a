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

#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"

namespace trustprop::kernels::cpu {

Transition build_transition(const CpuExecutor& exec, const CsrView& w) {
  const std::int64_t n = w.rows;
  auto ex = exec.shared_from_this();
  std::vector<double> inv(static_cast<std::size_t>(n));
  std::vector<std::int64_t> count(static_cast<std::size_t>(n) + 1, 0);

  // Positive out-trust of each row, and how many positive entries each column gets.
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (std::int64_t k = w.indptr[i]; k < w.indptr[i + 1]; ++k) {
      if (w.values[k] > 0.0f) {
        s += w.values[k];
        const std::int32_t j = w.indices[k];
#pragma omp atomic
        ++count[static_cast<std::size_t>(j) + 1];
      }
    }
    inv[static_cast<std::size_t>(i)] = s > 0.0 ? 1.0 / s : 0.0;
  }
  std::partial_sum(count.begin(), count.end(), count.begin());
  const std::int64_t nnz = count[static_cast<std::size_t>(n)];

  Transition tr;
  tr.ct.rows = tr.ct.cols = n;
  tr.ct.indptr = Array<std::int64_t>::from_host(ex, count);
  tr.ct.indices = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  tr.ct.values = Array<float>(ex, static_cast<std::size_t>(nnz));
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
        cv[pos] = static_cast<float>(w.values[k] * inv[static_cast<std::size_t>(i)]);
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
  return tr;
}

namespace {
// One pass over Cᵀ gathering from `x` (t itself, or its float32 copy): the
// new trust of each agent, its float32 copy when asked, and ‖t' − t‖₁.
template <class Gathered>
double pull_step(const CsrView& ct, double mass, const double* pretrust, double restart, const double* t,
                 const Gathered* x, double* t_next, float* t_next_gather) {
  const double keep = 1.0 - restart;
  return block_sum(ct.rows, [&](std::int64_t j) {
    double y = 0.0;
    for (std::int64_t k = ct.indptr[j]; k < ct.indptr[j + 1]; ++k)
      y += static_cast<double>(ct.values[k]) * static_cast<double>(x[ct.indices[k]]);
    const double v = keep * (y + mass * pretrust[j]) + restart * pretrust[j];
    t_next[j] = v;
    if (t_next_gather) t_next_gather[j] = static_cast<float>(v);
    return std::fabs(v - t[j]);
  });
}
}  // namespace

double eigentrust_step(const CpuExecutor&, const CsrView& ct, const std::int32_t* dangling,
                       std::int64_t n_dangling, const double* pretrust, double restart, const double* t,
                       double* t_next, const float* t_gather, float* t_next_gather) {
  const double m = block_sum(n_dangling, [&](std::int64_t k) { return t[dangling[k]]; });
  return t_gather ? pull_step(ct, m, pretrust, restart, t, t_gather, t_next, t_next_gather)
                  : pull_step(ct, m, pretrust, restart, t, t, t_next, t_next_gather);
}

}  // namespace trustprop::kernels::cpu
