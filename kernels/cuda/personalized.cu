// CUDA batched personalized trust (equations and layout in
// kernels/personalized.hpp; the CPU twin and reference is
// kernels/cpu/personalized.cpp).
//
// Lanes over columns. T is agent-major, so the k values an entry (j, i, c_ij)
// of Cᵀ needs, T[i, 0..k), are adjacent: a warp splits into `columns` lanes
// over adjacent columns (k rounded up to a power of two, at most 32) times
// 32 / columns groups over the row's entries. Each group loads one entry and
// its lanes read T[i, col0 .. col0 + columns) in one coalesced access; the
// groups' partial sums are joined by a fixed shuffle butterfly. For k > 32
// the warp makes ⌈k/32⌉ passes of 32 columns. For k = 1 this is the familiar
// warp-per-row SpMV.
//
// One iteration, all on the executor's stream:
//   A. dangling mass m_c: per-column sums over fixed blocks of
//      reduction_block dangling agents (column_partials), then the block sums
//      of each column in block order (sum_partials).
//   B. long rows (more than short_row entries): Cᵀ's entry array is cut into
//      chunks of chunk_entries, one thread block each (pull_long_rows). A long
//      row that lies inside one chunk is finished there; a row that crosses
//      chunk boundaries leaves its part of each chunk as that chunk's `tail`
//      (the row starts in the chunk) or `head` (it started before). A chunk
//      meets at most chunk_entries / (short_row + 1) + 2 long rows. This keeps
//      an institution trusted by millions from serialising on one warp.
//   C. every other row, one warp each (pull_rows): short rows are summed
//      directly; a row that crosses chunks adds its tail and heads in chunk
//      order. Both B and C finish a row with eigentrust_step's expression,
//      the seed weight found by a bit test and, for seeded rows, a binary
//      search of the seed matrix; inactive columns are copied.
//   D. per-column ‖ΔT‖₁: the same per-column block sums as A over |T' − T|.
// No floating-point atomics; every sum has a shape fixed by the matrix and k
// (the only atomic, an integer slot counter in B, orders nothing that is
// summed): reruns on one GPU are bitwise identical. Accumulation in double;
// the results differ from the CPU's only by summation order and fused
// multiply-adds.
//
// Traffic per iteration: Cᵀ once (8 B per entry, 8 B per row) plus the
// gather of 8·k B per entry, T and T' once each (16 B per agent per column),
// and T and T' again for D.
#include "kernels/personalized.hpp"

#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"

namespace trustprop::kernels::cuda {

namespace {

constexpr int warp_size = 32;
constexpr int threads = 256;
constexpr int warps = threads / warp_size;
constexpr std::int64_t short_row = 512;        // rows up to this many entries: one warp
constexpr std::int64_t chunk_entries = 4096;   // longer rows: chunks of Cᵀ's entries, one block each
constexpr int max_long_rows = 16;              // long rows a chunk can meet, with room to spare
static_assert(chunk_entries / (short_row + 1) + 2 <= max_long_rows, "a chunk meets at most this many long rows");
constexpr unsigned int max_grid_y = 65535;

cudaStream_t stream_of(const CudaExecutor& exec) { return static_cast<cudaStream_t>(exec.stream()); }

template <class T>
T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

// Lanes of a warp over adjacent columns for k columns: k rounded up to a
// power of two, at most a warp.
__host__ __device__ int column_lanes(std::int64_t k) {
  int lanes = 1;
  while (lanes < warp_size && lanes < k) lanes *= 2;
  return lanes;
}

// Σ c_q·T[source_q, column] over the entries q = begin + slot, begin + slot +
// slots, … < end (0 for a column ≥ k). Every lane of the warp must call it.
__device__ double gather(const CsrView& ct, std::int64_t begin, std::int64_t end, int slot, int slots,
                         const double* __restrict__ t, std::int64_t k, std::int64_t column) {
  double y = 0.0;
  if (column < k) {
#pragma unroll 4
    for (std::int64_t q = begin + slot; q < end; q += slots)
      y += static_cast<double>(__ldg(ct.values + q)) * __ldg(t + static_cast<std::int64_t>(__ldg(ct.indices + q)) * k + column);
  }
  return y;
}

// Joins the partial sums of the lanes that share a column (lane, lane ^
// columns, …): a fixed butterfly, so every one of them gets the same bits.
__device__ double join_groups(double y, int columns) {
  for (int offset = warp_size / 2; offset >= columns; offset /= 2) y += __shfl_xor_sync(0xffffffffu, y, offset);
  return y;
}

// The row j of Cᵀ that holds entry `entry` (indptr[j] <= entry < indptr[j + 1]).
__device__ std::int64_t row_of_entry(const CsrView& ct, std::int64_t entry) {
  std::int64_t lo = 0, hi = ct.rows - 1;
  while (lo < hi) {
    const std::int64_t mid = (lo + hi + 1) / 2;
    if (ct.indptr[mid] <= entry)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// p_column[row]: a bit test, then a binary search of (row, column) among the seeds.
__device__ double seed_weight(const SeedMatrixView& s, std::int64_t row, std::int64_t column) {
  if (!((s.seeded[row / 32] >> (row % 32)) & 1u)) return 0.0;
  std::int64_t lo = 0, hi = s.entries;
  while (lo < hi) {
    const std::int64_t mid = (lo + hi) / 2;
    if (s.agent[mid] < row || (s.agent[mid] == row && s.column[mid] < column))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s.entries && s.agent[lo] == row && s.column[lo] == column ? s.weight[lo] : 0.0;
}

struct StepArgs {
  CsrView ct;
  SeedMatrixView seeds;
  std::int64_t k;
  const std::uint8_t* active;
  double keep, restart;  // 1 − a, a
  const double* mass;    // m_c, k values
  const double* t;
  double* t_next;
  double* head;          // per chunk, k values: the part of the row that started before the chunk
  double* tail;          // per chunk, k values: the part of the row that starts in it and goes on
};

// T'[row, column] from y = (Cᵀ T)[row, column], in eigentrust_step's order of operations.
__device__ void finish(const StepArgs& a, std::int64_t row, std::int64_t column, double y) {
  const std::int64_t at = row * a.k + column;
  if (!a.active[column]) {
    a.t_next[at] = a.t[at];
    return;
  }
  const double p = seed_weight(a.seeds, row, column);
  a.t_next[at] = a.keep * (y + a.mass[column] * p) + a.restart * p;
}

// ---------------------------------------------------------------- per-column sums

// partial[b·k + c] = Σ term(i, c) over the items i of block b (reduction_block
// items), for the columns of blockIdx.y's column chunks: `columns` lanes over
// columns times threads / columns lanes over items, joined in lane order.
template <class Term>
__global__ void __launch_bounds__(threads)
    column_partials(std::int64_t items, std::int64_t k, Term term, double* partial) {
  __shared__ double sums[threads];
  const int columns = column_lanes(k);
  const int item_lanes = threads / columns;
  const int item_lane = static_cast<int>(threadIdx.x) / columns;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * reduction_block;
  const std::int64_t end = min(begin + reduction_block, items);
  for (std::int64_t col0 = static_cast<std::int64_t>(blockIdx.y) * columns; col0 < k;
       col0 += static_cast<std::int64_t>(gridDim.y) * columns) {
    const std::int64_t column = col0 + threadIdx.x % columns;
    double s = 0.0;
    if (column < k)
      for (std::int64_t i = begin + item_lane; i < end; i += item_lanes) s += term(i, column);
    sums[threadIdx.x] = s;
    __syncthreads();
    if (item_lane == 0 && column < k) {
      double total = 0.0;
      for (int r = 0; r < item_lanes; ++r) total += sums[r * columns + threadIdx.x];
      partial[static_cast<std::int64_t>(blockIdx.x) * k + column] = total;
    }
    __syncthreads();
  }
}

// out[c] = Σ_b partial[b·k + c], one block per column, in a fixed order.
__global__ void __launch_bounds__(threads)
    sum_partials(const double* partial, std::int64_t blocks, std::int64_t k, double* out) {
  using Reduce = cub::BlockReduce<double, threads>;
  __shared__ typename Reduce::TempStorage temp;
  for (std::int64_t column = blockIdx.x; column < k; column += gridDim.x) {
    double s = 0.0;
    for (std::int64_t b = threadIdx.x; b < blocks; b += threads) s += partial[b * k + column];
    s = Reduce(temp).Sum(s);
    if (threadIdx.x == 0) out[column] = s;
    __syncthreads();  // temp is reused by the next column
  }
}

struct DanglingTerm {
  const std::int32_t* dangling;
  const double* t;
  std::int64_t k;
  __device__ double operator()(std::int64_t i, std::int64_t column) const {
    return t[static_cast<std::int64_t>(dangling[i]) * k + column];
  }
};

struct ChangeTerm {
  const double* t;
  const double* t_next;
  std::int64_t k;
  __device__ double operator()(std::int64_t i, std::int64_t column) const {
    return fabs(t_next[i * k + column] - t[i * k + column]);
  }
};

// ---------------------------------------------------------------- rows of Cᵀ

__global__ void __launch_bounds__(threads) pull_long_rows(StepArgs a) {
  __shared__ std::int64_t long_rows[max_long_rows];
  __shared__ int long_count;
  __shared__ double warp_sums[warps][warp_size];
  const std::int64_t chunk = blockIdx.x;
  const std::int64_t chunk_begin = chunk * chunk_entries;
  const std::int64_t chunk_end = min(chunk_begin + chunk_entries, a.ct.nnz);
  const std::int64_t first = row_of_entry(a.ct, chunk_begin), last = row_of_entry(a.ct, chunk_end - 1);

  // The long rows that meet this chunk (their order here does not matter:
  // each one's sum has the same shape whoever computes it).
  if (threadIdx.x == 0) long_count = 0;
  __syncthreads();
  for (std::int64_t r = first + threadIdx.x; r <= last; r += threads)
    if (a.ct.indptr[r + 1] - a.ct.indptr[r] > short_row) long_rows[atomicAdd(&long_count, 1)] = r;
  __syncthreads();
  const int count = long_count;

  const int lane = static_cast<int>(threadIdx.x % warp_size), warp = static_cast<int>(threadIdx.x / warp_size);
  const int columns = column_lanes(a.k), groups = warp_size / columns, group = lane / columns;
  for (int l = 0; l < count; ++l) {
    const std::int64_t row = long_rows[l];
    const std::int64_t row_begin = a.ct.indptr[row], row_end = a.ct.indptr[row + 1];
    const std::int64_t begin = max(row_begin, chunk_begin), end = min(row_end, chunk_end);
    for (std::int64_t col0 = 0; col0 < a.k; col0 += columns) {
      const std::int64_t column = col0 + lane % columns;
      const double y = join_groups(gather(a.ct, begin, end, warp * groups + group, warps * groups, a.t, a.k, column),
                                   columns);
      if (group == 0) warp_sums[warp][lane] = y;
      __syncthreads();
      if (warp == 0 && group == 0 && column < a.k) {
        double total = 0.0;
        for (int w = 0; w < warps; ++w) total += warp_sums[w][lane];
        if (row_begin >= chunk_begin && row_end <= chunk_end)
          finish(a, row, column, total);
        else if (row_begin < chunk_begin)
          a.head[chunk * a.k + column] = total;
        else
          a.tail[chunk * a.k + column] = total;
      }
      __syncthreads();
    }
  }
}

__global__ void __launch_bounds__(threads) pull_rows(StepArgs a) {
  const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * threads + threadIdx.x) / warp_size;
  if (row >= a.ct.rows) return;  // whole warps leave together
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  const int columns = column_lanes(a.k), groups = warp_size / columns, group = lane / columns;
  const std::int64_t begin = a.ct.indptr[row], end = a.ct.indptr[row + 1];
  const bool long_row = end - begin > short_row;
  const std::int64_t first_chunk = begin / chunk_entries, last_chunk = long_row ? (end - 1) / chunk_entries : 0;
  if (long_row && first_chunk == last_chunk) return;  // finished by pull_long_rows
  for (std::int64_t col0 = 0; col0 < a.k; col0 += columns) {
    const std::int64_t column = col0 + lane % columns;
    double y = 0.0;
    if (!long_row) {
      y = join_groups(gather(a.ct, begin, end, group, groups, a.t, a.k, column), columns);
    } else if (group == 0 && column < a.k) {
      y = a.tail[first_chunk * a.k + column];
      for (std::int64_t q = first_chunk + 1; q <= last_chunk; ++q) y += a.head[q * a.k + column];
    }
    if (group == 0 && column < a.k) finish(a, row, column, y);
  }
}

__global__ void scatter_seeds(SeedMatrixView s, std::int64_t k, double* t) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < s.entries) t[static_cast<std::int64_t>(s.agent[i]) * k + s.column[i]] = s.weight[i];
}

// Per-column sums of `term` over `items` items into out[0..k).
template <class Term>
void column_sums(const CudaExecutor& exec, std::int64_t items, std::int64_t k, Term term, double* partial,
                 double* out) {
  const cudaStream_t stream = stream_of(exec);
  const std::int64_t blocks = ceil_div<std::int64_t>(items, reduction_block);
  if (blocks > 0) {
    const auto chunks = static_cast<unsigned int>(
        std::min<std::int64_t>(ceil_div<std::int64_t>(k, column_lanes(k)), max_grid_y));
    column_partials<<<dim3(static_cast<unsigned int>(blocks), chunks), threads, 0, stream>>>(items, k, term, partial);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
  sum_partials<<<static_cast<unsigned int>(std::min<std::int64_t>(k, 1 << 20)), threads, 0, stream>>>(partial, blocks,
                                                                                                      k, out);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

}  // namespace

void personalized_start(const CudaExecutor& exec, std::int64_t n, std::int64_t k, const SeedMatrixView& seeds,
                        double* t) {
  if (n == 0 || k == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(t, 0, static_cast<std::size_t>(n * k) * sizeof(double), stream));
  if (seeds.entries > 0) {
    constexpr int scatter_threads = 256;
    scatter_seeds<<<static_cast<unsigned int>(ceil_div<std::int64_t>(seeds.entries, scatter_threads)),
                    scatter_threads, 0, stream>>>(seeds, k, t);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
}

std::vector<double> personalized_step(const CudaExecutor& exec, const CsrView& ct, const std::int32_t* dangling,
                                      std::int64_t n_dangling, const SeedMatrixView& seeds, std::int64_t k,
                                      const std::uint8_t* active, double restart, const double* t, double* t_next) {
  std::vector<double> change(static_cast<std::size_t>(k), 0.0);
  const std::int64_t n = ct.rows;
  if (n == 0 || k == 0) return change;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);

  // One workspace: m and ‖Δ‖₁ (k each), block partials, and heads and tails of the chunks.
  const std::int64_t dangling_blocks = ceil_div<std::int64_t>(n_dangling, reduction_block);
  const std::int64_t row_blocks = ceil_div<std::int64_t>(n, reduction_block);
  const std::int64_t chunks = ceil_div<std::int64_t>(ct.nnz, chunk_entries);
  const std::int64_t partial_blocks = std::max(dangling_blocks, row_blocks);
  Array<double> workspace(exec.shared_from_this(),
                          static_cast<std::size_t>((2 + partial_blocks + 2 * chunks) * k));
  double* mass = workspace.data();
  double* residual = mass + k;
  double* partial = residual + k;
  double* head = partial + partial_blocks * k;
  double* tail = head + chunks * k;

  column_sums(exec, n_dangling, k, DanglingTerm{dangling, t, k}, partial, mass);

  const StepArgs args{ct, seeds, k, active, 1.0 - restart, restart, mass, t, t_next, head, tail};
  if (chunks > 0) {
    pull_long_rows<<<static_cast<unsigned int>(chunks), threads, 0, stream>>>(args);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
  pull_rows<<<static_cast<unsigned int>(ceil_div<std::int64_t>(n, warps)), threads, 0, stream>>>(args);
  TRUSTPROP_CUDA_CHECK_LAUNCH();

  column_sums(exec, n, k, ChangeTerm{t, t_next, k}, partial, residual);
  exec.copy_to_host(change.data(), residual, static_cast<std::size_t>(k) * sizeof(double));
  return change;
}

}  // namespace trustprop::kernels::cuda
