// The exchange after each step of a row-split iteration (DESIGN §7): every
// process has computed its own rows of a whole-graph vector, and every
// process needs all of them for the next step.
#pragma once

#include <cstdint>
#include <vector>

#include "host/world.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// Process r has filled a[bounds[r] .. bounds[r + 1]); afterwards every
// process holds every row. A CPU array is exchanged in place; a GPU's rows
// go to host memory, and the whole vector comes back. Collective.
template <class T>
void allgather_rows(const Communicator& comm, const std::vector<std::int64_t>& bounds, kernels::Array<T>& a) {
  if (comm.size() == 1 || a.size() == 0) return;
  if (a.executor()->kind() == kernels::BackendKind::cpu) return comm.allgatherv(a.data(), bounds, sizeof(T));
  const auto own = static_cast<std::size_t>(bounds[static_cast<std::size_t>(comm.rank())]);
  const auto rows = static_cast<std::size_t>(bounds[static_cast<std::size_t>(comm.rank()) + 1]) - own;
  std::vector<T> host(a.size());
  a.executor()->copy_to_host(host.data() + own, a.data() + own, rows * sizeof(T));
  comm.allgatherv(host, bounds);
  a.executor()->copy_from_host(a.data(), host.data(), host.size() * sizeof(T));
}

}  // namespace trustprop::host
