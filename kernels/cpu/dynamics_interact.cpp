// The CPU's interaction pass (kernels/cpu/dynamics_interact.hpp). The build
// compiles for x86-64-v2; the AVX-512 rows carry their own target attribute
// and run only where the CPU reports it. This file is compiled with
// -ffp-contract=off: a fused multiply-add would round λ·r + 1 once instead
// of twice and break the bitwise agreement with the scalar rows and the GPU.
#include "kernels/cpu/dynamics_interact.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/dynamics_rules.hpp"

namespace trustprop::kernels::cpu {

namespace {

namespace dyn = dynamics_rules;

// Rows per piece of work handed to a thread: rows differ in length, so the
// pieces are shared out dynamically.
constexpr std::int64_t rows_per_piece = 256;

struct Pass {
  DynamicsGraphView g;
  DynamicsRules rules;
  std::uint32_t epoch;
  const std::uint8_t* strategy;
  const double* pool_r;
  const double* pool_s;
  float* r;
  float* s;
  EdgeRecord* record;
  double* inverse_row_sum;
  std::int32_t* tallies;
};

struct RowCounts {
  std::int32_t interactions = 0, received = 0, avoided = 0, avoided_defectors = 0;
};

// Row i once its local trust is parked in the records and summed: Cᵀ's
// values by the second sweep (dynamics_rules::normalise_parked; the row's
// record lines are still in L1), 1/Σ and the customer tallies.
void finish_row(const Pass& p, std::int64_t i, std::uint64_t sum, const RowCounts& c) {
  const std::int64_t n = p.g.n;
  const double inverse = dyn::inverse_of_sum(sum);
  for (std::int64_t k = p.g.indptr[i]; k < p.g.indptr[i + 1]; ++k)
    dyn::normalise_parked(p.record[dyn::record_slot(p.g, k)], inverse);
  p.inverse_row_sum[i] = inverse;
  p.tallies[tally_interactions * n + i] = c.interactions;
  p.tallies[tally_received * n + i] = c.received;
  p.tallies[tally_avoided * n + i] = c.avoided;
  p.tallies[tally_avoided_defectors * n + i] = c.avoided_defectors;
}

// Rows [begin_row, end_row) edge by edge, through dynamics_rules::edge_step:
// the reference.
void rows_scalar(const Pass& p, std::int64_t begin_row, std::int64_t end_row) {
  const DynamicsGraphView& g = p.g;
  for (std::int64_t i = begin_row; i < end_row; ++i) {
    RowCounts c;
    std::uint64_t sum = 0;     // Σ local over the row: exact
    std::int64_t first = -16;  // the first edge of the 16 whose draws are in `words`
    std::uint32_t words[16];
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
      if (k - first >= 16) {  // the next four Philox blocks, computed together
        first = k & ~std::int64_t{3};
        dyn::interaction_blocks4(p.rules.seed, first >> 2, p.epoch, words);
      }
      std::uint32_t u = 0;
      const std::uint8_t o =
          dyn::edge_step(g, p.rules, p.epoch, k, words[k - first], p.strategy, p.pool_r, p.pool_s, p.r, p.s, u);
      dyn::park_local(p.record[dyn::record_slot(g, k)], u, o);
      sum += u;
      c.interactions += o >= outcome_cooperated;
      c.received += o == outcome_cooperated;
      c.avoided += o == outcome_avoided;
      c.avoided_defectors += (o == outcome_avoided) & (p.strategy[g.indices[k]] == 0);
    }
    finish_row(p, i, sum, c);
  }
}

#define TRUSTPROP_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))

// (GCC 12's AVX-512 conversions pass _mm512_undefined_*() to their builtins,
// which -Wmaybe-uninitialized reports: a false alarm in the header.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The interaction words of edge groups first_group .. first_group + 15 (64
// edges) in zmm registers, lane b = group first_group + b; laid out as
// dynamics_rules::interaction_blocks4 does: out[4·b + w] = word w of
// group first_group + b.
TRUSTPROP_AVX512 void interaction_blocks16(std::uint64_t seed, std::int64_t first_group, std::uint32_t epoch,
                                           std::uint32_t* out) {
  __m512i x0 = _mm512_set1_epi32(static_cast<int>(epoch)), x1 = _mm512_setzero_si512();
  __m512i x2 = _mm512_set1_epi32(static_cast<int>(dyn::purpose_interact));
  __m512i x3 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first_group))),
                                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u)), m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m512i w0 = _mm512_set1_epi32(static_cast<int>(0x9E3779B9u)), w1 = _mm512_set1_epi32(static_cast<int>(0xBB67AE85u));
  __m512i key0 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(seed)));
  __m512i key1 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(seed >> 32)));
  constexpr __mmask16 odd = 0xAAAA;
  for (int round = 0; round < 10; ++round) {
    // 32x32 -> 64-bit products of the even lanes, then of the odd lanes.
    const __m512i p0e = _mm512_mul_epu32(x0, m0), p0o = _mm512_mul_epu32(_mm512_srli_epi64(x0, 32), m0);
    const __m512i p1e = _mm512_mul_epu32(x2, m1), p1o = _mm512_mul_epu32(_mm512_srli_epi64(x2, 32), m1);
    const __m512i lo0 = _mm512_mask_blend_epi32(odd, p0e, _mm512_slli_epi64(p0o, 32));
    const __m512i hi0 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(p0e, 32), p0o);
    const __m512i lo1 = _mm512_mask_blend_epi32(odd, p1e, _mm512_slli_epi64(p1o, 32));
    const __m512i hi1 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(p1e, 32), p1o);
    x0 = _mm512_xor_si512(_mm512_xor_si512(hi1, x1), key0);
    x2 = _mm512_xor_si512(_mm512_xor_si512(hi0, x3), key1);
    x1 = lo1;
    x3 = lo0;
    key0 = _mm512_add_epi32(key0, w0);
    key1 = _mm512_add_epi32(key1, w1);
  }
  // Transpose: u_q's 128-bit lane L holds the four words of group 4L + q.
  const __m512i t0 = _mm512_unpacklo_epi32(x0, x1), t1 = _mm512_unpackhi_epi32(x0, x1);
  const __m512i t2 = _mm512_unpacklo_epi32(x2, x3), t3 = _mm512_unpackhi_epi32(x2, x3);
  const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
  const __m512i a = _mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(1, 0, 1, 0));
  const __m512i b = _mm512_shuffle_i32x4(u2, u3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m512i c = _mm512_shuffle_i32x4(u0, u1, _MM_SHUFFLE(3, 2, 3, 2));
  const __m512i d = _mm512_shuffle_i32x4(u2, u3, _MM_SHUFFLE(3, 2, 3, 2));
  _mm512_storeu_si512(out + 0, _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
  _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(c, d, _MM_SHUFFLE(2, 0, 2, 0)));
  _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(c, d, _MM_SHUFFLE(3, 1, 3, 1)));
}

static_assert(sizeof(EdgeRecord) == 8 && offsetof(EdgeRecord, outcome) == 4,
              "the AVX-512 rows store a record as one 64-bit word: the local trust's bits, then the outcome");

// Rows [begin_row, end_row), 16 edges of a row at a time (the last ones of
// a row masked): edge_step's operations on 8 doubles per register, each
// rounded as there (the same IEEE operations in the same order), the
// decisions as masks; the rare detection draws edge by edge.
TRUSTPROP_AVX512 void rows_avx512(const Pass& p, std::int64_t begin_row, std::int64_t end_row) {
  const DynamicsGraphView& g = p.g;
  const DynamicsRules& rules = p.rules;
  const std::uint64_t detect_below = dyn::threshold32(rules.detection);
  const __m512d one = _mm512_set1_pd(1.0), two = _mm512_set1_pd(2.0), zero = _mm512_setzero_pd();
  const __m512d avoid_below = _mm512_set1_pd(rules.avoid_below);
  const __m512d forgetting = _mm512_set1_pd(static_cast<double>(rules.forgetting));
  const __m512d fixed_point = _mm512_set1_pd(4294967296.0);
  const __m512i lanes8 = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  alignas(64) std::uint32_t words[64];
  std::int64_t first = -64;  // the first edge of the 64 whose draws are in `words`
  for (std::int64_t i = begin_row; i < end_row; ++i) {
    const std::int64_t e = g.indptr[i + 1];
    RowCounts c;
    __m512i sum = _mm512_setzero_si512();  // Σ local over the row, 8 partial sums: exact
    for (std::int64_t k = g.indptr[i]; k < e; k += 16) {
      const __mmask16 live = static_cast<__mmask16>(e - k >= 16 ? 0xffff : (1u << (e - k)) - 1);
      if (k + 16 > first + 64) {
        first = k & ~std::int64_t{3};
        interaction_blocks16(rules.seed, first >> 2, p.epoch, words);
      }
      const __m512i draw = _mm512_loadu_si512(words + (k - first));
      const __m512i j = _mm512_maskz_loadu_epi32(live, g.indices + k);
      const __mmask16 hit = _mm512_mask_cmplt_epu32_mask(live, draw, _mm512_maskz_loadu_epi32(live, g.threshold + k));
      const __m128i reg_bytes = _mm_maskz_loadu_epi8(live, g.edge_registered + k);
      const __mmask16 registered = _mm_test_epi8_mask(reg_bytes, reg_bytes);
      const __mmask16 pooled = rules.pooled_feedback ? registered : 0;
      alignas(64) std::int32_t partner[16];
      alignas(16) std::uint8_t partner_strategy[16];
      _mm512_store_si512(partner, j);
      for (int l = 0; l < 16; ++l) partner_strategy[l] = p.strategy[partner[l]];  // lanes past the row: agent 0
      const __m128i strategy_bytes = _mm_load_si128(reinterpret_cast<const __m128i*>(partner_strategy));
      const __mmask16 cooperates = _mm_test_epi8_mask(strategy_bytes, strategy_bytes);
      const __m512 r0 = _mm512_maskz_loadu_ps(live, p.r + k), s0 = _mm512_maskz_loadu_ps(live, p.s + k);

      // Halves of 8 edges in doubles: the pooled evidence, the refusals.
      __m512d r0d[2], s0d[2], pr[2], ps[2];
      __mmask16 refuse = 0;
      for (int h = 0; h < 2; ++h) {
        const auto pooled_h = static_cast<__mmask8>(pooled >> (8 * h));
        r0d[h] = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(r0) : _mm512_extractf32x8_ps(r0, 1));
        s0d[h] = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(s0) : _mm512_extractf32x8_ps(s0, 1));
        pr[h] = ps[h] = zero;
        if (pooled_h) {
          const __m256i jh = h == 0 ? _mm512_castsi512_si256(j) : _mm512_extracti32x8_epi32(j, 1);
          pr[h] = _mm512_mask_i32gather_pd(zero, pooled_h, jh, p.pool_r, 8);
          ps[h] = _mm512_mask_i32gather_pd(zero, pooled_h, jh, p.pool_s, 8);
        }
        const __m512d er = _mm512_mask_blend_pd(pooled_h, r0d[h], pr[h]);
        const __m512d es = _mm512_mask_blend_pd(pooled_h, s0d[h], ps[h]);
        const __m512d bound = _mm512_mul_pd(avoid_below, _mm512_add_pd(_mm512_add_pd(er, es), two));
        refuse |= static_cast<__mmask16>(_mm512_cmp_pd_mask(_mm512_add_pd(er, one), bound, _CMP_LT_OQ) << (8 * h));
      }
      const __mmask16 served = hit & ~refuse, avoided = hit & refuse;
      const __mmask16 good = served & cooperates, bad = served & ~cooperates;
      __m512i outcome = _mm512_maskz_mov_epi32(hit, _mm512_set1_epi32(outcome_avoided));
      outcome = _mm512_mask_mov_epi32(outcome, good, _mm512_set1_epi32(outcome_cooperated));
      outcome = _mm512_mask_mov_epi32(outcome, bad, _mm512_set1_epi32(outcome_defected));
      if (const __mmask16 supervised = bad & registered) {
        __mmask16 detected = 0;
        for (int l = 0; l < 16; ++l)
          if ((supervised >> l) & 1u &&
              rng::draw4(rules.seed, dyn::purpose_detect, static_cast<std::uint64_t>(k + l), p.epoch).w[0] <
                  detect_below)
            detected |= static_cast<__mmask16>(1u << l);
        outcome = _mm512_mask_mov_epi32(outcome, detected, _mm512_set1_epi32(outcome_defected_detected));
      }
      c.interactions += __builtin_popcount(served);
      c.received += __builtin_popcount(good);
      c.avoided += __builtin_popcount(avoided);
      c.avoided_defectors += __builtin_popcount(avoided & ~cooperates);

      // The evidence (decay_add), the local trust (local_trust) and the
      // records (park_local: the trust's bits, then the outcome).
      __m256 r1[2], s1[2];
      for (int h = 0; h < 2; ++h) {
        const auto pooled_h = static_cast<__mmask8>(pooled >> (8 * h)), live_h = static_cast<__mmask8>(live >> (8 * h));
        r1[h] = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_mul_pd(forgetting, r0d[h]),
                                              _mm512_maskz_mov_pd(static_cast<__mmask8>(good >> (8 * h)), one)));
        s1[h] = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_mul_pd(forgetting, s0d[h]),
                                              _mm512_maskz_mov_pd(static_cast<__mmask8>(bad >> (8 * h)), one)));
        const __m512d lr = _mm512_mask_blend_pd(pooled_h, _mm512_cvtps_pd(r1[h]), pr[h]);
        const __m512d ls = _mm512_mask_blend_pd(pooled_h, _mm512_cvtps_pd(s1[h]), ps[h]);
        const __m512d x = _mm512_div_pd(_mm512_sub_pd(lr, ls), _mm512_mul_pd(two, _mm512_add_pd(_mm512_add_pd(lr, ls), two)));
        const __m512i local = _mm512_max_epi64(_mm512_cvttpd_epi64(_mm512_mul_pd(x, fixed_point)), _mm512_setzero_si512());
        sum = _mm512_mask_add_epi64(sum, live_h, sum, local);
        const __m256i outcome_h = h == 0 ? _mm512_castsi512_si256(outcome) : _mm512_extracti32x8_epi32(outcome, 1);
        const __m512i bits = _mm512_or_si512(local, _mm512_slli_epi64(_mm512_cvtepu32_epi64(outcome_h), 32));
        const __m512i slot =
            g.edge_slot != nullptr
                ? _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(live_h, g.edge_slot + k + 8 * h))
                : _mm512_add_epi64(_mm512_set1_epi64(k + 8 * h), lanes8);
        _mm512_mask_i64scatter_epi64(p.record, live_h, slot, bits, 8);
      }
      _mm512_mask_storeu_ps(p.r + k, live, _mm512_insertf32x8(_mm512_castps256_ps512(r1[0]), r1[1], 1));
      _mm512_mask_storeu_ps(p.s + k, live, _mm512_insertf32x8(_mm512_castps256_ps512(s1[0]), s1[1], 1));
    }
    finish_row(p, i, static_cast<std::uint64_t>(_mm512_reduce_add_epi64(sum)), c);
  }
}
#pragma GCC diagnostic pop

}  // namespace

bool interact_simd(Simd level) {
  return level == Simd::avx512 && simd_supported(Simd::avx512) && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw");
}

void interact_rows(Simd level, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch,
                   const std::uint8_t* strategy, const double* pool_r, const double* pool_s, float* r, float* s,
                   EdgeRecord* record, double* inverse_row_sum, std::int32_t* tallies) {
  // A copy of the view: the byte stores of the records may alias anything
  // in memory, and would otherwise force its pointers to be reloaded for
  // every edge.
  const Pass pass{g, rules, epoch, strategy, pool_r, pool_s, r, s, record, inverse_row_sum, tallies};
  const bool simd = interact_simd(level);
  const std::int64_t pieces = (g.row_end - g.row_begin + rows_per_piece - 1) / rows_per_piece;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t piece = 0; piece < pieces; ++piece) {
    const std::int64_t begin = g.row_begin + piece * rows_per_piece, end = std::min(g.row_end, begin + rows_per_piece);
    if (simd)
      rows_avx512(pass, begin, end);
    else
      rows_scalar(pass, begin, end);
  }
}

}  // namespace trustprop::kernels::cpu
