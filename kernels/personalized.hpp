// Personalized trust, batched (DESIGN §3), declared once for every backend.
//
// k seed distributions p_0 … p_{k−1} (p_c uniform over the seed set S_c) are
// propagated together: column c of the n × k block T follows EigenTrust's
// iteration with the pre-trust p replaced by p_c,
//   T'[:, c] = (1 − a)·(Cᵀ T[:, c] + m_c·p_c) + a·p_c,   m_c = Σ_{i dangling} T[i, c],
// one pass over Cᵀ for all k columns (an SpMM) instead of k passes (k SpMVs).
// Cᵀ and the dangling list are kernels::Transition from build_transition,
// shared with EigenTrust.
//
// Layout: T is agent-major, row-major n × k: agent j's k values lie together
// at T[j·k … j·k + k). Each entry (j, i, c_ij) of Cᵀ then reads one contiguous
// k-wide row T[i, :] — on the CPU whole cache lines instead of k scattered
// 8-byte reads, on the GPU one coalesced load by k lanes — and the matrix is
// read once per iteration for all k columns. (Column-major would make every
// entry k gathers from k places, i.e. k SpMVs that happen to share a loop.)
//
// The seed distributions are the sparse n × k matrix P in the same
// orientation: Σ|S_c| entries (agent, column, 1/|S_c|) sorted by agent then
// column, plus a bitmap of the agents that seed any column, so a row finds its
// seed weights by one bit test and, for the few seeded rows, a binary search.
// Memory: 16 bytes per seed instead of a dense 8·n·k.
//
// Columns converge at different iterations. A column whose `active` flag is 0
// is copied through unchanged (its change is 0): each column stops exactly
// where its own single-seed EigenTrust run stops.
//
// Determinism: per column, the dangling mass and ‖T'[:, c] − T[:, c]‖₁ are
// summed over fixed blocks of reduction_block terms whose sums are added in
// block order, and every dot product runs over its row of Cᵀ in a fixed
// order. On the CPU each column therefore equals the single-seed
// eigentrust_step bit for bit (the same operations in the same order), for
// any thread count; reruns on one GPU are bitwise identical.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/array.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels {

// P, the k seed distributions, in executor memory.
struct SeedMatrixView {
  std::int64_t entries = 0;              // Σ_c |S_c|
  const std::int32_t* agent = nullptr;   // ascending; equal agents by ascending column
  const std::int32_t* column = nullptr;  // 0 .. k−1
  const double* weight = nullptr;        // p_c[agent] = 1 / |S_c|
  const std::uint32_t* seeded = nullptr; // bitmap of (n + 31) / 32 words: bit j set when agent j seeds any column
};

// personalized_start: T = P (t holds n·k doubles, agent-major).
// personalized_step: one iteration from t to t_next (both n·k, agent-major)
//   for the columns whose active[c] (k flags in executor memory) is 1;
//   inactive columns are copied. Returns ‖T'[:, c] − T[:, c]‖₁ per column
//   (0 for inactive ones), on the host.
#define TRUSTPROP_PERSONALIZED_KERNELS(Exec)                                                                  \
  void personalized_start(const Exec& exec, std::int64_t n, std::int64_t k, const SeedMatrixView& seeds,     \
                          double* t);                                                                         \
  std::vector<double> personalized_step(const Exec& exec, const CsrView& ct, const std::int32_t* dangling,  \
                                        std::int64_t n_dangling, const SeedMatrixView& seeds, std::int64_t k, \
                                        const std::uint8_t* active, double restart, const double* t,          \
                                        double* t_next);

namespace cpu {
class CpuExecutor;
TRUSTPROP_PERSONALIZED_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_PERSONALIZED_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_PERSONALIZED_KERNELS

}  // namespace trustprop::kernels
