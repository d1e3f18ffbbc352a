// Memory estimates for EigenTrust and the backend's refusal; the accounting
// is in kernels/memory_estimate.hpp, next to the declarations it documents.
#include "kernels/memory_estimate.hpp"

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"

namespace trustprop::kernels {

namespace {

constexpr double margin_fraction = 0.05;
constexpr double margin_bytes = 256.0 * (1 << 20);      // the device's pool granularity, CUB's storage
constexpr double host_margin_bytes = 64.0 * (1 << 20);  // the host's allocator, libraries' buffers
constexpr double workspace_per_item = 40.0 / 2048.0;  // StepWorkspace: 40 B per merge-path tile of >= 2048 items

}  // namespace

std::size_t with_margin(BackendKind kind, double bytes) {
  return static_cast<std::size_t>(bytes * (1.0 + margin_fraction) +
                                  (kind == BackendKind::cuda ? margin_bytes : host_margin_bytes));
}

std::size_t eigentrust_device_bytes(std::int64_t n, std::int64_t nnz) {
  const double agents = static_cast<double>(std::max<std::int64_t>(n, 0));
  const double entries = static_cast<double>(std::max<std::int64_t>(nnz, 0));
  // build_transition: W, Cᵀ, the row sums and 1/d_i. Iteration, either
  // form of Cᵀ (kernels/eigentrust.hpp): the weighted 8 B per entry, or the
  // value-free 4 B per entry with source_scale and, in its float64 finish,
  // a double gather pair — 8 B per entry and 52 B per agent bound both. A
  // source-blocked Cᵀ (CPU) adds at most ½ B per entry of block offsets, and
  // as much again for the cursors while it is built.
  const double setup = 25.0 * entries + 40.0 * agents;
  const double iterate = 8.5 * entries + 52.0 * agents + workspace_per_item * (agents + entries);
  return with_margin(BackendKind::cuda, std::max(setup, iterate));
}

std::size_t eigentrust_host_bytes(std::int64_t n, std::int64_t nnz) {
  const double agents = static_cast<double>(std::max<std::int64_t>(n, 0));
  const double entries = static_cast<double>(std::max<std::int64_t>(nnz, 0));
  // Cᵀ in SELL-8 lanes (8 B per entry weighted, 4 value-free, 1-2 % padding,
  // chunk offsets) and the per-agent vectors with 1/d: 9.5 B per edge and
  // about 60 B per agent measured at the peak (docs/benchmarks.md "Memory").
  return with_margin(BackendKind::cpu, 10.0 * entries + 80.0 * agents);
}

std::size_t eigentrust_bytes(BackendKind kind, std::int64_t n, std::int64_t nnz) {
  return kind == BackendKind::cuda ? eigentrust_device_bytes(n, nnz) : eigentrust_host_bytes(n, nnz);
}

void require_memory(const Executor& exec, std::size_t bytes, const std::string& what, bool graph_included) {
  const std::size_t available = exec.available_memory();
  if (bytes <= available) return;
  const std::string need = what + " needs " + size_text(static_cast<double>(bytes));
  if (exec.kind() == BackendKind::cuda)
    throw InternalError(need + " of device memory, " + exec.name() + " has " + size_text(static_cast<double>(available)) +
                        " free; use a GPU with more memory or --device cpu");
  throw InternalError(need + (graph_included ? " of memory, its graph included, " : " of memory beside the graph, ") +
                      exec.name() + " has " +
                      size_text(static_cast<double>(available)) +
                      " available (the least of the machine's available memory, ulimit -v and the job's memory "
                      "cgroup); run it where more memory is free, or over several MPI processes");
}

}  // namespace trustprop::kernels
