// The CPU backend's own choice between source blocks (kernels::SourceBlocks)
// and SELL-8 rows (kernels::SellChunks) for an EigenTrust Cᵀ, when
// build_transition's caller leaves it to the backend (block_agents = 0).
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

// Whether the backend's choice is source blocks rather than SELL-8: when
// the gathered float32 vector (4n bytes) outgrows a third of the
// last-level cache (llc_bytes; 0: this machine's, 32 MiB if unknown) and
// the graph affords blocks. Measured on a 32 MiB L3 (docs/benchmarks.md):
// SELL-8 is 1.8× faster than blocks on a 2M-agent city (8 MB), blocks 1.4×
// and 1.7× faster on 4M and 6M (16 and 24 MB).
bool prefer_source_blocks(std::int64_t n, std::int64_t nnz, std::int64_t llc_bytes = 0);

}  // namespace trustprop::kernels::cpu
