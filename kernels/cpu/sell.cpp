// SELL-8 row products (kernels/cpu/sell.hpp). The build compiles for
// x86-64-v2; the AVX2 and AVX-512 chunk kernels carry their own target
// attributes and run only where the CPU reports them. This file is compiled
// with -ffp-contract=off: a fused multiply-add would round c·x once instead
// of twice and break the bitwise agreement with the scalar and CSR loops.
#include "kernels/cpu/sell.hpp"

#include <immintrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace trustprop::kernels::cpu {

namespace {

// One chunk, lane by lane: the CSR loop on each of its rows.
template <bool ValueFree, class G>
void chunk_scalar(const SellChunks& s, std::int64_t c, const std::int32_t* ci, const float* cv, const G* x, double* y) {
  const std::int64_t base = s.offsets[c];
  for (int l = 0; l < 8; ++l) {
    const std::int32_t row = s.rows[8 * c + l];
    if (row < 0) continue;
    double sum = 0.0;
    for (std::int64_t p = 0, q = base + l; p < s.lengths[8 * c + l]; ++p, q += 8) {
      if constexpr (ValueFree)
        sum += static_cast<double>(x[ci[q]]);
      else
        sum += static_cast<double>(cv[q]) * static_cast<double>(x[ci[q]]);
    }
    y[row] = sum;
  }
}

void store_lanes(const SellChunks& s, std::int64_t c, const double* sums, double* y) {
  for (int l = 0; l < 8; ++l)
    if (const std::int32_t row = s.rows[8 * c + l]; row >= 0) y[row] = sums[l];
}

// One chunk, 8 lanes in two registers of 4 doubles. Lanes whose row has
// ended gather 0 and add it: their sums keep their bits.
template <bool ValueFree, class G>
__attribute__((target("avx2"))) void chunk_avx2(const SellChunks& s, std::int64_t c, const std::int32_t* ci,
                                                const float* cv, const G* x, double* y) {
  const __m256i lengths = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.lengths + 8 * c));
  const std::int64_t base = s.offsets[c];
  const std::int32_t m = s.lengths[8 * c];
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  for (std::int32_t p = 0; p < m; ++p) {
    const std::int64_t q = base + 8 * static_cast<std::int64_t>(p);
    const __m256i live = _mm256_cmpgt_epi32(lengths, _mm256_set1_epi32(p));
    const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ci + q));
    __m256d xlo, xhi;
    if constexpr (std::is_same_v<G, float>) {
      const __m256 xv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, index, _mm256_castsi256_ps(live), 4);
      xlo = _mm256_cvtps_pd(_mm256_castps256_ps128(xv));
      xhi = _mm256_cvtps_pd(_mm256_extractf128_ps(xv, 1));
    } else {
      const __m256d live_lo = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(live)));
      const __m256d live_hi = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(live, 1)));
      xlo = _mm256_mask_i32gather_pd(_mm256_setzero_pd(), x, _mm256_castsi256_si128(index), live_lo, 8);
      xhi = _mm256_mask_i32gather_pd(_mm256_setzero_pd(), x, _mm256_extracti128_si256(index, 1), live_hi, 8);
    }
    if constexpr (ValueFree) {
      lo = _mm256_add_pd(lo, xlo);
      hi = _mm256_add_pd(hi, xhi);
    } else {
      const __m256 v = _mm256_loadu_ps(cv + q);
      lo = _mm256_add_pd(lo, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), xlo));
      hi = _mm256_add_pd(hi, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), xhi));
    }
  }
  alignas(32) double sums[8];
  _mm256_store_pd(sums, lo);
  _mm256_store_pd(sums + 4, hi);
  store_lanes(s, c, sums, y);
}

// One chunk, 8 lanes in one register of 8 doubles, ended lanes masked off.
// (GCC 12's _mm512_cvtps_pd passes _mm512_undefined_pd() to its builtin,
// which -Wmaybe-uninitialized reports: a false alarm in the header.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <bool ValueFree, class G>
__attribute__((target("avx512f,avx512vl"))) void chunk_avx512(const SellChunks& s, std::int64_t c,
                                                              const std::int32_t* ci, const float* cv, const G* x,
                                                              double* y) {
  const __m256i lengths = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.lengths + 8 * c));
  const std::int64_t base = s.offsets[c];
  const std::int32_t m = s.lengths[8 * c];
  __m512d sum = _mm512_setzero_pd();
  for (std::int32_t p = 0; p < m; ++p) {
    const std::int64_t q = base + 8 * static_cast<std::int64_t>(p);
    const __mmask8 live = _mm256_cmpgt_epi32_mask(lengths, _mm256_set1_epi32(p));
    const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ci + q));
    __m512d xv;
    if constexpr (std::is_same_v<G, float>)
      xv = _mm512_cvtps_pd(_mm256_mmask_i32gather_ps(_mm256_setzero_ps(), live, index, x, 4));
    else
      xv = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), live, index, x, 8);
    if constexpr (ValueFree)
      sum = _mm512_add_pd(sum, xv);
    else
      sum = _mm512_add_pd(sum, _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(cv + q)), xv));
  }
  alignas(64) double sums[8];
  _mm512_store_pd(sums, sum);
  store_lanes(s, c, sums, y);
}
#pragma GCC diagnostic pop

}  // namespace

bool simd_supported(Simd level) {
  __builtin_cpu_init();
  switch (level) {
    case Simd::scalar:
      return true;
    case Simd::avx2:
      return __builtin_cpu_supports("avx2");
    case Simd::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  }
  return false;
}

namespace {
// The best level, capped by TRUSTPROP_CPU_SIMD.
Simd detect() {
  Simd best = simd_supported(Simd::avx512) ? Simd::avx512 : simd_supported(Simd::avx2) ? Simd::avx2 : Simd::scalar;
  if (const char* cap = std::getenv("TRUSTPROP_CPU_SIMD"); cap && *cap) {
    if (std::strcmp(cap, "scalar") == 0)
      best = Simd::scalar;
    else if (std::strcmp(cap, "avx2") == 0)
      best = best == Simd::scalar ? best : Simd::avx2;
    else if (std::strcmp(cap, "avx512") != 0)
      std::fprintf(stderr, "trustprop: warning: TRUSTPROP_CPU_SIMD=%s is not scalar, avx2 or avx512: ignored\n", cap);
  }
  return best;
}
}  // namespace

Simd simd_level() {
  static const Simd level = detect();
  return level;
}

const char* simd_name(Simd level) {
  switch (level) {
    case Simd::scalar:
      return "scalar";
    case Simd::avx2:
      return "AVX2";
    case Simd::avx512:
      return "AVX-512";
  }
  return "?";
}

template <bool ValueFree, class Gathered>
void sell_products(Simd level, const SellChunks& s, const std::int32_t* ci, const float* cv, const Gathered* x,
                   double* y) {
  // Chunks come longest first (the hubs): dynamic scheduling in small
  // pieces balances them.
  switch (level) {
    case Simd::avx512:
#pragma omp parallel for schedule(dynamic, 64)
      for (std::int64_t c = 0; c < s.chunks; ++c) chunk_avx512<ValueFree>(s, c, ci, cv, x, y);
      break;
    case Simd::avx2:
#pragma omp parallel for schedule(dynamic, 64)
      for (std::int64_t c = 0; c < s.chunks; ++c) chunk_avx2<ValueFree>(s, c, ci, cv, x, y);
      break;
    case Simd::scalar:
#pragma omp parallel for schedule(dynamic, 64)
      for (std::int64_t c = 0; c < s.chunks; ++c) chunk_scalar<ValueFree>(s, c, ci, cv, x, y);
      break;
  }
}

template void sell_products<true, float>(Simd, const SellChunks&, const std::int32_t*, const float*, const float*,
                                         double*);
template void sell_products<true, double>(Simd, const SellChunks&, const std::int32_t*, const float*, const double*,
                                          double*);
template void sell_products<false, float>(Simd, const SellChunks&, const std::int32_t*, const float*, const float*,
                                          double*);
template void sell_products<false, double>(Simd, const SellChunks&, const std::int32_t*, const float*, const double*,
                                           double*);

}  // namespace trustprop::kernels::cpu
