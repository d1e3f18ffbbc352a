// CUDA EigenTrust kernels (equations in kernels/eigentrust.hpp; the CPU twin
// and reference is kernels/cpu/eigentrust.cpp).
//
// build_transition: W -> Cᵀ and the dangling list, once per graph.
//   1. One warp per row of W: s_i = Σ_j max(w_ij, 0) in double (fixed-order
//      warp reduction), inv_i = 1/s_i or 0, and an integer atomic count of the
//      positive entries of each column.
//   2. Inclusive scan of the counts (CUB) -> row offsets of Cᵀ.
//   3. One warp per row of W scatters (i, float(w_ij·inv_i)) into column j's
//      segment at an atomically claimed slot (integer atomics only).
//   4. Dangling agents (inv_i == 0) by stream compaction (CUB select): ascending.
//   5. Segmented sort of every row of Cᵀ by source agent (CUB). Sources are
//      unique within a row, so the result does not depend on the order of
//      step 3 and equals the CPU's exactly in pattern; values agree within one
//      float ulp (only the order of the double row sums differs).
//   Why this and not cusparseCsr2cscEx2: csr2csc takes 32-bit row offsets,
//   and city graphs have nnz > 2^31.
//   Value-free form: step 1 also finds whether every row's positive values
//   are equal (warp min == max; an integer flag); if so, and the caller
//   allows it, Cᵀ keeps no values, source_scale_i = 1/d_i, and step 5 sorts
//   keys only.
//
// eigentrust_step: t' = (1 − a)·(Cᵀt + m·p) + a·p and ‖t' − t‖₁, per iteration.
//   A. Dangling mass m = Σ t[dangling]: blocks of reduction_block entries, the
//      last block to finish adds the block sums in block order.
//   B. Merge-path partition of Cᵀ (Merrill & Garland, SC'16): the rows and the
//      entries of Cᵀ, merged, are cut into tiles of exactly tile_items items,
//      so every thread block gets the same work whether its rows are empty,
//      short, or part of one row with millions of entries (an institution
//      everybody trusts). The partition is recomputed each call (one binary
//      search per tile, ~0.1% of an iteration) so the step keeps no state.
//   C. Fused pull kernel, one tile per block: stage cᵢ·t[source] of the
//      tile's entries in shared memory (coalesced, streaming loads for the
//      matrix so that t stays in L2; read-only path for the gather of t),
//      each thread merges step_items (9) consecutive items, a block-wide
//      reduce-by-key scan joins rows split between threads, and the rows
//      that end in the tile are finished at once: t'_j written, |t'_j − t_j|
//      summed into one partial per tile. The row that was still open at the
//      tile's end leaves its partial sum as the tile's carry.
//   D. Fix-up: a row that began in earlier tiles is finished by a warp that
//      adds those tiles' carries in tile order; then the per-tile |Δ|
//      partials are summed in tile order (last-block pattern).
//   No floating-point atomics anywhere, and every sum has a fixed shape that
//   depends only on the matrix: reruns are bitwise identical on one GPU.
//   Accumulation is in double; Cᵀ is float values and 32-bit columns, with
//   64-bit row offsets throughout.
//   With a gather vector the pull kernel gathers from it (float32 copy of t,
//   or t·source_scale for a value-free Cᵀ, whose entries then weigh 1), and
//   the kernels that write t'_j also write its copy (the CPU twin's
//   pull_step does the same, in the same order).
//
// Compulsory traffic per iteration: 8 B per entry of Cᵀ, 8 B per row offset,
// and t, t', p once each (the gather of t re-reads it when it misses L2).
#include "kernels/eigentrust.hpp"

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_sort.cuh>
#include <cub/device/device_select.cuh>
#include <cub/util_type.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <math_constants.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"

namespace trustprop::kernels::cuda {

namespace {

constexpr int warp_size = 32;
constexpr int rows_threads = 256;  // build_transition: 8 rows of W per block, one per warp

constexpr int step_threads = 256;  // pull kernel: threads per block
// Merge items (rows + entries) per thread. Odd on purpose: thread x walks
// shared memory from item 9x, a stride of 18 four-byte banks, so the 16
// threads of a half-warp hit 16 different bank pairs; with 8 they would hit
// two (8-way conflicts).
constexpr int step_items = 9;
constexpr int tile_items = step_threads * step_items;  // 2304
constexpr int reduce_threads = 256;
constexpr int fixup_warps = 8;     // fix-up kernel: one tile per warp
static_assert(fixup_warps * warp_size == reduce_threads, "sum_partials runs in the fix-up kernel's blocks too");

cudaStream_t stream_of(const CudaExecutor& exec) { return static_cast<cudaStream_t>(exec.stream()); }

template <class T>
T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

// Asks a CUB device algorithm for its temporary storage, allocates it on the
// executor (stream-ordered pool), runs the algorithm, and releases it.
template <class Algorithm>
void run_cub(const CudaExecutor& exec, const char* name, Algorithm&& algorithm) {
  std::size_t bytes = 0;
  cudaError_t status = algorithm(nullptr, bytes);
  if (status != cudaSuccess) detail::throw_cuda_error(status, name, __FILE__, __LINE__);
  Array<std::uint8_t> temp(exec.shared_from_this(), std::max<std::size_t>(bytes, 1));
  status = algorithm(temp.data(), bytes);
  if (status != cudaSuccess) detail::throw_cuda_error(status, name, __FILE__, __LINE__);
}

// Sum over the warp; every lane gets the same bits (fixed butterfly).
__device__ double warp_sum(double v) {
#pragma unroll
  for (int offset = warp_size / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Last-block pattern: after each block has written its partial, the block
// that arrives last (integer counter) sees all partials and finishes the sum.
// The order of the final sum is fixed, whichever block arrives last.
__device__ bool arrived_last(unsigned int* arrivals) {
  __shared__ bool last;
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();  // this block's partial is visible before it is counted
    last = atomicAdd(arrivals, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  return last;
}

// Sums partial[0..count) in a fixed order (one block): strided per thread,
// then CUB's block reduction. __ldcg reads through L2, where the other
// blocks' partials are.
__device__ double sum_partials(const double* partial, std::int64_t count) {
  using Reduce = cub::BlockReduce<double, reduce_threads>;
  __shared__ typename Reduce::TempStorage temp;
  double s = 0.0;
  for (std::int64_t k = threadIdx.x; k < count; k += reduce_threads) s += __ldcg(partial + k);
  return Reduce(temp).Sum(s);
}

// ---------------------------------------------------------------- build_transition

// Also: scale_i = 1/d_i when scale is given (d_i positive entries, 0 when none), and *nonuniform
// set when a row's positive values differ (warp min != max).
__global__ void __launch_bounds__(rows_threads)
    row_sums_and_column_counts(CsrView w, double* inv, double* scale, unsigned long long* column_count,
                               unsigned int* nonuniform) {
  const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / warp_size;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  if (row >= w.rows) return;  // whole warps leave together
  const std::int64_t end = w.indptr[row + 1];
  double s = 0.0;
  float lo = CUDART_INF_F, hi = 0.0f;
  int d = 0;
  for (std::int64_t k = w.indptr[row] + lane; k < end; k += warp_size) {
    const float v = w.values[k];
    if (v > 0.0f) {
      s += v;
      lo = fminf(lo, v);
      hi = fmaxf(hi, v);
      ++d;
      atomicAdd(column_count + w.indices[k] + 1, 1ull);
    }
  }
  s = warp_sum(s);
#pragma unroll
  for (int offset = warp_size / 2; offset > 0; offset /= 2) {
    lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, offset));
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, offset));
    d += __shfl_xor_sync(0xffffffffu, d, offset);
  }
  if (lane == 0) {
    inv[row] = s > 0.0 ? 1.0 / s : 0.0;
    if (scale) scale[row] = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
    if (d > 0 && lo != hi) atomicOr(nonuniform, 1u);
  }
}

__global__ void __launch_bounds__(rows_threads)
    scatter_transposed(CsrView w, const double* inv, unsigned long long* cursor, std::int32_t* ct_indices,
                       float* ct_values) {
  const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / warp_size;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  if (row >= w.rows) return;
  const double scale = inv[row];
  if (scale == 0.0) return;  // dangling: no positive entries
  const std::int64_t end = w.indptr[row + 1];
  for (std::int64_t k = w.indptr[row] + lane; k < end; k += warp_size) {
    const float v = w.values[k];
    if (v > 0.0f) {
      const auto pos = static_cast<std::int64_t>(atomicAdd(cursor + w.indices[k], 1ull));
      ct_indices[pos] = static_cast<std::int32_t>(row);
      if (ct_values) ct_values[pos] = static_cast<float>(static_cast<double>(v) * scale);
    }
  }
}

struct IsDangling {
  const double* inv;
  __device__ bool operator()(std::int32_t i) const { return inv[i] == 0.0; }
};

// ---------------------------------------------------------------- eigentrust_step

// A point on the merge path of Cᵀ: `row` rows finished, `entry` entries consumed.
struct TileCoord {
  std::int64_t row, entry;
};

// The merge path's coordinate on diagonal `diag`: the number of row ends
// (row_end(i) = indptr[i + 1]) that come before it, a row end going first
// when it equals the entry index. Binary search over the diagonal.
template <class RowEnd>
__device__ std::int64_t merge_path_rows(std::int64_t diag, std::int64_t rows, std::int64_t entries,
                                        std::int64_t entry_base, RowEnd row_end) {
  std::int64_t lo = diag > entries ? diag - entries : 0;
  std::int64_t hi = diag < rows ? diag : rows;
  while (lo < hi) {
    const std::int64_t mid = (lo + hi) / 2;
    if (row_end(mid) <= entry_base + diag - mid - 1)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

__global__ void partition_tiles(CsrView ct, std::int64_t num_tiles, TileCoord* coord) {
  const std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (tile > num_tiles) return;
  const std::int64_t diag = std::min(tile * tile_items, ct.rows + ct.nnz);
  const std::int64_t* indptr = ct.indptr;
  const std::int64_t row =
      merge_path_rows(diag, ct.rows, ct.nnz, 0, [indptr](std::int64_t i) { return indptr[i + 1]; });
  coord[tile] = {row, diag - row};
}

__global__ void __launch_bounds__(reduce_threads)
    dangling_mass(const std::int32_t* dangling, std::int64_t n_dangling, const double* t, double* block_sums,
                  unsigned int* arrivals, double* mass) {
  using Reduce = cub::BlockReduce<double, reduce_threads>;
  __shared__ typename Reduce::TempStorage temp;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * reduction_block;
  const std::int64_t end = std::min(begin + reduction_block, n_dangling);
  double s = 0.0;
  for (std::int64_t k = begin + threadIdx.x; k < end; k += reduce_threads) s += __ldg(t + __ldg(dangling + k));
  s = Reduce(temp).Sum(s);
  if (threadIdx.x == 0) block_sums[blockIdx.x] = s;
  if (!arrived_last(arrivals)) return;
  const double total = sum_partials(block_sums, gridDim.x);
  if (threadIdx.x == 0) *mass = total;
}

// Reduce-by-key over threads: carries of the same row add up, a new row starts afresh.
using RowCarry = cub::KeyValuePair<int, double>;
struct JoinCarries {
  __device__ RowCarry operator()(const RowCarry& a, const RowCarry& b) const {
    return b.key == a.key ? RowCarry(b.key, a.value + b.value) : b;
  }
};

struct StepScalars {
  double keep, restart;
  const double* dangling_mass;
};

// t'_j from y_j = (Cᵀt)_j, in the CPU reference's order of operations.
__device__ double next_trust(const StepScalars& s, double mass, double y, double p) {
  return s.keep * (y + mass * p) + s.restart * p;
}

// The copies of t' the step writes beside it (kernels::GatherVectors).
struct NextCopies {
  float* x32_next;
  double* x64_next;
  const double* source_scale;  // value-free Cᵀ: the copies hold t'_j·source_scale_j
  __device__ void write(std::int64_t row, double v) const {
    const double copy = source_scale ? v * source_scale[row] : v;
    if (x32_next) x32_next[row] = static_cast<float>(copy);
    if (x64_next) x64_next[row] = copy;
  }
};

// Gathers from `x`: t itself, or a copy the last step wrote
// (kernels/eigentrust.hpp). ValueFree: Cᵀ has no values, every entry weighs 1.
template <bool ValueFree, class Gathered>
__global__ void __launch_bounds__(step_threads)
    pull_tiles(CsrView ct, const TileCoord* coord, const double* __restrict__ t, const Gathered* __restrict__ x,
               const double* __restrict__ pretrust, StepScalars scalars, double* __restrict__ t_next,
               NextCopies copies, double* tile_carry, double* tile_head, double* tile_delta) {
  using Scan = cub::BlockScan<RowCarry, step_threads>;
  using Reduce = cub::BlockReduce<double, step_threads>;
  // Slots hold the tile's row ends and entry products while merging, then
  // the sums of the rows that end in the tile.
  union Slot {
    std::int64_t row_end;
    double value;
  };
  __shared__ Slot slots[tile_items + 1];
  __shared__ union {
    typename Scan::TempStorage scan;
    typename Reduce::TempStorage reduce;
  } temp;
  __shared__ bool first_row_deferred;

  const std::int64_t tile = blockIdx.x;
  const TileCoord begin = coord[tile], end = coord[tile + 1];
  const int rows = static_cast<int>(end.row - begin.row);  // rows that end in this tile
  const int entries = static_cast<int>(end.entry - begin.entry);
  Slot* row_end = slots;
  Slot* product = slots + rows;

  // Stage the tile: its row ends, and c·t[source] for each of its entries.
  for (int i = threadIdx.x; i < rows; i += step_threads) row_end[i].row_end = __ldcs(ct.indptr + begin.row + 1 + i);
  {
    std::int32_t source[step_items];
    float c[step_items];
#pragma unroll
    for (int it = 0; it < step_items; ++it) {
      const int j = threadIdx.x + it * step_threads;
      if (j < entries) {
        source[it] = __ldcs(ct.indices + begin.entry + j);
        if constexpr (!ValueFree) c[it] = __ldcs(ct.values + begin.entry + j);
      }
    }
#pragma unroll
    for (int it = 0; it < step_items; ++it) {
      const int j = threadIdx.x + it * step_threads;
      if (j < entries) {
        if constexpr (ValueFree)
          product[j].value = static_cast<double>(__ldg(x + source[it]));
        else
          product[j].value = static_cast<double>(c[it]) * static_cast<double>(__ldg(x + source[it]));
      }
    }
  }
  // The tile's first row began in an earlier tile: the fix-up kernel finishes it.
  if (threadIdx.x == 0) first_row_deferred = rows > 0 && begin.entry > ct.indptr[begin.row];
  __syncthreads();

  // Each thread merges step_items consecutive items of the tile.
  const int items = rows + entries;
  const int diag = min(static_cast<int>(threadIdx.x) * step_items, items);
  const int diag_end = min(diag + step_items, items);
  const int first_row = static_cast<int>(merge_path_rows(
      diag, rows, entries, begin.entry, [row_end](std::int64_t i) { return row_end[i].row_end; }));
  int i = first_row, j = diag - first_row;
  double sum = 0.0;
  double finished[step_items];  // sums of the rows this thread ends, by item
  unsigned int ends = 0;        // bit `it`: item `it` ended a row
#pragma unroll
  for (int it = 0; it < step_items; ++it) {
    if (diag + it < diag_end) {
      if (i < rows && row_end[i].row_end <= begin.entry + j) {
        finished[it] = sum;
        ends |= 1u << it;
        sum = 0.0;
        ++i;
      } else {
        sum += product[j].value;
        ++j;
      }
    }
  }
  __syncthreads();  // all row ends read: their slots now take the row sums

  int r = first_row;
#pragma unroll
  for (int it = 0; it < step_items; ++it)
    if (ends & (1u << it)) slots[r++].value = finished[it];

  // Rows split between threads: add the carries of earlier threads, in scan order.
  RowCarry carry_in, tile_open;
  Scan(temp.scan).ExclusiveScan(RowCarry(i, sum), carry_in, JoinCarries{}, tile_open);
  if (threadIdx.x > 0 && ends != 0 && carry_in.key == first_row) slots[first_row].value += carry_in.value;
  if (threadIdx.x == 0) tile_carry[tile] = tile_open.value;  // partial sum of row end.row
  __syncthreads();

  if (threadIdx.x == 0 && first_row_deferred) tile_head[tile] = slots[0].value;
  const double mass = *scalars.dangling_mass;
  double delta = 0.0;
  for (int k = (first_row_deferred ? 1 : 0) + threadIdx.x; k < rows; k += step_threads) {
    const std::int64_t row = begin.row + k;
    const double v = next_trust(scalars, mass, slots[k].value, pretrust[row]);
    t_next[row] = v;
    copies.write(row, v);
    delta += fabs(v - t[row]);
  }
  delta = Reduce(temp.reduce).Sum(delta);
  if (threadIdx.x == 0) tile_delta[tile] = delta;
}

__global__ void __launch_bounds__(fixup_warps * warp_size)
    finish_tiles(CsrView ct, std::int64_t num_tiles, const TileCoord* coord, const double* tile_carry,
                 const double* tile_head, const double* tile_delta, const double* t, const double* pretrust,
                 StepScalars scalars, double* t_next, NextCopies copies, double* block_sums, unsigned int* arrivals,
                 double* residual) {
  using Reduce = cub::BlockReduce<double, fixup_warps * warp_size>;
  __shared__ typename Reduce::TempStorage temp;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  const std::int64_t tile = static_cast<std::int64_t>(blockIdx.x) * fixup_warps + threadIdx.x / warp_size;
  double delta = 0.0;
  if (tile < num_tiles) {
    const TileCoord begin = coord[tile], end = coord[tile + 1];
    if (end.row > begin.row && begin.entry > ct.indptr[begin.row]) {
      // Row begin.row started in earlier tiles: those are the tiles whose
      // end coordinate lies in that row, a run just before this one.
      const std::int64_t row = begin.row;
      std::int64_t lo = 0, hi = tile;
      while (lo < hi) {
        const std::int64_t mid = (lo + hi) / 2;
        if (coord[mid + 1].row < row)
          lo = mid + 1;
        else
          hi = mid;
      }
      double y = 0.0;
      for (std::int64_t k = lo + lane; k < tile; k += warp_size) y += tile_carry[k];
      y = warp_sum(y) + tile_head[tile];
      const double v = next_trust(scalars, *scalars.dangling_mass, y, pretrust[row]);
      if (lane == 0) {
        t_next[row] = v;
        copies.write(row, v);
        delta = fabs(v - t[row]);
      }
    }
    if (lane == 0) delta += tile_delta[tile];
  }
  delta = Reduce(temp).Sum(delta);
  if (threadIdx.x == 0) block_sums[blockIdx.x] = delta;
  if (!arrived_last(arrivals)) return;
  const double total = sum_partials(block_sums, gridDim.x);
  if (threadIdx.x == 0) *residual = total;
}

// One allocation for every per-call buffer of a step, carved in 256-byte pieces.
class StepWorkspace {
 public:
  StepWorkspace(const CudaExecutor& exec, std::int64_t num_tiles, std::int64_t dangling_blocks,
                std::int64_t fixup_blocks) {
    const std::size_t bytes = piece<unsigned int>(2) + piece<double>(2) + piece<TileCoord>(num_tiles + 1) +
                              3 * piece<double>(num_tiles) + piece<double>(dangling_blocks) +
                              piece<double>(fixup_blocks);
    buffer_ = Array<std::uint8_t>(exec.shared_from_this(), bytes);
    next_ = buffer_.data();
    arrivals = take<unsigned int>(2);
    scalars = take<double>(2);  // [0] dangling mass, [1] residual
    coord = take<TileCoord>(num_tiles + 1);
    tile_carry = take<double>(num_tiles);
    tile_head = take<double>(num_tiles);
    tile_delta = take<double>(num_tiles);
    dangling_sums = take<double>(dangling_blocks);
    fixup_sums = take<double>(fixup_blocks);
  }
  unsigned int* arrivals;
  double* scalars;
  TileCoord* coord;
  double *tile_carry, *tile_head, *tile_delta, *dangling_sums, *fixup_sums;

 private:
  template <class T>
  static std::size_t piece(std::int64_t count) {
    return (static_cast<std::size_t>(std::max<std::int64_t>(count, 1)) * sizeof(T) + 255) / 256 * 256;
  }
  template <class T>
  T* take(std::int64_t count) {
    T* p = reinterpret_cast<T*>(next_);
    next_ += piece<T>(count);
    return p;
  }
  Array<std::uint8_t> buffer_;
  std::uint8_t* next_ = nullptr;
};

}  // namespace

// The GPU never source-blocks Cᵀ (its L2 is not what bounds the pull step):
// block_agents is the CPU's to honour, and the eigentrust form is plain here.
Transition build_transition(const CudaExecutor& exec, const CsrView& w, TransitionForm form, std::int64_t) {
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const auto ex = exec.shared_from_this();
  const std::int64_t n = w.rows;

  Transition tr;
  tr.ct.rows = tr.ct.cols = n;
  tr.ct.indptr = Array<std::int64_t>(ex, static_cast<std::size_t>(n) + 1);
  if (n == 0) {
    TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(tr.ct.indptr.data(), 0, sizeof(std::int64_t), stream));
    return tr;
  }
  std::int64_t* indptr = tr.ct.indptr.data();
  auto* counts = reinterpret_cast<unsigned long long*>(indptr);
  static_assert(sizeof(unsigned long long) == sizeof(std::int64_t));

  // 1. Row sums of the positive part, positive entries per column, uniform rows.
  Array<double> inv(ex, static_cast<std::size_t>(n));
  const bool may_drop_values = form != TransitionForm::weighted;
  Array<double> scale(ex, may_drop_values ? static_cast<std::size_t>(n) : 0);
  Array<unsigned int> nonuniform(ex, 1);
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(indptr, 0, (static_cast<std::size_t>(n) + 1) * sizeof(std::int64_t), stream));
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(nonuniform.data(), 0, sizeof(unsigned int), stream));
  const auto row_blocks = static_cast<unsigned int>(ceil_div<std::int64_t>(n, rows_threads / warp_size));
  row_sums_and_column_counts<<<row_blocks, rows_threads, 0, stream>>>(w, inv.data(), scale.data(), counts,
                                                                      nonuniform.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  unsigned int rows_differ = 0;
  exec.copy_to_host(&rows_differ, nonuniform.data(), sizeof rows_differ);
  tr.value_free = may_drop_values && rows_differ == 0;
  if (tr.value_free) tr.source_scale = std::move(scale);
  scale = Array<double>();

  // 2. Row offsets of Cᵀ.
  run_cub(exec, "cub::DeviceScan::InclusiveSum", [&](void* temp, std::size_t& bytes) {
    return cub::DeviceScan::InclusiveSum(temp, bytes, indptr, n + 1, stream);
  });
  std::int64_t nnz = 0;
  exec.copy_to_host(&nnz, indptr + n, sizeof nnz);

  // 3. Scatter into the rows of Cᵀ.
  tr.ct.indices = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  if (!tr.value_free) tr.ct.values = Array<float>(ex, static_cast<std::size_t>(nnz));
  if (nnz > 0) {
    Array<std::int64_t> cursor(ex, static_cast<std::size_t>(n));
    exec.copy(cursor.data(), indptr, static_cast<std::size_t>(n) * sizeof(std::int64_t));
    scatter_transposed<<<row_blocks, rows_threads, 0, stream>>>(
        w, inv.data(), reinterpret_cast<unsigned long long*>(cursor.data()), tr.ct.indices.data(),
        tr.ct.values.data());
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }

  // 4. Dangling agents, ascending.
  {
    Array<std::int32_t> selected(ex, static_cast<std::size_t>(n));
    Array<std::int64_t> count(ex, 1);
    run_cub(exec, "cub::DeviceSelect::If", [&](void* temp, std::size_t& bytes) {
      return cub::DeviceSelect::If(temp, bytes, thrust::counting_iterator<std::int32_t>(0), selected.data(),
                                   count.data(), n, IsDangling{inv.data()}, stream);
    });
    std::int64_t n_dangling = 0;
    exec.copy_to_host(&n_dangling, count.data(), sizeof n_dangling);
    tr.dangling = Array<std::int32_t>(ex, static_cast<std::size_t>(n_dangling));
    exec.copy(tr.dangling.data(), selected.data(), static_cast<std::size_t>(n_dangling) * sizeof(std::int32_t));
  }
  inv = Array<double>();

  // 5. Sort each row of Cᵀ by source agent.
  if (nnz > 0 && tr.value_free) {
    Array<std::int32_t> indices_alt(ex, static_cast<std::size_t>(nnz));
    cub::DoubleBuffer<std::int32_t> keys(tr.ct.indices.data(), indices_alt.data());
    run_cub(exec, "cub::DeviceSegmentedSort::SortKeys", [&](void* temp, std::size_t& bytes) {
      return cub::DeviceSegmentedSort::SortKeys(temp, bytes, keys, nnz, n, indptr, indptr + 1, stream);
    });
    if (keys.Current() != tr.ct.indices.data()) std::swap(tr.ct.indices, indices_alt);
  } else if (nnz > 0) {
    Array<std::int32_t> indices_alt(ex, static_cast<std::size_t>(nnz));
    Array<float> values_alt(ex, static_cast<std::size_t>(nnz));
    cub::DoubleBuffer<std::int32_t> keys(tr.ct.indices.data(), indices_alt.data());
    cub::DoubleBuffer<float> values(tr.ct.values.data(), values_alt.data());
    run_cub(exec, "cub::DeviceSegmentedSort::SortPairs", [&](void* temp, std::size_t& bytes) {
      return cub::DeviceSegmentedSort::SortPairs(temp, bytes, keys, values, nnz, n, indptr, indptr + 1, stream);
    });
    if (keys.Current() != tr.ct.indices.data()) std::swap(tr.ct.indices, indices_alt);
    if (values.Current() != tr.ct.values.data()) std::swap(tr.ct.values, values_alt);
  }
  return tr;
}

// The GPU's step reads a plain CSR Cᵀ (its merge-path tiles balance long
// and short rows alike): nothing to rearrange.
void to_eigentrust_layout(const CudaExecutor&, Transition&) {}

double eigentrust_step(const CudaExecutor& exec, const CsrView& ct, const std::int32_t* dangling,
                       std::int64_t n_dangling, const double* pretrust, double restart, const double* t,
                       double* t_next, const GatherVectors& g, std::int64_t first_row) {
  const std::int64_t n = ct.rows;
  if (n == 0) return 0.0;
  const bool value_free = g.source_scale != nullptr;
  TRUSTPROP_ASSERT(ct.nnz == 0 || value_free == (ct.values == nullptr),
                   "eigentrust_step: source_scale must be given exactly for a value-free Cᵀ");
  TRUSTPROP_ASSERT(!value_free || g.x32 || g.x64, "eigentrust_step: a value-free Cᵀ gathers from x32 or x64");
  TRUSTPROP_ASSERT(value_free || (!g.x64 && !g.x64_next), "eigentrust_step: x64 is for a value-free Cᵀ");
  TRUSTPROP_ASSERT(g.blocks.width == 0 && g.sell.chunks == 0,
                   "eigentrust_step: the GPU reads a plain Cᵀ (its build_transition never blocks it or builds SELL-8)");
  TRUSTPROP_ASSERT(first_row >= 0 && first_row + n <= ct.cols, "eigentrust_step: rows outside the matrix");
  // The kernels index t (for the residual), p, t_next and the copies by row
  // of Cᵀ: start them at its first row. The dangling mass and the gather
  // read the whole vectors.
  const auto from_first_row = [first_row](auto* v) { return v ? v + first_row : v; };
  const double* t_rows = from_first_row(t);
  pretrust = from_first_row(pretrust);
  t_next = from_first_row(t_next);
  const NextCopies copies{from_first_row(g.x32_next), from_first_row(g.x64_next), from_first_row(g.source_scale)};
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);

  const std::int64_t num_tiles = ceil_div<std::int64_t>(n + ct.nnz, tile_items);
  const std::int64_t dangling_blocks = ceil_div<std::int64_t>(n_dangling, reduction_block);
  const std::int64_t fixup_blocks = ceil_div<std::int64_t>(num_tiles, fixup_warps);
  StepWorkspace ws(exec, num_tiles, dangling_blocks, fixup_blocks);
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(ws.arrivals, 0, 2 * sizeof(unsigned int), stream));
  const StepScalars scalars{1.0 - restart, restart, ws.scalars};

  if (n_dangling > 0) {
    dangling_mass<<<static_cast<unsigned int>(dangling_blocks), reduce_threads, 0, stream>>>(
        dangling, n_dangling, t, ws.dangling_sums, ws.arrivals, ws.scalars);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  } else {
    TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(ws.scalars, 0, sizeof(double), stream));
  }

  constexpr int partition_threads = 256;
  partition_tiles<<<static_cast<unsigned int>(ceil_div<std::int64_t>(num_tiles + 1, partition_threads)),
                    partition_threads, 0, stream>>>(ct, num_tiles, ws.coord);
  TRUSTPROP_CUDA_CHECK_LAUNCH();

  const auto pull_blocks = static_cast<unsigned int>(num_tiles);
  auto pull = [&](auto kernel, const auto* x) {
    kernel<<<pull_blocks, step_threads, 0, stream>>>(ct, ws.coord, t_rows, x, pretrust, scalars, t_next, copies,
                                                    ws.tile_carry, ws.tile_head, ws.tile_delta);
  };
  if (value_free && g.x32)
    pull(pull_tiles<true, float>, g.x32);
  else if (value_free)
    pull(pull_tiles<true, double>, g.x64);
  else if (g.x32)
    pull(pull_tiles<false, float>, g.x32);
  else
    pull(pull_tiles<false, double>, t);
  TRUSTPROP_CUDA_CHECK_LAUNCH();

  finish_tiles<<<static_cast<unsigned int>(fixup_blocks), fixup_warps * warp_size, 0, stream>>>(
      ct, num_tiles, ws.coord, ws.tile_carry, ws.tile_head, ws.tile_delta, t_rows, pretrust, scalars, t_next,
      copies, ws.fixup_sums, ws.arrivals + 1, ws.scalars + 1);
  TRUSTPROP_CUDA_CHECK_LAUNCH();

  double residual = 0.0;
  exec.copy_to_host(&residual, ws.scalars + 1, sizeof residual);
  return residual;
}

}  // namespace trustprop::kernels::cuda
