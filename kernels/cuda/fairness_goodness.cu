// CUDA fairness–goodness steps (equations in kernels/fairness_goodness.hpp;
// the CPU twin is kernels/cpu/fairness_goodness.cpp). One warp per agent:
// rating counts are small on real networks but heavy-tailed, and a warp per
// row keeps the loads of a row coalesced. The row's sum is a fixed
// butterfly, each agent's |Δ| goes to a per-agent array, and that is summed
// by deterministic_sum: reruns are bitwise identical.
#include "kernels/fairness_goodness.hpp"

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/cuda/sum.cuh"

namespace trustprop::kernels::cuda {

namespace {

constexpr int threads = 256;
constexpr int warps_per_block = threads / 32;

__device__ double warp_total(double v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Goodness = true: x[row] <- Σ other[col]·w / deg. Otherwise fairness:
// x[row] <- Σ (1 − |w − other[col]| / 2) / deg. Rows without entries keep x.
template <bool Goodness>
__global__ void __launch_bounds__(threads)
    update_rows(CsrView64 m, const double* __restrict__ other, double* __restrict__ x, double* __restrict__ change) {
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= m.rows) return;
  const std::int64_t b = m.indptr[row], e = m.indptr[row + 1];
  double s = 0.0;
  for (std::int64_t k = b + lane; k < e; k += 32) {
    const double w = m.values[k], o = __ldg(other + m.indices[k]);
    s += Goodness ? o * w : 1.0 - fabs(w - o) / 2.0;
  }
  s = warp_total(s);
  if (lane == 0) {
    double delta = 0.0;
    if (e > b) {
      const double updated = s / static_cast<double>(e - b);
      delta = fabs(updated - x[row]);
      x[row] = updated;
    }
    change[row] = delta;
  }
}

template <bool Goodness>
double step(const CudaExecutor& exec, const CsrView64& m, const double* other, double* x) {
  if (m.rows == 0) return 0.0;
  Array<double> change(exec.shared_from_this(), static_cast<std::size_t>(m.rows));
  const auto blocks = static_cast<unsigned>((m.rows + warps_per_block - 1) / warps_per_block);
  update_rows<Goodness><<<blocks, threads, 0, static_cast<cudaStream_t>(exec.stream())>>>(m, other, x, change.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  return deterministic_sum(exec, change.data(), m.rows);
}

}  // namespace

double fg_goodness_step(const CudaExecutor& exec, const CsrView64& in, const double* f, double* g) {
  return step<true>(exec, in, f, g);
}

double fg_fairness_step(const CudaExecutor& exec, const CsrView64& out, const double* g, double* f) {
  return step<false>(exec, out, g, f);
}

}  // namespace trustprop::kernels::cuda
