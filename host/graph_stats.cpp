#include "host/graph_stats.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace trustprop::host {

namespace {

DegreeStats degree_stats(std::vector<std::int64_t> d) {
  DegreeStats s;
  if (d.empty()) return s;
  std::int64_t sum = 0;
  for (auto v : d) sum += v;
  s.mean = static_cast<double>(sum) / static_cast<double>(d.size());
  // The usual median: the middle degree, or the mean of the two middle ones.
  const auto mid = d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2);
  std::nth_element(d.begin(), mid, d.end());
  s.median = static_cast<double>(*mid);
  if (d.size() % 2 == 0) s.median = (s.median + static_cast<double>(*std::max_element(d.begin(), mid))) / 2.0;
  auto [lo, hi] = std::minmax_element(d.begin(), d.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

nlohmann::json to_json(const DegreeStats& d) {
  return {{"min", d.min}, {"max", d.max}, {"median", d.median}, {"mean", d.mean}};
}

}  // namespace

GraphStats compute_stats(const io::Graph& g) {
  GraphStats s;
  const auto n = static_cast<std::size_t>(g.n);
  s.agents = g.n;
  s.edges = g.nnz();
  std::vector<std::int64_t> out(n), in(n, 0);
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = g.indptr[i + 1] - g.indptr[i];
    bool positive = false;
    for (auto k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
      const auto j = static_cast<std::size_t>(g.indices[k]);
      ++in[j];
      const float w = g.data[k];
      positive |= w > 0.0f;
      s.negative += w < 0.0f;
      s.zero += w == 0.0f;
      s.self_loops += j == i;
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    s.dangling += !positive;
  }
  for (std::size_t i = 0; i < n; ++i) s.isolated += out[i] == 0 && in[i] == 0;
  s.weight_min = s.edges ? lo : 0.0f;
  s.weight_max = s.edges ? hi : 0.0f;
  s.out_degree = degree_stats(std::move(out));
  s.in_degree = degree_stats(std::move(in));
  s.has_kinds = !g.kind.empty();
  s.has_ids = !g.id.empty();
  for (auto k : g.kind) ++s.kinds[k % 3];
  return s;
}

nlohmann::json to_json(const GraphStats& s) {
  nlohmann::json j{{"agents", s.agents},
                   {"edges", s.edges},
                   {"out_degree", to_json(s.out_degree)},
                   {"in_degree", to_json(s.in_degree)},
                   {"dangling", s.dangling},
                   {"isolated", s.isolated},
                   {"self_loops", s.self_loops},
                   {"signed", s.negative > 0},
                   {"negative_edges", s.negative},
                   {"zero_edges", s.zero},
                   {"weight_min", s.weight_min},
                   {"weight_max", s.weight_max},
                   {"has_ids", s.has_ids}};
  if (s.has_kinds)
    j["kinds"] = {{"resident", s.kinds[0]}, {"enterprise", s.kinds[1]}, {"institution", s.kinds[2]}};
  return j;
}

}  // namespace trustprop::host
