// CUDA SybilRank kernels (equations in kernels/sybilrank.hpp; the CPU twin
// is kernels/cpu/sybilrank.cpp). One warp per agent for the pull: social
// degrees are heavy-tailed, and a warp per row keeps a row's column loads
// coalesced while short rows cost one pass. The row's sum is a fixed
// butterfly over the lanes' strided partial sums, each agent's |Δ| goes to
// a per-agent array, and deterministic_sum adds those in fixed blocks: the
// same bits on every run on one GPU. The CPU sums each row in order, so the
// two backends agree to rounding (about 1e-16 relative per row), not bits.
#include "kernels/sybilrank.hpp"

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/cuda/sum.cuh"

namespace trustprop::kernels::cuda {

namespace {

constexpr int threads = 256;
constexpr int warps_per_block = threads / 32;

cudaStream_t stream_of(const CudaExecutor& exec) { return static_cast<cudaStream_t>(exec.stream()); }

__device__ double warp_total(double v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__global__ void __launch_bounds__(threads) degree_normalize(PatternView g, const double* __restrict__ t,
                                                            double* __restrict__ q) {
  const std::int64_t v = static_cast<std::int64_t>(blockIdx.x) * threads + threadIdx.x;
  if (v < g.rows) q[v] = t[v] / static_cast<double>(g.indptr[v + 1] - g.indptr[v]);
}

__global__ void __launch_bounds__(threads) pull(PatternView g, const double* __restrict__ q,
                                                const double* __restrict__ t, double* __restrict__ t_next,
                                                double* __restrict__ change) {
  const std::int64_t v = static_cast<std::int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (v >= g.rows) return;  // whole warps leave together
  const std::int64_t end = g.indptr[v + 1];
  double s = 0.0;
  for (std::int64_t e = g.indptr[v] + lane; e < end; e += 32) s += __ldg(q + g.indices[e]);
  s = warp_total(s);
  if (lane == 0) {
    t_next[v] = s;
    change[v] = fabs(s - t[v]);
  }
}

}  // namespace

void sybilrank_degree_normalize(const CudaExecutor& exec, const PatternView& g, const double* t, double* q) {
  if (g.rows == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const auto blocks = static_cast<unsigned>((g.rows + threads - 1) / threads);
  degree_normalize<<<blocks, threads, 0, stream_of(exec)>>>(g, t, q);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

double sybilrank_step(const CudaExecutor& exec, const PatternView& g, const double* q, const double* t,
                      double* t_next) {
  if (g.rows == 0) return 0.0;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  Array<double> change(exec.shared_from_this(), static_cast<std::size_t>(g.rows));
  const auto blocks = static_cast<unsigned>((g.rows + warps_per_block - 1) / warps_per_block);
  pull<<<blocks, threads, 0, stream_of(exec)>>>(g, q, t, t_next, change.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  return deterministic_sum(exec, change.data(), g.rows);
}

}  // namespace trustprop::kernels::cuda
