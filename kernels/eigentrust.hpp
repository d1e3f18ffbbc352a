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
//
// Value-free form (the "edge values folded into vector scaling" lever of
// DESIGN §8): when every row of W gives its positive trust in equal shares
// (an unweighted graph: R-MAT, Epinions, Wiki-Vote), c_ij = 1/d_i depends on
// the truster i alone (d_i: i's positive ties). Cᵀ then keeps no values,
// source_scale[i] = 1/d_i (0 for dangling agents), and a step gathers from
// x_i = t_i·source_scale_i: the SpMV streams 4 bytes per entry instead of 8.
struct Transition {
  CsrMatrix ct;                       // n x n, row j = agents trusting j; no values when value_free
  Array<std::int32_t> dangling;       // agents with no positive out-trust, ascending
  bool value_free = false;
  Array<double> source_scale;         // n entries when value_free, else empty
  // Source blocks (CPU, eigentrust form; see SourceBlocks): 0 when Cᵀ is
  // plain CSR, else the sources per block. Blocked, ct.indptr is empty: its
  // entries are ordered by (block, row, source) and block_indptr holds, for
  // each block b, n + 1 offsets into them: row j's sources in block b are
  // entries [block_indptr[b·(n+1) + j], block_indptr[b·(n+1) + j + 1]).
  std::int64_t block_width = 0;
  Array<std::uint32_t> block_indptr;
  // SELL-8 chunks (CPU, eigentrust form; see SellChunks): empty when Cᵀ is
  // CSR, else 8 lanes per chunk, each lane one row of Cᵀ (or padding), and
  // ct.indptr empty: ct.indices / ct.values hold the chunks' entries, lane
  // by lane interleaved (entry p of lane l of chunk c at
  // sell_offsets[c] + 8·p + l; padding entries are index 0, value 0).
  Array<std::int64_t> sell_offsets;  // chunks + 1 entry offsets
  Array<std::int32_t> sell_rows;     // 8 per chunk: the row of Cᵀ of each lane, -1 for padding
  Array<std::int32_t> sell_lengths;  // 8 per chunk: that row's entries, non-increasing
};

enum class TransitionForm {
  weighted,               // plain CSR with values (what SpMM-based models need)
  value_free_if_uniform,  // plain CSR, without values when every row of W is uniform
  eigentrust              // value-free if uniform, and source-blocked where the backend
                          // gains from it: the form only eigentrust_step reads
};

// Cache blocking of Cᵀ on the CPU (Transition::block_width). On a graph
// whose gathered vector x outgrows the cores' caches (a city of millions:
// 8 MB of float32 for 2M agents), the gathers of a plain pull SpMV miss to
// L3 or memory and bound the step. Blocked, Cᵀ is split by source agent
// into blocks of `width` sources; the step runs one pass per block, each
// reading only its 2 MB of x, and adds each row's block sums in block order
// (deterministic for any thread count; the bits differ from the plain
// layout's by the order of the sum only). The n + 1 offsets per block cost
// 4·n bytes each: the CPU keeps them below half a byte per edge, with fewer,
// larger blocks if need be (kernels/cpu/source_blocks.hpp).
struct SourceBlocks {
  std::int64_t width = 0;                 // 0: Cᵀ is plain CSR
  const std::uint32_t* indptr = nullptr;  // Transition::block_indptr
};

// SELL-8 rows of Cᵀ on the CPU (Kreutzer et al. 2014, SELL-C-σ with C = 8
// and σ = n). The rows are sorted by length, longest first, and cut into
// chunks of 8; a chunk stores its rows' entries interleaved, so that one
// SIMD step handles entry p of 8 rows at once: 8 indices and 8 values in
// one load each, the 8 x_i in one gather, 8 double sums in one register.
// Each row's sum still runs over its entries in CSR order, so the result
// is bitwise the plain CSR step's, with AVX-512, AVX2 or scalar code alike.
// The scalar CSR loop is bound by instructions per entry (docs/benchmarks.md):
// this is its vectorised form. Sorted globally, padding stays within 8
// entries per row of the longest (about 1-2 % on the benchmark graphs);
// a graph whose padding would exceed a quarter of its ties keeps CSR.
struct SellChunks {
  std::int64_t chunks = 0;                // 0: not SELL
  const std::int64_t* offsets = nullptr;  // Transition::sell_offsets
  const std::int32_t* rows = nullptr;     // Transition::sell_rows
  const std::int32_t* lengths = nullptr;  // Transition::sell_lengths
};

// What the product Cᵀt gathers from, beside t itself, and the copies of
// t_next the step writes for the next step. All null: gather from t (a
// weighted Cᵀ only). x32: a float32 copy of t, or of t·source_scale for a
// value-free Cᵀ. x64: t·source_scale in double (value-free Cᵀ only).
// Whichever of x32_next / x64_next is given receives the same kind of copy
// of t_next, written in the same pass.
struct GatherVectors {
  const float* x32 = nullptr;
  float* x32_next = nullptr;
  const double* x64 = nullptr;
  double* x64_next = nullptr;
  const double* source_scale = nullptr;  // Transition::source_scale when value_free, else null
  SourceBlocks blocks;                    // Transition's block_width and block_indptr (CPU only)
  SellChunks sell;                        // Transition's sell_* arrays (CPU only)
};

// The CPU layout arguments of a Transition, for GatherVectors.
inline SourceBlocks source_blocks(const Transition& tr) { return {tr.block_width, tr.block_indptr.data()}; }
// The SELL-8 view of lane arrays (empty arrays: no chunks), wherever they
// are kept: a Transition, the dynamics' InPattern, kernels::cpu::SellLanes.
inline SellChunks sell_chunks(const Array<std::int64_t>& offsets, const Array<std::int32_t>& rows,
                              const Array<std::int32_t>& lengths) {
  return {static_cast<std::int64_t>(rows.size() / 8), offsets.data(), rows.data(), lengths.data()};
}
inline SellChunks sell_chunks(const Transition& tr) {
  return sell_chunks(tr.sell_offsets, tr.sell_rows, tr.sell_lengths);
}

// build_transition: W (on the executor) -> Cᵀ and the dangling list; in
//   value_free_if_uniform and eigentrust form without values when W allows
//   it (a backend may always keep them: callers look at Transition::value_free).
//   eigentrust form: block_agents sources per block of a source-blocked Cᵀ,
//   0 for the backend's choice; a width of n or more keeps Cᵀ unblocked.
//   The GPU always builds plain CSR. The CPU builds SELL-8 chunks
//   (SellChunks) unless blocks are asked for, preferred for the graph's
//   size, or SELL would pad too much (kernels/cpu/source_blocks.hpp).
// eigentrust_step: one iteration from t to t_next; returns ‖t_next − t‖₁.
//   Precision: the matrix is float32, accumulation and t are double. With a
//   float32 gather vector the random reads of the SpMV move half the bytes
//   and the gathered vector takes half the cache (the reduced-precision
//   lever of DESIGN §8). The fixed point moves by about float32 rounding
//   (≈1e-9 in L1 on the benchmark graphs; docs/benchmarks.md); residual,
//   dangling mass and the update itself stay double. No gather vectors on a
//   weighted Cᵀ: the all-double reference. A source-blocked Cᵀ (gather.blocks
//   set, ct without indptr) is read one block per pass; a SELL-8 one
//   (gather.sell set) chunk by chunk, with the widest SIMD the CPU has.
// to_eigentrust_layout: a plain CSR Cᵀ (a distributed run's share of
//   rows, host/transition_share.hpp) rearranged in place into the layout
//   the backend's eigentrust_step reads fastest, with the same sums: SELL-8
//   on the CPU unless it would pad too much; the GPU keeps CSR.
//   first_row: Cᵀ holds only rows [first_row, first_row + ct.rows) of the
//   whole n-row matrix (one process's share in a distributed run, DESIGN
//   §7; its columns are still every agent): the step writes those entries
//   of t_next and of the copies and returns their part of ‖t_next − t‖₁.
//   t, pretrust, the gathered vectors and the dangling list stay whole.
#define TRUSTPROP_EIGENTRUST_KERNELS(Exec)                                                        \
  Transition build_transition(const Exec& exec, const CsrView& w,                                \
                              TransitionForm form = TransitionForm::weighted,                     \
                              std::int64_t block_agents = 0);                                     \
  double eigentrust_step(const Exec& exec, const CsrView& ct, const std::int32_t* dangling,      \
                         std::int64_t n_dangling, const double* pretrust, double restart,        \
                         const double* t, double* t_next, const GatherVectors& gather = {},     \
                         std::int64_t first_row = 0);                                              \
  void to_eigentrust_layout(const Exec& exec, Transition& tr);

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
