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

GraphShare share_of_graph(const Communicator& comm, io::Graph&& whole) {
  GraphShare s;
  s.comm = &comm;
  s.nnz = whole.nnz();
  s.w_bounds = balanced_bounds(whole.indptr, comm.size());
  const auto r = static_cast<std::size_t>(comm.rank());
  const std::int64_t first = s.w_bounds[r], last = s.w_bounds[r + 1];
  const auto b = static_cast<std::size_t>(whole.indptr[static_cast<std::size_t>(first)]);
  const auto e = static_cast<std::size_t>(whole.indptr[static_cast<std::size_t>(last)]);
  s.rows.n = whole.n;
  s.rows.first = first;
  s.rows.last = last;
  s.rows.indptr.assign(whole.indptr.begin() + first, whole.indptr.begin() + last + 1);
  for (std::int64_t& k : s.rows.indptr) k -= static_cast<std::int64_t>(b);
  s.rows.indices.assign(whole.indices.begin() + static_cast<std::ptrdiff_t>(b),
                        whole.indices.begin() + static_cast<std::ptrdiff_t>(e));
  s.rows.data.assign(whole.data.begin() + static_cast<std::ptrdiff_t>(b),
                     whole.data.begin() + static_cast<std::ptrdiff_t>(e));
  s.agents = std::move(whole);
  std::vector<std::int64_t>().swap(s.agents.indptr);
  std::vector<std::int32_t>().swap(s.agents.indices);
  std::vector<float>().swap(s.agents.data);
  return s;
}

}  // namespace trustprop::host
