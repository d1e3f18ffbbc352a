// Block size of every deterministic reduction (CPU and GPU): sums are taken
// over fixed blocks of this many terms and the block sums added in order, so
// the result never depends on thread count or scheduling.
#pragma once

#include <cstdint>

namespace trustprop::kernels {
inline constexpr std::int64_t reduction_block = 4096;
}  // namespace trustprop::kernels
