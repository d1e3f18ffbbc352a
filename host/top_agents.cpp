#include "host/top_agents.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace trustprop::host {

std::vector<RankedAgent> top_agents(const std::vector<double>& values, int k) {
  std::vector<std::int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  const auto kk = std::min<std::size_t>(static_cast<std::size_t>(std::max(k, 0)), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
                    [&](std::int64_t a, std::int64_t b) { return values[a] > values[b] || (values[a] == values[b] && a < b); });
  std::vector<RankedAgent> top;
  for (std::size_t r = 0; r < kk; ++r) top.push_back({order[r], values[static_cast<std::size_t>(order[r])]});
  return top;
}

void print_top_agents(const io::Graph& g, const std::vector<RankedAgent>& top, const std::string& label) {
  if (top.empty()) return;
  static const char* kinds[] = {"resident", "enterprise", "institution"};
  std::printf("%5s  %10s  %12s  %-11s  %s\n", "rank", "agent", "id", "kind", label.c_str());
  for (std::size_t r = 0; r < top.size(); ++r) {
    const auto a = top[r].agent;
    const long long id = g.id.empty() ? a : g.id[static_cast<std::size_t>(a)];
    const char* kind = g.kind.empty() ? "-" : kinds[g.kind[static_cast<std::size_t>(a)] % 3];
    std::printf("%5zu  %10lld  %12lld  %-11s  %.6e\n", r + 1, static_cast<long long>(a), id, kind, top[r].value);
  }
}

}  // namespace trustprop::host
