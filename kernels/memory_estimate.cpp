// Device memory estimate for EigenTrust; the accounting is in
// kernels/memory_estimate.hpp, next to the declaration it documents.
#include "kernels/memory_estimate.hpp"

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"

namespace trustprop::kernels {

namespace {

constexpr double margin_fraction = 0.05;
constexpr double margin_bytes = 256.0 * (1 << 20);
constexpr double workspace_per_item = 40.0 / 2048.0;  // StepWorkspace: 40 B per merge-path tile of >= 2048 items

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / double(1ull << 30));
  return buf;
}

}  // namespace

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
  return static_cast<std::size_t>(std::max(setup, iterate) * (1.0 + margin_fraction) + margin_bytes);
}

void require_device_memory(const Executor& exec, std::size_t bytes, const std::string& what) {
  if (exec.kind() != BackendKind::cuda) return;
  const std::size_t available = exec.available_memory();
  if (bytes <= available) return;
  throw InternalError(what + " needs " + gib(static_cast<double>(bytes)) + " of device memory, " + exec.name() +
                      " has " + gib(static_cast<double>(available)) +
                      " free; use a GPU with more memory or --device cpu");
}

}  // namespace trustprop::kernels
