#include "host/graph_share.hpp"

#include "common/error.hpp"
#include "host/partition.hpp"
#include "io/content_hash.hpp"

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

GraphShare generate_city_share(const Communicator& comm, const io::CityParams& params) {
  GraphShare s;
  s.comm = &comm;
  io::Graph& agents = s.agents;
  agents.n = params.agents;
  io::CityLayout layout;

  // Pass 1: the row lengths (W's indptr) and the content hash, fed as a
  // graph file's writer feeds it (io/graph_file.cpp).
  std::vector<std::int64_t> indptr{0};
  {
    io::ContentHasher hash;
    hash.indptr(indptr.data(), sizeof(std::int64_t));
    io::generate_city_rows(
        params,
        [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* columns, const float* weights) {
          const std::size_t first = indptr.size();
          for (std::int64_t r = 0; r < rows; ++r) indptr.push_back(indptr.back() + lengths[r]);
          const auto ties = static_cast<std::size_t>(indptr.back() - indptr[first - 1]);
          hash.indptr(indptr.data() + first, static_cast<std::size_t>(rows) * sizeof(std::int64_t));
          hash.indices(columns, ties * sizeof(std::int32_t));
          hash.data(weights, ties * sizeof(float));
        },
        agents.kind, layout);
    agents.content_hash = hash.hex();
  }
  s.nnz = indptr.back();
  s.w_bounds = balanced_bounds(indptr, comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());
  io::GraphRows& w = s.rows;
  w.n = agents.n;
  w.first = s.w_bounds[me];
  w.last = s.w_bounds[me + 1];
  w.indptr.assign(indptr.begin() + w.first, indptr.begin() + w.last + 1);
  const std::int64_t base = w.indptr.front();
  for (std::int64_t& k : w.indptr) k -= base;
  w.indices.reserve(static_cast<std::size_t>(w.indptr.back()));
  w.data.reserve(static_cast<std::size_t>(w.indptr.back()));

  // Pass 2: this process's rows.
  std::int64_t row = 0;
  std::vector<std::uint8_t> kinds;
  io::generate_city_rows(
      params,
      [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* columns, const float* weights) {
        std::int64_t k = 0;
        for (std::int64_t r = 0; r < rows; ++r, ++row) {
          if (row >= w.first && row < w.last) {
            w.indices.insert(w.indices.end(), columns + k, columns + k + lengths[r]);
            w.data.insert(w.data.end(), weights + k, weights + k + lengths[r]);
          }
          k += lengths[r];
        }
      },
      kinds, layout);
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(w.indices.size()) == w.indptr.back(),
                   "generate_city_share: the second pass drew other rows than the first");
  return s;
}

}  // namespace trustprop::host
