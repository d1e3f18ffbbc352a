// Fairness–goodness kernels (Kumar, Spezzano, Subrahmanian, Faloutsos,
// ICDM 2016), declared once for every backend. For a signed weighted graph
// with w in [−1, 1]:
//   g(v) = (1/|in(v)|)  Σ_{u∈in(v)}  f(u)·w(u,v)
//   f(u) = 1 − (1/(2|out(u)|)) Σ_{v∈out(u)} |w(u,v) − g(v)|
// Each update reads only the other vector, so updating in place is the same
// as the authors' node-by-node loop. An agent nobody rates keeps its
// goodness; one who rates nobody keeps its fairness. Weights are float64
// here (the authors' precision): the driver converts the file's float32.
// Each step returns Σ|Δ| of the vector it updated, summed over fixed blocks
// (kernels/reduction.hpp) so the result is reproducible bit for bit.
#pragma once

#include <cstdint>

#include "kernels/array.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels {

// A CSR pattern with float64 values, for the two directions of the graph.
struct CsrView64 {
  std::int64_t rows = 0, cols = 0, nnz = 0;
  const std::int64_t* indptr = nullptr;
  const std::int32_t* indices = nullptr;
  const double* values = nullptr;
};

// fg_goodness_step: `in` has one row per rated agent v listing (u, w(u,v));
//   g[v] <- mean of f[u]·w over the row (rows without entries keep g[v]).
// fg_fairness_step: `out` has one row per rater u listing (v, w(u,v));
//   f[u] <- 1 − mean |w − g[v]| / 2 (rows without entries keep f[u]).
#define TRUSTPROP_FAIRNESS_GOODNESS_KERNELS(Exec)                                          \
  double fg_goodness_step(const Exec& exec, const CsrView64& in, const double* f, double* g); \
  double fg_fairness_step(const Exec& exec, const CsrView64& out, const double* g, double* f);

namespace cpu {
class CpuExecutor;
TRUSTPROP_FAIRNESS_GOODNESS_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_FAIRNESS_GOODNESS_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_FAIRNESS_GOODNESS_KERNELS

}  // namespace trustprop::kernels
