// The exchanges of a row-split run (DESIGN §7): building each process's
// rows of a matrix from entries that other processes hold (route_to_rows),
// and, after each step of an iteration, giving every process the rows of a
// whole-graph vector that each process computed (allgather_rows).
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "host/partition.hpp"
#include "host/world.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// Where each process's part lies in a concatenation in rank order: bounds
// b[0] = 0, b[r + 1] = b[r] + the `own` count of process r. Collective.
inline std::vector<std::int64_t> gathered_bounds(const Communicator& comm, std::int64_t own) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(comm.size()), 0);
  counts[static_cast<std::size_t>(comm.rank())] = own;
  comm.sum(counts.data(), comm.size());
  std::vector<std::int64_t> bounds(counts.size() + 1, 0);
  std::partial_sum(counts.begin(), counts.end(), bounds.begin() + 1);
  return bounds;
}

// Every process's `own` elements, concatenated in rank order, on every
// process. Collective.
template <class T>
std::vector<T> allgather_concatenated(const Communicator& comm, const std::vector<T>& own) {
  const std::vector<std::int64_t> bounds = gathered_bounds(comm, static_cast<std::int64_t>(own.size()));
  std::vector<T> all(static_cast<std::size_t>(bounds.back()));
  std::copy(own.begin(), own.end(), all.begin() + bounds[static_cast<std::size_t>(comm.rank())]);
  comm.allgatherv(all, bounds);
  return all;
}

// Sends items to the processes that own their rows and groups what arrives
// by row, in one all-to-all exchange. `each_item(emit)` calls emit(item)
// for every item this process sends (it is called twice and must give the
// same items in the same order); `row_of(item)` is the item's row (an
// agent), `bounds` every process's rows. Once the items have arrived (and
// the send buffer is freed), `allocate(count)` is told how many, and
// `place(at, item)` puts each at its position among them: rows in order,
// and within a row by sender, then in the order sent (a stable counting
// sort, so rows of entries sent in ascending order stay ascending).
// Returns the offsets of this process's rows (rows + 1, from 0).
// Collective.
template <class Item, class EachItem, class RowOf, class Allocate, class Place>
std::vector<std::int64_t> route_to_rows(const Communicator& comm, const std::vector<std::int64_t>& bounds,
                                        const EachItem& each_item, const RowOf& row_of, const Allocate& allocate,
                                        const Place& place) {
  const auto owner = [&](const Item& x) { return static_cast<std::size_t>(owner_of(bounds, row_of(x))); };
  std::vector<std::int64_t> send_counts(static_cast<std::size_t>(comm.size()), 0);
  each_item([&](const Item& x) { ++send_counts[owner(x)]; });
  std::vector<std::int64_t> cursor(send_counts.size(), 0);
  std::partial_sum(send_counts.begin(), send_counts.end() - 1, cursor.begin() + 1);
  std::vector<Item> send(static_cast<std::size_t>(cursor.back() + send_counts.back()));
  each_item([&](const Item& x) { send[static_cast<std::size_t>(cursor[owner(x)]++)] = x; });
  const std::vector<Item> received = comm.alltoallv(send, send_counts);
  std::vector<Item>().swap(send);
  allocate(static_cast<std::int64_t>(received.size()));

  const auto me = static_cast<std::size_t>(comm.rank());
  const std::int64_t first = bounds[me];
  std::vector<std::int64_t> indptr(static_cast<std::size_t>(bounds[me + 1] - first) + 1, 0);
  for (const Item& x : received) ++indptr[static_cast<std::size_t>(row_of(x) - first) + 1];
  std::partial_sum(indptr.begin(), indptr.end(), indptr.begin());
  std::vector<std::int64_t> next(indptr.begin(), indptr.end() - 1);
  for (const Item& x : received) place(next[static_cast<std::size_t>(row_of(x) - first)]++, x);
  return indptr;
}

// Process r has filled a[offset + bounds[r] .. offset + bounds[r + 1]);
// afterwards every process holds all bounds.back() rows from `offset` on
// (offset: one segment of an array of several, as the tallies). A CPU
// array is exchanged in place; a GPU's rows go to host memory, and the
// whole segment comes back. Collective.
template <class T>
void allgather_rows(const Communicator& comm, const std::vector<std::int64_t>& bounds, kernels::Array<T>& a,
                    std::size_t offset = 0) {
  if (comm.size() == 1 || a.size() == 0) return;
  T* segment = a.data() + offset;
  if (a.executor()->kind() == kernels::BackendKind::cpu) return comm.allgatherv(segment, bounds, sizeof(T));
  const auto own = static_cast<std::size_t>(bounds[static_cast<std::size_t>(comm.rank())]);
  const auto rows = static_cast<std::size_t>(bounds[static_cast<std::size_t>(comm.rank()) + 1]) - own;
  std::vector<T> host(static_cast<std::size_t>(bounds.back()));
  a.executor()->copy_to_host(host.data() + own, segment + own, rows * sizeof(T));
  comm.allgatherv(host, bounds);
  a.executor()->copy_from_host(segment, host.data(), host.size() * sizeof(T));
}

}  // namespace trustprop::host
