// The lanes of a SELL-8 layout (kernels::SellChunks) for rows of given
// lengths, shared by every CPU structure stored that way: EigenTrust's Cᵀ
// (kernels/cpu/eigentrust.cpp) and the city dynamics' Wᵀ pattern
// (kernels/cpu/dynamics.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/array.hpp"
#include "kernels/eigentrust.hpp"

namespace trustprop::kernels::cpu {

class CpuExecutor;

// Rows longest first (equal lengths in row order, a counting sort), 8 per
// chunk; chunk c's entries start at offsets[c], and entry p of the row in
// lane l at offsets[c] + 8·p + l.
struct SellLanes {
  Array<std::int64_t> offsets;      // chunks + 1
  Array<std::int32_t> rows;         // 8 per chunk: each lane's row, -1 for padding
  Array<std::int32_t> lengths;      // 8 per chunk: each lane's entries, non-increasing
  std::vector<std::int64_t> first;  // per row: the position of its entry 0 (entry p at first + 8·p)
  std::int64_t entries = 0;         // stored entries, padding included
  std::int64_t nnz = 0;             // real entries

  // More than a quarter of the stored entries beyond the real ones (a star:
  // one row holding most of them): such a graph keeps CSR.
  bool pads_too_much() const { return entries - nnz > nnz / 4; }
  SellChunks chunks() const { return sell_chunks(offsets, rows, lengths); }
};

SellLanes sell_lanes(const CpuExecutor& exec, const std::vector<std::int32_t>& length);

// sell[offsets[c] + 8·p + l] = csr[indptr[row] + p] for the row of every
// lane l of every chunk c, and T{} in the padding: CSR-ordered entries
// copied into the lanes. One streaming pass: each chunk reads its 8 rows
// front to back and writes its entries in order.
template <class T>
void to_sell_lanes(const SellChunks& s, const std::int64_t* indptr, const T* csr, T* sell) {
#pragma omp parallel for schedule(dynamic, 256)
  for (std::int64_t c = 0; c < s.chunks; ++c) {
    const std::int32_t m = s.lengths[8 * c];
    const std::int32_t* row = s.rows + 8 * c;
    const std::int32_t* length = s.lengths + 8 * c;
    T* out = sell + s.offsets[c];
    for (std::int32_t p = 0; p < m; ++p)
      for (int l = 0; l < 8; ++l) out[8 * p + l] = p < length[l] ? csr[indptr[row[l]] + p] : T{};
  }
}

}  // namespace trustprop::kernels::cpu
