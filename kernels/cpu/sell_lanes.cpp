// The lanes of a SELL-8 layout (kernels/cpu/sell_lanes.hpp): a counting
// sort of the rows by length, then each row's first entry.
#include "kernels/cpu/sell_lanes.hpp"

#include <algorithm>
#include <numeric>

#include "kernels/cpu/executor.hpp"

namespace trustprop::kernels::cpu {

SellLanes sell_lanes(const CpuExecutor& exec, const std::vector<std::int32_t>& length) {
  const auto n = static_cast<std::int64_t>(length.size());
  auto ex = exec.shared_from_this();
  const std::int32_t longest = n > 0 ? *std::max_element(length.begin(), length.end()) : 0;
  std::vector<std::int64_t> slot(static_cast<std::size_t>(longest) + 2, 0);  // first lane of each length
  for (const std::int32_t d : length) ++slot[static_cast<std::size_t>(longest - d) + 1];
  std::partial_sum(slot.begin(), slot.end(), slot.begin());
  const std::int64_t chunks = (n + 7) / 8;
  SellLanes s;
  s.rows = Array<std::int32_t>(ex, static_cast<std::size_t>(8 * chunks));
  s.lengths = Array<std::int32_t>(ex, static_cast<std::size_t>(8 * chunks));
  std::fill(s.rows.data(), s.rows.data() + 8 * chunks, -1);
  std::fill(s.lengths.data(), s.lengths.data() + 8 * chunks, 0);
  s.first.resize(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int32_t d = length[static_cast<std::size_t>(j)];
    const std::int64_t lane = slot[static_cast<std::size_t>(longest - d)]++;
    s.rows.data()[lane] = static_cast<std::int32_t>(j);
    s.lengths.data()[lane] = d;
    s.first[static_cast<std::size_t>(j)] = lane;
  }
  s.offsets = Array<std::int64_t>(ex, static_cast<std::size_t>(chunks + 1));
  std::int64_t* offset = s.offsets.data();
  offset[0] = 0;
  for (std::int64_t c = 0; c < chunks; ++c) offset[c + 1] = offset[c] + 8 * std::int64_t{s.lengths.data()[8 * c]};
  s.entries = offset[chunks];
  s.nnz = std::accumulate(length.begin(), length.end(), std::int64_t{0});
#pragma omp parallel for schedule(static)
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int64_t lane = s.first[static_cast<std::size_t>(j)];
    s.first[static_cast<std::size_t>(j)] = offset[lane / 8] + lane % 8;
  }
  return s;
}

}  // namespace trustprop::kernels::cpu
