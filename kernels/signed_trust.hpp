// Signed trust and distrust propagation (Guha, Kumar, Raghavan, Tomkins,
// "Propagation of Trust and Distrust", WWW 2004; DESIGN §3), declared once
// for every backend.
//
// With T and D the positive and negative parts of W, a base matrix B (T, or
// T − D for propagated distrust) and weights α, the combined atomic
// propagation is
//   C = α₁·B + α₂·BᵀB + α₃·Bᵀ + α₄·BBᵀ   (direct, co-citation, transpose, coupling).
// The belief rows of a batch of k source agents S evolve as
//   Y₀ = E_S,   Y_j = N(Y_{j−1}·C),
// where N scales every row to unit L1 norm (a row that is all zero stays
// zero), so powers of C neither blow up nor vanish (docs/signed.md).
//
// C is never formed: Y·C = α₁·YB + α₂·(YBᵀ)B + α₃·YBᵀ + α₄·(YB)Bᵀ, four
// products of a dense block with the sparse B or Bᵀ. Blocks are stored
// agent-major (x[a·k + s] is source s's belief in agent a), so one product
// is y = M·x with M = Bᵀ (for YB) or M = B (for YBᵀ): each output row is a
// sum over one CSR row of M in the row's order, independent of every other
// row — no atomics, and the same bits on every backend and thread count.
// Products are plain double multiplications and additions (the CUDA twin
// forbids fused multiply-adds), so CPU and GPU agree bit for bit.
//
// Why this variant: the batch of sources is the unit of work (a k-column
// dense block, k ≪ n), so memory is O(nnz + n·k) and never n×n; and
// agent-major blocks make each sparse row's gather one contiguous k-vector.
#pragma once

#include <cstdint>

#include "kernels/array.hpp"

namespace trustprop::kernels {

// The weights α of the four atomic propagations.
struct SignedAlpha {
  double direct = 0.0;      // α₁: B
  double cocitation = 0.0;  // α₂: BᵀB
  double transpose = 0.0;   // α₃: Bᵀ
  double coupling = 0.0;    // α₄: BBᵀ
};

// signed_multiply: y = m·x for agent-major blocks (x is m.cols × k, y is
//   m.rows × k): y[r, s] = Σ over row r of m of value · x[column, s].
// signed_combine: x = α₁·u + α₂·(bt·v) + α₃·v + α₄·(b·u), where b holds B,
//   bt holds Bᵀ, u = bt·y (that is YB) and v = b·y (YBᵀ): one step Y·C.
// signed_normalize: scales each of the k columns of the n × k block x to
//   unit L1 norm; columns that are all zero stay zero. Column norms are
//   summed over fixed blocks of reduction_block agents, added in order.
// signed_accumulate: f[i] += scale · z[i] for i < count.
#define TRUSTPROP_SIGNED_TRUST_KERNELS(Exec)                                                                   \
  void signed_multiply(const Exec& exec, const CsrView& m, const double* x, std::int64_t k, double* y);        \
  void signed_combine(const Exec& exec, const CsrView& b, const CsrView& bt, const double* u, const double* v, \
                      std::int64_t k, const SignedAlpha& alpha, double* x);                                    \
  void signed_normalize(const Exec& exec, std::int64_t n, std::int64_t k, double* x);                          \
  void signed_accumulate(const Exec& exec, std::int64_t count, double scale, const double* z, double* f);

namespace cpu {
class CpuExecutor;
TRUSTPROP_SIGNED_TRUST_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_SIGNED_TRUST_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_SIGNED_TRUST_KERNELS

}  // namespace trustprop::kernels
