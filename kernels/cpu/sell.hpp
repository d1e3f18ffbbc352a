// The row products of a SELL-8 Cᵀ (kernels::SellChunks) on the CPU, in
// AVX-512, AVX2 or scalar code: every level gives the same bits, the plain
// CSR loop's (each row summed over its entries in order, in double).
#pragma once

#include <cstdint>

#include "kernels/eigentrust.hpp"

namespace trustprop::kernels::cpu {

enum class Simd { scalar, avx2, avx512 };

// The widest level this CPU runs, lowered by the environment variable
// TRUSTPROP_CPU_SIMD=scalar|avx2 (a diagnostic; an unknown value is ignored
// with a warning on stderr). Read once per process.
Simd simd_level();
const char* simd_name(Simd level);
// Whether this CPU runs `level` at all.
bool simd_supported(Simd level);

// y[rows[s]] = Σ_p c_p·x[i_p] over the entries of every lane s (ValueFree:
// Σ_p x[i_p]), the chunks shared among the OpenMP threads. Writes every row
// of Cᵀ once; padding lanes are skipped.
template <bool ValueFree, class Gathered>
void sell_products(Simd level, const SellChunks& sell, const std::int32_t* indices, const float* values,
                   const Gathered* x, double* y);

}  // namespace trustprop::kernels::cpu
