// CPU SybilRank kernels (equations in kernels/sybilrank.hpp), the reference
// for kernels/cuda/sybilrank.cu: one independent row per agent, each row
// summed in order, the change summed over fixed blocks.
#include "kernels/sybilrank.hpp"

#include <cmath>

#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/reduce.hpp"

namespace trustprop::kernels::cpu {

void sybilrank_degree_normalize(const CpuExecutor&, const PatternView& g, const double* t, double* q) {
#pragma omp parallel for schedule(static)
  for (std::int64_t v = 0; v < g.rows; ++v) q[v] = t[v] / static_cast<double>(g.indptr[v + 1] - g.indptr[v]);
}

double sybilrank_step(const CpuExecutor&, const PatternView& g, const double* q, const double* t, double* t_next) {
  return block_sum(g.rows, [&](std::int64_t v) {
    double s = 0.0;
    for (std::int64_t e = g.indptr[v]; e < g.indptr[v + 1]; ++e) s += q[g.indices[e]];
    t_next[v] = s;
    return std::fabs(s - t[v]);
  });
}

}  // namespace trustprop::kernels::cpu
