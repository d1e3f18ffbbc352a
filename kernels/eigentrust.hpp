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
#define TRUSTPROP_EIGENTRUST_KERNELS(Exec)                                                        \
  Transition build_transition(const Exec& exec, const CsrView& w);                               \
  double eigentrust_step(const Exec& exec, const CsrView& ct, const std::int32_t* dangling,      \
                         std::int64_t n_dangling, const double* pretrust, double restart,        \
                         const double* t, double* t_next);

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
