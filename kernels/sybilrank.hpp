// SybilRank kernels (Cao, Sirivianos, Yang, Pregueiro, "Aiding the Detection
// of Fake Accounts in Large Scale Social Online Services", NSDI 2012),
// declared once for every backend.
//
// On an undirected graph with neighbour sets N(v) and degrees deg(v), trust
// spreads by an early-terminated power iteration:
//   t'(v) = Σ_{u∈N(v)} t(u) / deg(u),
// and agents are ranked by their degree-normalised trust t(v) / deg(v).
// The step is a pull over the symmetric pattern: q = t / deg first (one
// division per agent, which is also the ranking score), then t'(v) = Σ q(u)
// over v's row, one independent sum per agent — no atomics. The step's
// ‖t' − t‖₁ is summed over fixed blocks (kernels/reduction.hpp), so reruns
// are bitwise identical.
//
// Why this variant: the pattern is stored once (its rows serve as both
// N(v) and deg(v) = row length), without values, so a step reads 4 bytes
// per tie; the walk is unweighted, as in the paper.
#pragma once

#include <cstdint>

#include "kernels/array.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels {

// A symmetric CSR pattern: row v lists N(v), columns ascending; every row
// has at least one entry (an agent without neighbours carries a self-loop).
struct PatternView {
  std::int64_t rows = 0, nnz = 0;
  const std::int64_t* indptr = nullptr;
  const std::int32_t* indices = nullptr;
};

// sybilrank_degree_normalize: q[v] = t[v] / deg(v).
// sybilrank_step: t_next[v] = Σ_{u∈N(v)} q[u]; returns Σ_v |t_next[v] − t[v]|.
#define TRUSTPROP_SYBILRANK_KERNELS(Exec)                                                             \
  void sybilrank_degree_normalize(const Exec& exec, const PatternView& g, const double* t, double* q); \
  double sybilrank_step(const Exec& exec, const PatternView& g, const double* q, const double* t, double* t_next);

namespace cpu {
class CpuExecutor;
TRUSTPROP_SYBILRANK_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_SYBILRANK_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_SYBILRANK_KERNELS

}  // namespace trustprop::kernels
