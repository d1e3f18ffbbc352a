// EigenTrust kernels (DESIGN §3), declared once for every backend.
//
// With s_ij = max(w_ij, 0) and c_ij = s_ij / Σ_j s_ij, one iteration is
//   t' = (1 − a)·(Cᵀt + m·p) + a·p,   m = Σ_{i dangling} t_i,
// where dangling rows have no positive trust and p is the pre-trust
// distribution. The kernels work on Cᵀ stored as CSR ("pull" direction):
// row j of Cᵀ lists the agents i that trust j with their c_ij, so each
// output entry is one independent dot product — no atomics, and the result
// does not depend on the thread count or the GPU's scheduling.
//
// Reductions (dangling mass, residual) are summed over fixed blocks of
// `reduction_block` entries whose partial sums are then added in block
// order: the same bits on every run and every thread count.
#pragma once

#include <cstdint>

#include "kernels/array.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels {

// The transition matrix Cᵀ and the dangling agents of a trust matrix W.
struct Transition {
  CsrMatrix ct;                       // n x n, row j = agents trusting j
  Array<std::int32_t> dangling;       // agents with no positive out-trust, ascending
};

// build_transition: W (on the executor) -> Cᵀ and the dangling list.
// eigentrust_step: one iteration from t to t_next; returns ‖t_next − t‖₁.
//   Precision: the matrix is float32, accumulation and t are double. With
//   t_gather (a float32 copy of t) the product Cᵀt gathers from it instead of
//   from t, and the step writes float32(t_next) to t_next_gather in the same
//   pass: the random reads of the SpMV move half the bytes and the gathered
//   vector takes half the cache (the reduced-precision lever of DESIGN §8).
//   The fixed point moves by about float32 rounding (≈1e-9 in L1 on the
//   benchmark graphs; docs/benchmarks.md); residual, dangling mass and the
//   update itself stay double. Both null: the all-double reference.
#define TRUSTPROP_EIGENTRUST_KERNELS(Exec)                                                        \
  Transition build_transition(const Exec& exec, const CsrView& w);                               \
  double eigentrust_step(const Exec& exec, const CsrView& ct, const std::int32_t* dangling,      \
                         std::int64_t n_dangling, const double* pretrust, double restart,        \
                         const double* t, double* t_next, const float* t_gather = nullptr,       \
                         float* t_next_gather = nullptr);

namespace cpu {
class CpuExecutor;
TRUSTPROP_EIGENTRUST_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_EIGENTRUST_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_EIGENTRUST_KERNELS

}  // namespace trustprop::kernels
