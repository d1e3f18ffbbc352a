#include "host/pretrust.hpp"

#include <algorithm>
#include <numeric>

#include "common/error.hpp"
#include "host/rank_options.hpp"

namespace trustprop::host {

std::vector<std::int64_t> agents_of_ids(const io::Graph& g, const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out(ids.size(), -1);
  if (g.id.empty()) {
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (ids[k] >= 0 && ids[k] < g.n) out[k] = ids[k];
    return out;
  }
  // Original ids need not be sorted in general: search a sorted copy.
  std::vector<std::int64_t> order(static_cast<std::size_t>(g.n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return g.id[a] < g.id[b]; });
  for (std::size_t k = 0; k < ids.size(); ++k) {
    auto it = std::lower_bound(order.begin(), order.end(), ids[k],
                               [&](std::int64_t agent, std::int64_t id) { return g.id[agent] < id; });
    if (it != order.end() && g.id[*it] == ids[k]) out[k] = *it;
  }
  return out;
}

Pretrust build_pretrust(const io::Graph& g, const std::string& spec) {
  Pretrust r;
  const auto n = static_cast<std::size_t>(g.n);
  r.p.assign(n, 0.0);
  std::vector<std::int64_t> set;
  if (spec == "institutions") {
    for (std::size_t i = 0; i < g.kind.size(); ++i)
      if (g.kind[i] == static_cast<std::uint8_t>(io::AgentKind::institution)) set.push_back(static_cast<std::int64_t>(i));
    r.description = set.empty() ? "all agents (the graph has no institutions)" : "institutions";
  } else if (spec == "all") {
    r.description = "all agents";
  } else {
    set = agents_from_file(g, spec, "--pretrust");
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    r.description = "agents listed in " + spec;
  }
  if (g.n == 0) return r;
  if (set.empty()) {
    std::fill(r.p.begin(), r.p.end(), 1.0 / static_cast<double>(n));
    r.agents = g.n;
  } else {
    for (auto i : set) r.p[static_cast<std::size_t>(i)] = 1.0 / static_cast<double>(set.size());
    r.agents = static_cast<std::int64_t>(set.size());
  }
  return r;
}

}  // namespace trustprop::host
