#include "host/partition.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace trustprop::host {

std::vector<std::int64_t> balanced_bounds(const std::vector<std::int64_t>& entries_prefix, int parts) {
  TRUSTPROP_ASSERT(parts >= 1 && !entries_prefix.empty(), "balanced_bounds: at least one part and one offset");
  const auto n = static_cast<std::int64_t>(entries_prefix.size()) - 1;
  const auto cost = [&](std::int64_t i) { return entries_prefix[static_cast<std::size_t>(i)] + i; };
  const long double total = static_cast<long double>(cost(n));
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(parts) + 1, n);
  bounds[0] = 0;
  std::int64_t i = 0;
  for (int r = 1; r < parts; ++r) {
    const long double target = total * r / parts;
    while (i < n && static_cast<long double>(cost(i)) < target) ++i;
    bounds[static_cast<std::size_t>(r)] = i;
  }
  return bounds;
}

std::vector<std::int64_t> even_bounds(std::int64_t count, int parts) {
  TRUSTPROP_ASSERT(parts >= 1 && count >= 0, "even_bounds: at least one part");
  std::vector<std::int64_t> b(static_cast<std::size_t>(parts) + 1);
  for (int r = 0; r <= parts; ++r) b[static_cast<std::size_t>(r)] = count * r / parts;
  return b;
}

int owner_of(const std::vector<std::int64_t>& bounds, std::int64_t agent) {
  // The last range starting at or before `agent`: upper_bound skips empty ranges.
  const auto it = std::upper_bound(bounds.begin(), bounds.end() - 1, agent);
  return static_cast<int>(it - bounds.begin()) - 1;
}

}  // namespace trustprop::host
