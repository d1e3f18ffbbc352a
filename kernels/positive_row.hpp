// The positive part of one row i of W, as every transition Cᵀ sees it
// (kernels/eigentrust.hpp): s_i = Σ_j max(w_ij, 0) summed in double in
// column order, d_i the positive entries counted, whether they are all
// equal (the value-free form), and c_ij = float(w_ij · (1/s_i)). The CPU
// build and the distributed one (host/transition_share.cpp) share it, so a
// distributed run gets Cᵀ's values bit for bit.
#pragma once

#include <cstdint>

namespace trustprop::kernels {

struct PositiveRow {
  double sum = 0.0;
  std::int64_t count = 0;
  bool uniform = true;  // every positive entry equals the first one

  double inverse_sum() const { return sum > 0.0 ? 1.0 / sum : 0.0; }   // 0: a dangling row
  double inverse_count() const { return count > 0 ? 1.0 / static_cast<double>(count) : 0.0; }
};

// Scans entries [begin, end) of W's values; calls each(k) for every
// positive one, in order.
template <class Each>
PositiveRow positive_row(const float* values, std::int64_t begin, std::int64_t end, Each&& each) {
  PositiveRow r;
  float first = 0.0f;
  for (std::int64_t k = begin; k < end; ++k) {
    if (values[k] > 0.0f) {
      if (first == 0.0f) first = values[k];
      r.uniform = r.uniform && values[k] == first;
      r.sum += values[k];
      ++r.count;
      each(k);
    }
  }
  return r;
}

// Cᵀ's value of a positive w_ij, given 1/s_i.
inline float transition_value(float w, double inverse_sum) { return static_cast<float>(w * inverse_sum); }

}  // namespace trustprop::kernels
