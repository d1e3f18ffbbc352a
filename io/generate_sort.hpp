// Sorting one row's ties for the generators: each tie packed in a 64-bit
// word, column in the high half and the weight's float bits in the low half,
// so ascending order is by column, then (for positive weights) by weight,
// and the last of a run of equal columns carries the largest weight.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace trustprop::io {

#ifndef TRUSTPROP_SORT_TIES_MAX
#define TRUSTPROP_SORT_TIES_MAX 64
#endif
inline constexpr std::size_t kInsertionSortMax = TRUSTPROP_SORT_TIES_MAX;

// Ascending sort of `count` packed ties in place.
inline void sort_ties(std::uint64_t* ties, std::size_t count) {
  if (count <= kInsertionSortMax) {  // insertion sort: rows are short and partly ordered
    for (std::size_t i = 1; i < count; ++i) {
      const std::uint64_t v = ties[i];
      std::size_t j = i;
      for (; j > 0 && ties[j - 1] > v; --j) ties[j] = ties[j - 1];
      ties[j] = v;
    }
    return;
  }
  std::sort(ties, ties + count);
}

}  // namespace trustprop::io
