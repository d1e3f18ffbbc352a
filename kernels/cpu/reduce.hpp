// Deterministic parallel sum on the CPU: f(0) + ... + f(n-1) summed in fixed
// blocks of kernels::reduction_block terms, the block sums added in order.
// The same bits for any number of threads; f may also write outputs, as
// long as each index writes only its own.
#pragma once

#include <cstdint>
#include <vector>

#include <algorithm>

#include "kernels/reduction.hpp"

namespace trustprop::kernels::cpu {

template <class F>
double block_sum(std::int64_t n, F&& f) {
  const std::int64_t blocks = (n + reduction_block - 1) / reduction_block;
  std::vector<double> partial(static_cast<std::size_t>(blocks));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t end = std::min(n, (b + 1) * reduction_block);
    double s = 0.0;
    for (std::int64_t i = b * reduction_block; i < end; ++i) s += f(i);
    partial[static_cast<std::size_t>(b)] = s;
  }
  double total = 0.0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace trustprop::kernels::cpu
