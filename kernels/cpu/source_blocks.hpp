// The CPU backend's own choice of source blocks for an EigenTrust Cᵀ
// (kernels::SourceBlocks), when build_transition's caller leaves it to the
// backend (block_agents = 0) and the SELL-8 layout, which the backend
// prefers (faster on every benchmark graph: docs/benchmarks.md), would pad
// too much.
#pragma once

#include <cstdint>

namespace trustprop::kernels::cpu {

// Sources per block of a Cᵀ with n agents and nnz ties, or 0 for plain CSR:
// blocks of 524,288 agents (2 MB of float32 x, about what a core's 1 MB L2
// and its share of L3 keep while other processes use the machine;
// docs/benchmarks.md) when the graph needs two or more; fewer, larger
// blocks when their offsets — 4·(n + 1) bytes each — would cost more than
// half a byte per tie; 0 when even two would, or when nnz does not fit the
// 32-bit offsets.
std::int64_t auto_block_width(std::int64_t n, std::int64_t nnz);

}  // namespace trustprop::kernels::cpu
