// The static structure of a simulation in the executor's memory
// (host/dynamics.hpp's Simulation): W's rows with their thresholds, Wᵀ's
// rows with the record slots, per-agent data and the kernels' view of it,
// built once from (graph, parameters, seed). For one process it covers the
// whole graph (layout_of_graph, host/dynamics.cpp); in a distributed run
// (DESIGN §7) each process holds its share (layout_of_share,
// host/dynamics_share.cpp): its rows of W, with their evidence, and its rows
// of Wᵀ (the customers of its providers), and every per-agent array whole.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "host/dynamics.hpp"
#include "host/graph_share.hpp"
#include "kernels/array.hpp"
#include "kernels/dynamics.hpp"

namespace trustprop::host {

struct SimulationLayout {
  std::int64_t n = 0, nnz = 0;  // the whole graph's agents and ties
  std::vector<std::int32_t> registrar;
  std::int64_t registered = 0;
  std::vector<std::uint8_t> kinds;  // host copy, for the initial strategies

  kernels::Array<std::int64_t> indptr;      // this process's rows of W (+1), W positions k
  kernels::Array<std::int32_t> indices;     // their ties (W order)
  kernels::Array<std::uint32_t> threshold;  //   their interaction thresholds
  kernels::Array<std::uint8_t> edge_registered;
  kernels::InPattern in;                    // this process's rows of Wᵀ and the record slots
  kernels::Array<std::uint8_t> kind, is_registered;  // n
  kernels::Array<std::int32_t> long_rows, long_in_rows;
  kernels::Array<double> pretrust;          // n
  kernels::DynamicsGraphView view;          // pointers shifted to global indices (kernels/dynamics.hpp)

  // A distributed run; one process: comm null, one range of everything.
  const Communicator* comm = nullptr;
  std::vector<std::int64_t> w_bounds, in_bounds;  // every process's rows of W and of Wᵀ
  std::vector<std::int64_t> edge_bounds;          // every process's ties (W positions), for gathering r, s
  std::int64_t edge_begin = 0, edges = 0;         // this process's ties: [edge_begin, edge_begin + edges)
  std::int64_t in_entries = 0;                    // entries of this process's Wᵀ rows (records that arrive)
  // Records of this process's ties sent to each process (the owners of
  // their providers' Wᵀ rows), and received from each, in rank order; the
  // record slots put each tie's record in its place in the send buffer
  // (grouped by destination, W order within) and read each Wᵀ entry's
  // from its place in the receive buffer (by sender, W order within).
  std::vector<std::int64_t> send_counts, recv_counts;
};

// Throws DataError unless the simulation can hold n agents (32-bit ids)
// and `ties` ties (or Wᵀ entries) in one executor (32-bit record slots).
void check_simulation_size(std::int64_t n, std::int64_t ties);

// Points L.view at L's arrays: the rows of W and of Wᵀ given, and the
// pointers of the arrays that hold only those rows (and their ties, from
// L.edge_begin) offset so that the kernels index them by global row and W
// position (kernels/dynamics.hpp).
void point_view(SimulationLayout& L, std::int64_t row_begin, std::int64_t row_end, std::int64_t in_row_begin,
                std::int64_t in_row_end);

// One process, the whole graph.
SimulationLayout layout_of_graph(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                 const DynamicsParameters& p, std::uint64_t seed);

// This process's share of a distributed run. Collective.
SimulationLayout layout_of_share(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                                 const DynamicsParameters& p, std::uint64_t seed);

// The registered providers of a distributed run: derive_registrar's choice,
// the institutions' ties read from the processes that hold their rows.
// Collective.
std::vector<std::int32_t> derive_registrar(const GraphShare& share, Registration how, double registered_share,
                                           std::uint64_t seed);

}  // namespace trustprop::host
