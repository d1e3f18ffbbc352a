// Memory that EigenTrust needs, known before anything is allocated, so that
// a graph too large for the GPU (or for the host's memory, on the CPU) is
// refused with a clear message ("needs 31.2 GiB of device memory, cuda:0
// has 20.5 GiB free") instead of failing half-way through setup.
//
// The estimate follows the CUDA kernels' allocations (kernels/cuda/
// eigentrust.cu) for n agents and nnz entries of W, assuming every entry is
// positive (the worst case):
//   setup     W on the device (8 B/entry + 8 B/row) while Cᵀ is built: Cᵀ
//             (8 B/entry + 8 B/row) plus the segmented sort's second buffer
//             (8 B/entry), and per agent at most 16 B of scratch (row-sum
//             inverses, scatter cursors, sort partitions, dangling list)
//             -> 24 B/entry + 32 B/agent at the peak;
//   iterate   Cᵀ, the dangling list, p, t and t_next, their float32 gather
//             copies, and a workspace of 40 B per tile of at least 2048
//             merge-path items -> 8 B/entry + 44 B/agent + ~2%.
// The result is the larger phase plus a stated margin of 5% and 256 MiB for
// the pool's allocation granularity and CUB's temporary storage. The other
// models' estimates live beside their drivers (host/<model>.hpp) and end
// with the same margin (with_margin).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/size_text.hpp"
#include "kernels/executor.hpp"

namespace trustprop::kernels {

// `bytes` with the backend's stated margin: 5% and 256 MiB on a GPU (the
// pool's allocation granularity, CUB's temporary storage), 5% and 64 MiB on
// the CPU (the allocator, libraries' buffers). Every model's estimate ends
// with it.
std::size_t with_margin(BackendKind kind, double bytes);

// Peak device bytes of build_transition + eigentrust_step on an n-agent
// graph with nnz entries, margin included.
std::size_t eigentrust_device_bytes(std::int64_t n, std::int64_t nnz);

// Peak host bytes the CPU backend's EigenTrust adds to the graph as io read
// it (W is used where it lies): Cᵀ, 10 B per entry, and 80 B per agent of
// vectors, bounding the 9.5 B per edge and ~60 B per agent measured by
// benchmarks/bench_memory, plus 5% and 64 MiB.
std::size_t eigentrust_host_bytes(std::int64_t n, std::int64_t nnz);

// The estimate for the backend of `kind`: the device's or the host's.
std::size_t eigentrust_bytes(BackendKind kind, std::int64_t n, std::int64_t nnz);

using trustprop::size_text;  // common/size_text.hpp

// Throws InternalError (exit 70) when `exec` has less than `bytes`
// available: on a GPU "<what> needs X GiB of device memory, <device> has Y
// GiB free ...", on the CPU "... of memory beside the graph, cpu has Y GiB
// available ..." (the host's room: kernels/cpu/host_memory.hpp; a CPU
// estimate counts what the run adds to the graph it has read; one that
// counts the graph too, made before reading it, says so with
// `graph_included`).
void require_memory(const Executor& exec, std::size_t bytes, const std::string& what, bool graph_included = false);

}  // namespace trustprop::kernels
