// CPU fairness–goodness steps (equations in kernels/fairness_goodness.hpp):
// one independent row per agent, fixed-block residual sums.
#include "kernels/fairness_goodness.hpp"

#include <cmath>

#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"

namespace trustprop::kernels::cpu {

double fg_goodness_step(const CpuExecutor&, const CsrView64& in, const double* f, double* g) {
  return block_sum(in.rows, [&](std::int64_t v) {
    const std::int64_t b = in.indptr[v], e = in.indptr[v + 1];
    if (b == e) return 0.0;
    double s = 0.0;
    for (std::int64_t k = b; k < e; ++k) s += f[in.indices[k]] * in.values[k];
    const double updated = s / static_cast<double>(e - b);
    const double change = std::fabs(updated - g[v]);
    g[v] = updated;
    return change;
  });
}

double fg_fairness_step(const CpuExecutor&, const CsrView64& out, const double* g, double* f) {
  return block_sum(out.rows, [&](std::int64_t u) {
    const std::int64_t b = out.indptr[u], e = out.indptr[u + 1];
    if (b == e) return 0.0;
    double s = 0.0;
    for (std::int64_t k = b; k < e; ++k) s += 1.0 - std::fabs(out.values[k] - g[out.indices[k]]) / 2.0;
    const double updated = s / static_cast<double>(e - b);
    const double change = std::fabs(updated - f[u]);
    f[u] = updated;
    return change;
  });
}

}  // namespace trustprop::kernels::cpu
