// CUDA signed trust kernels (equations in kernels/signed_trust.hpp; the CPU
// twin and reference is kernels/cpu/signed_trust.cpp).
//
// Products: one warp per (output row, 32 consecutive sources). A lane owns
// one source column and walks the CSR row in order, so its loads of the
// dense block are one coalesced 256-byte line per entry, the row's column
// and value are broadcast to the warp, and every sum has the CPU's order.
// Multiplications and additions are __dmul_rn / __dadd_rn: nvcc may not
// fuse them into FMAs, so results equal the CPU's bit for bit.
// Why not cusparseSpMM: it gives no bitwise guarantee across versions and
// algorithms, takes no fused α-combination, and the dense block here is
// narrow (k = one batch of sources); a warp-per-row gather of k-vectors is
// at the memory floor for this shape.
//
// Column norms: thread (agent block, source) sums |x| over its
// reduction_block agents in agent order, one thread per source adds the
// block sums in block order, then an elementwise scale — the CPU's order.
#include "kernels/signed_trust.hpp"

#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels::cuda {

namespace {

constexpr int warp_size = 32;
constexpr int product_threads = 128;  // 4 warps: 4 output rows per block
constexpr int rows_per_block = product_threads / warp_size;
constexpr int column_threads = 128;   // norms: sources per block
constexpr int elementwise_threads = 256;

cudaStream_t stream_of(const CudaExecutor& exec) { return static_cast<cudaStream_t>(exec.stream()); }

template <class T>
T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

// Σ over row `row` of m of value · x[column, s], in row order.
__device__ double row_product(const CsrView& m, std::int64_t row, const double* __restrict__ x, std::int64_t k,
                              std::int64_t s) {
  double acc = 0.0;
  const std::int64_t end = m.indptr[row + 1];
  for (std::int64_t e = m.indptr[row]; e < end; ++e) {
    const double v = static_cast<double>(m.values[e]);
    acc = __dadd_rn(acc, __dmul_rn(v, __ldg(x + static_cast<std::int64_t>(m.indices[e]) * k + s)));
  }
  return acc;
}

// The (row, source) of this lane; false when it lies outside the block.
__device__ bool lane_cell(std::int64_t rows, std::int64_t k, std::int64_t& row, std::int64_t& s) {
  row = static_cast<std::int64_t>(blockIdx.x) * rows_per_block + threadIdx.x / warp_size;
  s = static_cast<std::int64_t>(blockIdx.y) * warp_size + threadIdx.x % warp_size;
  return row < rows && s < k;
}

__global__ void __launch_bounds__(product_threads)
    multiply_rows(CsrView m, const double* __restrict__ x, std::int64_t k, double* __restrict__ y) {
  std::int64_t row, s;
  if (!lane_cell(m.rows, k, row, s)) return;
  y[row * k + s] = row_product(m, row, x, k, s);
}

__global__ void __launch_bounds__(product_threads)
    combine_rows(CsrView b, CsrView bt, const double* __restrict__ u, const double* __restrict__ v, std::int64_t k,
                 SignedAlpha alpha, double* __restrict__ x) {
  std::int64_t row, s;
  if (!lane_cell(b.rows, k, row, s)) return;
  const double cocitation = row_product(bt, row, v, k, s);
  const double coupling = row_product(b, row, u, k, s);
  const std::int64_t i = row * k + s;
  double r = __dadd_rn(__dmul_rn(alpha.direct, u[i]), __dmul_rn(alpha.cocitation, cocitation));
  r = __dadd_rn(r, __dmul_rn(alpha.transpose, v[i]));
  x[i] = __dadd_rn(r, __dmul_rn(alpha.coupling, coupling));
}

__global__ void __launch_bounds__(column_threads)
    column_block_sums(const double* __restrict__ x, std::int64_t n, std::int64_t k, double* __restrict__ partial) {
  const std::int64_t s = static_cast<std::int64_t>(blockIdx.y) * column_threads + threadIdx.x;
  if (s >= k) return;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * reduction_block;
  const std::int64_t end = begin + reduction_block < n ? begin + reduction_block : n;
  double acc = 0.0;
  for (std::int64_t a = begin; a < end; ++a) acc = __dadd_rn(acc, fabs(x[a * k + s]));
  partial[static_cast<std::int64_t>(blockIdx.x) * k + s] = acc;
}

__global__ void __launch_bounds__(column_threads)
    column_norms(const double* __restrict__ partial, std::int64_t blocks, std::int64_t k, double* __restrict__ norm) {
  const std::int64_t s = static_cast<std::int64_t>(blockIdx.x) * column_threads + threadIdx.x;
  if (s >= k) return;
  double acc = 0.0;
  for (std::int64_t blk = 0; blk < blocks; ++blk) acc = __dadd_rn(acc, partial[blk * k + s]);
  norm[s] = acc;
}

__global__ void __launch_bounds__(elementwise_threads)
    scale_columns(const double* __restrict__ norm, std::int64_t count, std::int64_t k, double* __restrict__ x) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * elementwise_threads + threadIdx.x;
  if (i >= count) return;
  const double d = norm[i % k];
  if (d > 0.0) x[i] = __ddiv_rn(x[i], d);
}

__global__ void __launch_bounds__(elementwise_threads)
    accumulate(std::int64_t count, double scale, const double* __restrict__ z, double* __restrict__ f) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * elementwise_threads + threadIdx.x;
  if (i < count) f[i] = __dadd_rn(f[i], __dmul_rn(scale, z[i]));
}

dim3 product_grid(std::int64_t rows, std::int64_t k) {
  return dim3(static_cast<unsigned int>(ceil_div<std::int64_t>(rows, rows_per_block)),
              static_cast<unsigned int>(ceil_div<std::int64_t>(k, warp_size)));
}

unsigned int elementwise_blocks(std::int64_t count) {
  return static_cast<unsigned int>(ceil_div<std::int64_t>(count, elementwise_threads));
}

}  // namespace

void signed_multiply(const CudaExecutor& exec, const CsrView& m, const double* x, std::int64_t k, double* y) {
  if (m.rows == 0 || k == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  multiply_rows<<<product_grid(m.rows, k), product_threads, 0, stream_of(exec)>>>(m, x, k, y);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

void signed_combine(const CudaExecutor& exec, const CsrView& b, const CsrView& bt, const double* u, const double* v,
                    std::int64_t k, const SignedAlpha& alpha, double* x) {
  if (b.rows == 0 || k == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  combine_rows<<<product_grid(b.rows, k), product_threads, 0, stream_of(exec)>>>(b, bt, u, v, k, alpha, x);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

void signed_normalize(const CudaExecutor& exec, std::int64_t n, std::int64_t k, double* x) {
  if (n == 0 || k == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const std::int64_t blocks = ceil_div<std::int64_t>(n, reduction_block);
  const auto column_groups = static_cast<unsigned int>(ceil_div<std::int64_t>(k, column_threads));
  Array<double> partial(exec.shared_from_this(), static_cast<std::size_t>(blocks * k));
  Array<double> norm(exec.shared_from_this(), static_cast<std::size_t>(k));
  column_block_sums<<<dim3(static_cast<unsigned int>(blocks), column_groups), column_threads, 0, stream>>>(
      x, n, k, partial.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  column_norms<<<column_groups, column_threads, 0, stream>>>(partial.data(), blocks, k, norm.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  scale_columns<<<elementwise_blocks(n * k), elementwise_threads, 0, stream>>>(norm.data(), n * k, k, x);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

void signed_accumulate(const CudaExecutor& exec, std::int64_t count, double scale, const double* z, double* f) {
  if (count == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  accumulate<<<elementwise_blocks(count), elementwise_threads, 0, stream_of(exec)>>>(count, scale, z, f);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

}  // namespace trustprop::kernels::cuda
