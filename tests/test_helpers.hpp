// Small helpers shared by the GoogleTest suites: temporary paths and tiny
// graphs written out by hand.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "io/graph.hpp"

namespace trustprop::testing {

// A fresh path under the system temp directory, removed on destruction.
class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : path_(std::string(::testing::TempDir()) + "trustprop-" + std::to_string(getpid()) + "-" + name) {
    std::remove(path_.c_str());
  }
  ~TempPath() { std::remove(path_.c_str()); }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// Builds a CSR graph from (source, target, weight) triples, sorted by the caller's order.
inline io::Graph graph_from_edges(std::int64_t n, std::vector<std::tuple<int, int, float>> edges) {
  std::sort(edges.begin(), edges.end());
  io::Graph g;
  g.n = n;
  g.indptr.assign(static_cast<std::size_t>(n) + 1, 0);
  for (auto& [s, t, w] : edges) {
    ++g.indptr[static_cast<std::size_t>(s) + 1];
    g.indices.push_back(t);
    g.data.push_back(w);
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) g.indptr[i + 1] += g.indptr[i];
  return g;
}

}  // namespace trustprop::testing
