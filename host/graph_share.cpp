#include "host/graph_share.hpp"

#include "host/partition.hpp"

namespace trustprop::host {

GraphShare read_graph_share(const Communicator& comm, const std::string& path) {
  GraphShare s;
  s.comm = &comm;
  const io::GraphHeader h = io::read_graph_header(path);
  s.nnz = h.nnz;
  s.agents = io::read_graph_agents(path, h);
  const std::vector<std::int64_t> indptr = io::read_graph_indptr(path, h);
  s.w_bounds = balanced_bounds(indptr, comm.size());
  const auto r = static_cast<std::size_t>(comm.rank());
  s.rows = io::read_graph_rows(path, h.n, indptr, s.w_bounds[r], s.w_bounds[r + 1]);
  return s;
}

}  // namespace trustprop::host
