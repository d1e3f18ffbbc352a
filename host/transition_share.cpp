#include "host/transition_share.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "common/error.hpp"
#include "host/partition.hpp"
#include "host/row_exchange.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/memory_estimate.hpp"
#include "kernels/positive_row.hpp"

namespace trustprop::host {

namespace {

// One positive entry of W on its way to the owner of Cᵀ's row j.
struct Entry {
  std::int32_t j, i;
  float c;
};

}  // namespace

TransitionShare build_transition_share(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share) {
  const Communicator& comm = *share.comm;
  const io::GraphRows& w = share.rows;
  const std::int64_t n = w.n, rows = w.rows();

  // Row statistics of this process's rows of W, and the positive in-degree
  // of every agent from them.
  std::vector<double> inv(static_cast<std::size_t>(rows)), d_inv(static_cast<std::size_t>(rows));
  std::vector<std::int64_t> in_degree(static_cast<std::size_t>(n) + 1, 0);  // shifted by one: a prefix later
  bool uniform = true;
  for (std::int64_t r = 0; r < rows; ++r) {
    const kernels::PositiveRow row = kernels::positive_row(
        w.data.data(), w.indptr[r], w.indptr[r + 1], [&](std::int64_t k) { ++in_degree[static_cast<std::size_t>(w.indices[k]) + 1]; });
    uniform = uniform && row.uniform;
    inv[r] = row.inverse_sum();
    d_inv[r] = row.inverse_count();
  }
  const bool value_free = comm.all(uniform);
  comm.sum(in_degree.data(), n + 1);
  std::partial_sum(in_degree.begin(), in_degree.end(), in_degree.begin());

  TransitionShare out;
  out.bounds = balanced_bounds(in_degree, comm.size());
  const std::int64_t first = out.bounds[static_cast<std::size_t>(comm.rank())];
  const std::int64_t local_rows = out.bounds[static_cast<std::size_t>(comm.rank()) + 1] - first;
  const std::int64_t local_entries = in_degree[first + local_rows] - in_degree[first];
  std::vector<std::int64_t>().swap(in_degree);
  // Refuse a share the backend cannot hold before allocating on it.
  collectively(comm, [&] {
    kernels::require_memory(*exec, kernels::eigentrust_bytes(exec->kind(), n, local_entries),
                                   "EigenTrust's share on process " + std::to_string(comm.rank()) + " (" +
                                       std::to_string(local_entries) + " of Cᵀ's entries)");
  });

  // Each positive entry to the owner of its column, in W's order; what
  // arrives is ordered by sender, each sender's by i, so every row (j) of
  // Cᵀ lists its sources ascending, as one process has them.
  std::vector<std::int32_t> sources;
  std::vector<float> values;
  const std::vector<std::int64_t> indptr = route_to_rows<Entry>(
      comm, out.bounds,
      [&](auto&& emit) {
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k)
            if (w.data[k] > 0.0f)
              emit(Entry{w.indices[k], static_cast<std::int32_t>(w.first + r),
                         kernels::transition_value(w.data[k], inv[r])});
      },
      [](const Entry& e) { return e.j; },
      [&](std::int64_t received) {
        TRUSTPROP_ASSERT(received == local_entries, "transition share: the entries received do not match the in-degrees");
        sources.resize(static_cast<std::size_t>(received));
        values.resize(value_free ? 0 : sources.size());
      },
      [&](std::int64_t at, const Entry& e) {
        sources[static_cast<std::size_t>(at)] = e.i;
        if (!value_free) values[static_cast<std::size_t>(at)] = e.c;
      });

  // Whole-graph vectors: the dangling agents (ascending: the processes'
  // rows are in order) and, value-free, 1/d_i.
  std::vector<std::int32_t> dangling;
  for (std::int64_t r = 0; r < rows; ++r)
    if (inv[static_cast<std::size_t>(r)] == 0.0) dangling.push_back(static_cast<std::int32_t>(w.first + r));
  const std::vector<std::int32_t> all_dangling = allgather_concatenated(comm, dangling);

  kernels::Transition& tr = out.tr;
  tr.value_free = value_free;
  tr.ct.rows = local_rows;
  tr.ct.cols = n;
  tr.ct.indptr = kernels::Array<std::int64_t>::from_host(exec, indptr);
  tr.ct.indices = kernels::Array<std::int32_t>::from_host(exec, sources);
  if (!value_free) tr.ct.values = kernels::Array<float>::from_host(exec, values);
  std::vector<std::int32_t>().swap(sources);
  std::vector<float>().swap(values);
  tr.dangling = kernels::Array<std::int32_t>::from_host(exec, all_dangling);
  if (value_free) {
    std::vector<double> scale(static_cast<std::size_t>(n));
    std::copy(d_inv.begin(), d_inv.end(), scale.begin() + w.first);
    comm.allgatherv(scale, share.w_bounds);
    tr.source_scale = kernels::Array<double>::from_host(exec, scale);
  }
  kernels::dispatch(*exec, [&](const auto& e) { to_eigentrust_layout(e, tr); });
  return out;
}

}  // namespace trustprop::host
