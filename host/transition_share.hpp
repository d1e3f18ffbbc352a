// This process's rows of the transition Cᵀ in a distributed run (DESIGN
// §7). Each process turns its rows of W into c_ij (kernels/positive_row.hpp:
// the same bits as the single-process build), sends each entry to the
// process that owns row j of Cᵀ (one all-to-all exchange), and orders what
// it receives by (j, i): its rows of the plain CSR Cᵀ, every entry in the
// order the single-process Cᵀ has it, then in the backend's layout
// (kernels::to_eigentrust_layout: SELL-8 on the CPU). Cᵀ's rows are split by their entries
// (the agents' positive in-degrees, summed over the processes), so a
// process's share of the iteration's work is even even when W's rows are
// not a guide to it (a few agents trusted by millions).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "host/graph_share.hpp"
#include "kernels/eigentrust.hpp"

namespace trustprop::host {

struct TransitionShare {
  // Rows [bounds[rank], bounds[rank + 1]) of Cᵀ, that many rows of n
  // columns, on the executor. value_free when every row of W (all
  // processes') is uniform; dangling and source_scale are whole (n agents).
  kernels::Transition tr;
  std::vector<std::int64_t> bounds;  // Cᵀ's rows of each process
};

// Collective.
TransitionShare build_transition_share(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share);

}  // namespace trustprop::host
