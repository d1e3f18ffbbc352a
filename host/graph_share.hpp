// One process's share of a graph in a distributed run (DESIGN §7): every
// process reads the header and /graph/indptr, splits W's rows into ranges
// of about equal entries (host/partition.hpp), and reads only its own rows
// (a hyperslab of indices and data) plus the agents' data (kinds and ids,
// for the pre-trust set and the results). W is never whole in one process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/world.hpp"
#include "io/graph.hpp"
#include "io/generate_city.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

struct GraphShare {
  const Communicator* comm = nullptr;
  io::Graph agents;                    // n, kinds, ids and provenance; no edges
  std::int64_t nnz = 0;                // W's entries, all processes together
  std::vector<std::int64_t> w_bounds;  // W's rows of process r: [w_bounds[r], w_bounds[r + 1])
  io::GraphRows rows;                  // this process's rows
};

// Collective: every process of `comm` calls it. Bad input throws the same
// error on every process that read it (io::read_graph's messages).
GraphShare read_graph_share(const Communicator& comm, const std::string& path);

// The same share of a city generated in memory (io/generate_city.hpp),
// without any process holding the whole city: every process generates it
// twice, streaming, once for the row lengths and the content hash (the
// whole graph's, as a file of it would store), once to keep its own rows.
// Rows are independent draws, so each process's rows are the whole city's.
// Collective.
GraphShare generate_city_share(const Communicator& comm, const io::CityParams& params);

}  // namespace trustprop::host
