// A distributed simulation's share of the static structure
// (host/dynamics_layout.hpp; docs/distributed.md "simulate"). Process r
// reads rows [w_bounds[r], w_bounds[r + 1]) of W (GraphShare): those
// customers' ties, their thresholds and their evidence are its. Wᵀ's rows
// are split separately, by entries (in-degree), and built by one all-to-all
// of (provider, customer, W position) from the processes that hold the
// ties, customers ascending within a row as for one process. Each epoch
// the interaction pass writes the records of its ties into a send buffer
// grouped by the process that tallies them, one all-to-all delivers them,
// and the Cᵀ pass reads each entry's record from the receive buffer.
#include <algorithm>
#include <numeric>

#include "common/error.hpp"
#include "host/dynamics_layout.hpp"
#include "host/partition.hpp"
#include "host/pretrust.hpp"
#include "host/row_exchange.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/dynamics_rules.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

using kernels::Array;

std::vector<std::int32_t> derive_registrar(const GraphShare& share, Registration how, double registered_share,
                                           std::uint64_t seed) {
  const io::Graph& a = share.agents;
  // Random registration and none read only the agents' kinds.
  if (how != Registration::graph || a.kind.empty()) return derive_registrar(a, how, registered_share, seed);
  // Each process's institution -> enterprise ties of positive weight, in W
  // order; all of them to every process in rank order, so that the choice
  // below meets them in the order one process does.
  struct Candidate {
    std::int32_t provider, institution;
    float weight;
  };
  const io::GraphRows& rows = share.rows;
  std::vector<Candidate> own;
  for (std::int64_t i = rows.first; i < rows.last; ++i) {
    if (a.kind[static_cast<std::size_t>(i)] != kernels::kind_institution) continue;
    for (std::int64_t k = rows.indptr[static_cast<std::size_t>(i - rows.first)];
         k < rows.indptr[static_cast<std::size_t>(i - rows.first) + 1]; ++k) {
      const std::int32_t j = rows.indices[static_cast<std::size_t>(k)];
      const float w = rows.data[static_cast<std::size_t>(k)];
      if (a.kind[static_cast<std::size_t>(j)] == kernels::kind_enterprise && w > 0.0f)
        own.push_back({j, static_cast<std::int32_t>(i), w});
    }
  }
  const Communicator& comm = *share.comm;
  const std::vector<Candidate> all = allgather_concatenated(comm, own);
  // As derive_registrar(graph): the largest tie; on equal ties the lowest institution.
  std::vector<std::int32_t> registrar(static_cast<std::size_t>(a.n), -1);
  std::vector<float> best(static_cast<std::size_t>(a.n), 0.0f);
  for (const Candidate& c : all) {
    const auto j = static_cast<std::size_t>(c.provider);
    if (c.weight > best[j]) {
      best[j] = c.weight;
      registrar[j] = c.institution;
    }
  }
  return registrar;
}

SimulationLayout layout_of_share(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                                 const DynamicsParameters& p, std::uint64_t seed) {
  namespace dyn = kernels::dynamics_rules;
  const Communicator& comm = *share.comm;
  const io::Graph& agents = share.agents;
  const io::GraphRows& rows = share.rows;
  const auto me = static_cast<std::size_t>(comm.rank());
  SimulationLayout L;
  L.comm = &comm;
  L.n = agents.n;
  L.nnz = share.nnz;
  const auto un = static_cast<std::size_t>(L.n);
  L.w_bounds = share.w_bounds;
  L.edges = rows.nnz();
  L.edge_bounds = gathered_bounds(comm, L.edges);
  L.edge_begin = L.edge_bounds[me];

  // Wᵀ's rows split by entries (in-degree summed over the processes' ties).
  {
    std::vector<std::int64_t> in_prefix(un + 1, 0);
    for (const std::int32_t j : rows.indices) ++in_prefix[static_cast<std::size_t>(j) + 1];
    comm.sum(in_prefix.data() + 1, L.n);
    std::partial_sum(in_prefix.begin(), in_prefix.end(), in_prefix.begin());
    L.in_bounds = balanced_bounds(in_prefix, comm.size());
    L.in_entries = in_prefix[static_cast<std::size_t>(L.in_bounds[me + 1])] -
                   in_prefix[static_cast<std::size_t>(L.in_bounds[me])];
  }
  check_simulation_size(L.n, std::max(L.edges, L.in_entries));
  kernels::require_memory(
      *exec, dynamics_device_bytes(L.n, std::max(L.edges, L.in_entries), exec->kind()),
      "Process " + std::to_string(me) + "'s share of the simulation of " +
          (agents.source.empty() ? std::string("the graph") : agents.source));
  const std::int64_t first_in = L.in_bounds[me], last_in = L.in_bounds[me + 1];

  // Agents: kinds, registration (the institutions' ties are spread over the processes).
  L.kinds = agents.kind.empty() ? std::vector<std::uint8_t>(un, kernels::kind_resident) : agents.kind;
  L.registrar = derive_registrar(share, p.registration, p.registered_share, seed);
  std::vector<std::uint8_t> reg(un, 0);
  for (std::size_t i = 0; i < un; ++i) reg[i] = L.registrar[i] >= 0;
  L.registered = std::count(reg.begin(), reg.end(), std::uint8_t{1});

  // This process's rows of W: positions, ties, thresholds, registration of the partner.
  const auto ties = static_cast<std::size_t>(L.edges);
  {
    std::vector<std::int64_t> indptr(rows.indptr);
    for (std::int64_t& k : indptr) k += L.edge_begin;
    L.indptr = Array<std::int64_t>::from_host(exec, indptr);
    std::vector<std::uint32_t> thresholds(ties);
    std::vector<std::uint8_t> edge_reg(ties);
    for (std::size_t k = 0; k < ties; ++k) {
      thresholds[k] = dyn::interaction_threshold(p.interaction_rate, rows.data[k]);
      edge_reg[k] = reg[static_cast<std::size_t>(rows.indices[k])];
    }
    L.indices = Array<std::int32_t>::from_host(exec, rows.indices);
    L.threshold = Array<std::uint32_t>::from_host(exec, thresholds);
    L.edge_registered = Array<std::uint8_t>::from_host(exec, edge_reg);
  }

  // Record slots of this process's ties: grouped by the process that
  // tallies each (the owner of its provider's Wᵀ row), W order within.
  L.send_counts.assign(static_cast<std::size_t>(comm.size()), 0);
  {
    std::vector<std::int32_t> to(ties);
    for (std::size_t k = 0; k < ties; ++k) {
      to[k] = owner_of(L.in_bounds, rows.indices[k]);
      ++L.send_counts[static_cast<std::size_t>(to[k])];
    }
    std::vector<std::int64_t> cursor(L.send_counts.size(), 0);  // each destination's first slot
    std::partial_sum(L.send_counts.begin(), L.send_counts.end() - 1, cursor.begin() + 1);
    std::vector<kernels::RecordSlot> edge_slot(ties);
    for (std::size_t k = 0; k < ties; ++k)
      edge_slot[k] = static_cast<kernels::RecordSlot>(cursor[static_cast<std::size_t>(to[k])]++);
    L.in.edge_slot = Array<kernels::RecordSlot>::from_host(exec, edge_slot);
  }

  // This process's rows of Wᵀ: every tie sent to the owner of its provider's row.
  struct InEntry {
    std::int32_t provider, customer;
    std::int64_t tie;  // W position
  };
  std::vector<std::int32_t> source;
  std::vector<std::int64_t> tie;
  const std::vector<std::int64_t> in_indptr = route_to_rows<InEntry>(
      comm, L.in_bounds,
      [&](const auto& emit) {
        for (std::int64_t i = rows.first; i < rows.last; ++i)
          for (std::int64_t k = rows.indptr[static_cast<std::size_t>(i - rows.first)];
               k < rows.indptr[static_cast<std::size_t>(i - rows.first) + 1]; ++k)
            emit(InEntry{rows.indices[static_cast<std::size_t>(k)], static_cast<std::int32_t>(i), L.edge_begin + k});
      },
      [](const InEntry& x) { return x.provider; },
      [&](std::int64_t count) {
        source.resize(static_cast<std::size_t>(count));
        tie.resize(static_cast<std::size_t>(count));
      },
      [&](std::int64_t at, const InEntry& x) {
        source[static_cast<std::size_t>(at)] = x.customer;
        tie[static_cast<std::size_t>(at)] = x.tie;
      });
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(source.size()) == L.in_entries, "Wᵀ's rows: entries lost in transit");
  // The receive buffer holds the records by sender, each sender's in W
  // order: ascending W positions throughout, since the senders' ties are
  // consecutive ranges of W in rank order.
  {
    std::vector<std::int64_t> order(source.size());
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
      return tie[static_cast<std::size_t>(x)] < tie[static_cast<std::size_t>(y)];
    });
    std::vector<kernels::RecordSlot> in_slot(source.size());
    for (std::size_t m = 0; m < order.size(); ++m)
      in_slot[static_cast<std::size_t>(order[m])] = static_cast<kernels::RecordSlot>(m);
    L.in.in_slot = Array<kernels::RecordSlot>::from_host(exec, in_slot);
  }
  L.recv_counts.assign(static_cast<std::size_t>(comm.size()), 0);
  for (const std::int32_t i : source) ++L.recv_counts[static_cast<std::size_t>(owner_of(L.w_bounds, i))];
  TRUSTPROP_ASSERT(comm.alltoall_counts(L.send_counts) == L.recv_counts,
                   "the records sent and the Wᵀ entries received disagree");
  L.in.indptr = Array<std::int64_t>::from_host(exec, in_indptr);
  L.in.source = Array<std::int32_t>::from_host(exec, source);
  kernels::dispatch(*exec, [&](const auto& x) { dyn_sell_lanes(x, L.in); });

  // Long rows (the GPU's block-per-row kernels), global ids.
  std::vector<std::int32_t> long_w, long_in;
  for (std::int64_t i = rows.first; i < rows.last; ++i)
    if (rows.indptr[static_cast<std::size_t>(i - rows.first) + 1] - rows.indptr[static_cast<std::size_t>(i - rows.first)] >
        kernels::dyn_long_row)
      long_w.push_back(static_cast<std::int32_t>(i));
  for (std::int64_t j = first_in; j < last_in; ++j)
    if (in_indptr[static_cast<std::size_t>(j - first_in) + 1] - in_indptr[static_cast<std::size_t>(j - first_in)] >
        kernels::dyn_long_row)
      long_in.push_back(static_cast<std::int32_t>(j));
  L.kind = Array<std::uint8_t>::from_host(exec, L.kinds);
  L.is_registered = Array<std::uint8_t>::from_host(exec, reg);
  L.long_rows = Array<std::int32_t>::from_host(exec, long_w);
  L.long_in_rows = Array<std::int32_t>::from_host(exec, long_in);
  L.pretrust = Array<double>::from_host(exec, build_pretrust(agents, "institutions").p);

  point_view(L, rows.first, rows.last, first_in, last_in);
  return L;
}

}  // namespace trustprop::host
