// Deterministic sum of a device array of doubles, the GPU twin of
// kernels/cpu/reduce.hpp: blocks of reduction_block terms are summed by one
// thread block each in a fixed tree, then the block sums in block order by a
// single block. No atomics: the same bits on every run on one GPU.
#pragma once

#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "kernels/array.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels::cuda {

namespace sum_detail {
namespace {  // internal linkage: this header is included by several .cu files

constexpr int threads = 256;

// partial[b] = Σ values[b·reduction_block, (b+1)·reduction_block)
__global__ void __launch_bounds__(threads) block_sums(const double* values, std::int64_t n, double* partial) {
  using Reduce = cub::BlockReduce<double, threads>;
  __shared__ typename Reduce::TempStorage temp;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * reduction_block;
  const std::int64_t end = begin + reduction_block < n ? begin + reduction_block : n;
  double s = 0.0;
  for (std::int64_t i = begin + threadIdx.x; i < end; i += threads) s += values[i];
  s = Reduce(temp).Sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void __launch_bounds__(threads) final_sum(const double* partial, std::int64_t count, double* out) {
  using Reduce = cub::BlockReduce<double, threads>;
  __shared__ typename Reduce::TempStorage temp;
  double s = 0.0;
  for (std::int64_t k = threadIdx.x; k < count; k += threads) s += partial[k];
  s = Reduce(temp).Sum(s);
  if (threadIdx.x == 0) *out = s;
}

}  // namespace
}  // namespace sum_detail

// Σ values[0..n), returned to the host (synchronises the executor's stream).
inline double deterministic_sum(const CudaExecutor& exec, const double* values, std::int64_t n) {
  if (n <= 0) return 0.0;
  const auto stream = static_cast<cudaStream_t>(exec.stream());
  const std::int64_t blocks = (n + reduction_block - 1) / reduction_block;
  Array<double> partial(exec.shared_from_this(), static_cast<std::size_t>(blocks) + 1);
  sum_detail::block_sums<<<static_cast<unsigned>(blocks), sum_detail::threads, 0, stream>>>(values, n, partial.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  sum_detail::final_sum<<<1, sum_detail::threads, 0, stream>>>(partial.data(), blocks, partial.data() + blocks);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  double total = 0.0;
  TRUSTPROP_CUDA_CHECK(cudaMemcpyAsync(&total, partial.data() + blocks, sizeof total, cudaMemcpyDeviceToHost, stream));
  TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(stream));
  return total;
}

}  // namespace trustprop::kernels::cuda
