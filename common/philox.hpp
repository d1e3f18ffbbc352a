// Counter-based random numbers (DESIGN §4): Philox4x32-10 from Random123.
//
// There is no generator state to carry, save or split between threads: a
// draw is a pure function of (seed, stream, index, draw counter), so the
// same numbers come out for any thread count, on the CPU and on the GPU.
//
//   key     = (seed low 32 bits, seed high 32 bits)
//   counter = (index low 32 bits, index high 32 bits, stream, draw)
//
// `stream` separates independent uses (one constant per purpose: household
// sizes, workplaces, the ties of a row, ...), `index` is the agent, row or
// edge the numbers belong to, and `draw` counts blocks of four 32-bit words
// within that (seed, stream, index). Each Philox call yields four words;
// PhiloxStream hands them out one at a time (or 16 bits at a time) and
// moves to the next block when they are used up. PhiloxStreamT<B> computes
// B consecutive blocks per refill (independent lanes, which the compiler
// interleaves or vectorises) and yields exactly the same words as B = 1.
//
// Everything here is header-only and marked TRUSTPROP_HD, so the same code
// compiles for the host and, under nvcc, for the device. philox4x32_10 is
// Random123's own function; philox4x32_10_lanes is a transcription of the
// same rounds for B counters at once, tested against it (tests/test_generate.cpp,
// including Random123's known-answer vector).
#pragma once

#include <Random123/philox.h>

#include <cstdint>

#if !defined(__CUDA_ARCH__) && defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#if defined(__CUDACC__)
#define TRUSTPROP_HD __host__ __device__
#else
#define TRUSTPROP_HD
#endif

namespace trustprop::rng {

// Four 32-bit words of one Philox4x32-10 block.
struct Words4 {
  std::uint32_t w[4];
};

// One block: Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1).
TRUSTPROP_HD inline Words4 philox4x32_10(std::uint32_t k0, std::uint32_t k1, std::uint32_t c0, std::uint32_t c1,
                                         std::uint32_t c2, std::uint32_t c3) {
  philox4x32_ctr_t ctr = {{c0, c1, c2, c3}};
  philox4x32_key_t key = {{k0, k1}};
  const philox4x32_ctr_t r = philox4x32_R(10, ctr, key);
  return Words4{{r.v[0], r.v[1], r.v[2], r.v[3]}};
}

// B blocks with counters (c0, c1, c2, c3 + b), b = 0..B-1, under one key:
// out[4 * b + j] is word j of block b. Same values as B calls of philox4x32_10.
template <int B>
TRUSTPROP_HD inline void philox4x32_10_lanes(std::uint32_t k0, std::uint32_t k1, std::uint32_t c0, std::uint32_t c1,
                                             std::uint32_t c2, std::uint32_t c3, std::uint32_t* out) {
  std::uint32_t x0[B], x1[B], x2[B], x3[B];
  for (int b = 0; b < B; ++b) {
    x0[b] = c0;
    x1[b] = c1;
    x2[b] = c2;
    x3[b] = c3 + static_cast<std::uint32_t>(b);
  }
  for (int round = 0; round < 10; ++round) {
    for (int b = 0; b < B; ++b) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * x0[b];
      const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * x2[b];
      const std::uint32_t y0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1[b] ^ k0;
      const std::uint32_t y2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3[b] ^ k1;
      x1[b] = static_cast<std::uint32_t>(p1);
      x3[b] = static_cast<std::uint32_t>(p0);
      x0[b] = y0;
      x2[b] = y2;
    }
    k0 += 0x9E3779B9u;  // Weyl key schedule (PHILOX_W32_0, PHILOX_W32_1)
    k1 += 0xBB67AE85u;
  }
  for (int b = 0; b < B; ++b) {
    out[4 * b + 0] = x0[b];
    out[4 * b + 1] = x1[b];
    out[4 * b + 2] = x2[b];
    out[4 * b + 3] = x3[b];
  }
}

#if !defined(__CUDA_ARCH__) && defined(__SSE4_1__)
// Four blocks at once in SSE registers (lane b = block b): the host path of
// philox4x32_10_lanes<4>, about twice as fast as four scalar calls.
inline void philox4x32_10_x4_sse(std::uint32_t k0, std::uint32_t k1, std::uint32_t c0, std::uint32_t c1,
                                 std::uint32_t c2, std::uint32_t c3, std::uint32_t* out) {
  __m128i x0 = _mm_set1_epi32(static_cast<int>(c0)), x1 = _mm_set1_epi32(static_cast<int>(c1));
  __m128i x2 = _mm_set1_epi32(static_cast<int>(c2));
  __m128i x3 = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(c3)), _mm_setr_epi32(0, 1, 2, 3));
  const __m128i m0 = _mm_set1_epi32(static_cast<int>(0xD2511F53u)), m1 = _mm_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m128i w0 = _mm_set1_epi32(static_cast<int>(0x9E3779B9u)), w1 = _mm_set1_epi32(static_cast<int>(0xBB67AE85u));
  __m128i key0 = _mm_set1_epi32(static_cast<int>(k0)), key1 = _mm_set1_epi32(static_cast<int>(k1));
  for (int round = 0; round < 10; ++round) {
    // 32x32 -> 64-bit products of the even lanes, then of the odd lanes.
    const __m128i p0e = _mm_mul_epu32(x0, m0), p0o = _mm_mul_epu32(_mm_srli_epi64(x0, 32), m0);
    const __m128i p1e = _mm_mul_epu32(x2, m1), p1o = _mm_mul_epu32(_mm_srli_epi64(x2, 32), m1);
    const __m128i lo0 = _mm_blend_epi16(p0e, _mm_slli_epi64(p0o, 32), 0xCC);
    const __m128i hi0 = _mm_blend_epi16(_mm_srli_epi64(p0e, 32), p0o, 0xCC);
    const __m128i lo1 = _mm_blend_epi16(p1e, _mm_slli_epi64(p1o, 32), 0xCC);
    const __m128i hi1 = _mm_blend_epi16(_mm_srli_epi64(p1e, 32), p1o, 0xCC);
    x0 = _mm_xor_si128(_mm_xor_si128(hi1, x1), key0);
    x2 = _mm_xor_si128(_mm_xor_si128(hi0, x3), key1);
    x1 = lo1;
    x3 = lo0;
    key0 = _mm_add_epi32(key0, w0);
    key1 = _mm_add_epi32(key1, w1);
  }
  const __m128i t0 = _mm_unpacklo_epi32(x0, x1), t1 = _mm_unpackhi_epi32(x0, x1);
  const __m128i t2 = _mm_unpacklo_epi32(x2, x3), t3 = _mm_unpackhi_epi32(x2, x3);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 0), _mm_unpacklo_epi64(t0, t2));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_unpackhi_epi64(t0, t2));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpacklo_epi64(t1, t3));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm_unpackhi_epi64(t1, t3));
}
#endif

// B consecutive blocks, the fastest way available: SSE on the host for B = 4.
template <int B>
TRUSTPROP_HD inline void philox4x32_10_blocks(std::uint32_t k0, std::uint32_t k1, std::uint32_t c0, std::uint32_t c1,
                                              std::uint32_t c2, std::uint32_t c3, std::uint32_t* out) {
#if !defined(__CUDA_ARCH__) && defined(__SSE4_1__)
  if (B == 4) {
    philox4x32_10_x4_sse(k0, k1, c0, c1, c2, c3, out);
    return;
  }
#endif
  if (B == 1) {
    const Words4 r = philox4x32_10(k0, k1, c0, c1, c2, c3);
    for (int j = 0; j < 4; ++j) out[j] = r.w[j];
  } else {
    philox4x32_10_lanes<B>(k0, k1, c0, c1, c2, c3, out);
  }
}

// The block `draw` of (seed, stream, index).
TRUSTPROP_HD inline Words4 draw4(std::uint64_t seed, std::uint32_t stream, std::uint64_t index,
                                 std::uint32_t draw) {
  return philox4x32_10(static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                       static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), stream, draw);
}

// --- conversions of random words to numbers --------------------------------

// float in [0, 1) from the top 24 bits of a word (every value a multiple of 2^-24).
TRUSTPROP_HD inline float to_float01(std::uint32_t x) { return static_cast<float>(x >> 8) * 0x1.0p-24f; }
// float in (0, 1]: never zero, so safe for logarithms and positive weights.
TRUSTPROP_HD inline float to_float01_open0(std::uint32_t x) {
  return static_cast<float>((x >> 8) + 1u) * 0x1.0p-24f;
}
// float in [0, 1) from 16 random bits (multiples of 2^-16).
TRUSTPROP_HD inline float to_float01_16(std::uint32_t x16) { return static_cast<float>(x16 & 0xffffu) * 0x1.0p-16f; }
// double in [0, 1) from 53 bits of two words.
TRUSTPROP_HD inline double to_double01(std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}
// double in (0, 1] from 53 bits of two words.
TRUSTPROP_HD inline double to_double01_open0(std::uint32_t lo, std::uint32_t hi) {
  const std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return static_cast<double>(bits + 1) * 0x1.0p-53;
}
// Integer in [0, bound) by multiply-shift (Lemire) of a 32-bit word. Each
// value occurs with probability within bound / 2^32 (relative) of uniform:
// use it for bounds up to about 2^20.
TRUSTPROP_HD inline std::uint32_t to_below32(std::uint32_t x, std::uint32_t bound) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(x) * bound) >> 32);
}
// Integer in [0, bound) from a 64-bit value (relative bias below bound / 2^64).
TRUSTPROP_HD inline std::uint64_t to_below64(std::uint64_t x, std::uint64_t bound) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(x, bound);
#else
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * bound) >> 64);
#endif
}

// Stateless convenience: one uniform double in [0, 1) per (seed, stream, index, draw).
TRUSTPROP_HD inline double uniform01(std::uint64_t seed, std::uint32_t stream, std::uint64_t index,
                                     std::uint32_t draw) {
  const Words4 r = draw4(seed, stream, index, draw);
  return to_double01(r.w[0], r.w[1]);
}

// The words of (seed, stream, index) in order: block 0 words 0..3, block 1,
// ... Cheap to construct (no Philox call until the first word is asked
// for); use one per row, agent or edge. B blocks are computed per refill:
// B = 1 for streams that need a few words, 4 for long ones (a row's ties).
template <int B = 1>
class PhiloxStreamT {
 public:
  TRUSTPROP_HD PhiloxStreamT(std::uint64_t seed, std::uint32_t stream, std::uint64_t index)
      : k0_(static_cast<std::uint32_t>(seed)),
        k1_(static_cast<std::uint32_t>(seed >> 32)),
        c0_(static_cast<std::uint32_t>(index)),
        c1_(static_cast<std::uint32_t>(index >> 32)),
        stream_(stream) {}

  // The stream is read in 16-bit units: next_u16 takes the low half of a
  // word, then its high half; next_u32 takes the next whole word (skipping
  // a high half left unread).
  TRUSTPROP_HD std::uint32_t next_u32() {
    half_ = (half_ + 1) & ~1u;
    if (half_ == 8 * B) refill();
    const std::uint32_t x = buf_[half_ >> 1];
    half_ += 2;
    return x;
  }
  // 16 random bits (in the low half of the result).
  TRUSTPROP_HD std::uint32_t next_u16() {
    if (half_ == 8 * B) refill();
    const std::uint32_t x = (buf_[half_ >> 1] >> ((half_ & 1) * 16)) & 0xffffu;
    ++half_;
    return x;
  }
  TRUSTPROP_HD std::uint64_t next_u64() {
    const std::uint64_t lo = next_u32();
    return lo | (static_cast<std::uint64_t>(next_u32()) << 32);
  }
  TRUSTPROP_HD float uniform01f() { return to_float01(next_u32()); }
  TRUSTPROP_HD float uniform01f_16() { return to_float01_16(next_u16()); }
  TRUSTPROP_HD double uniform01() {
    const std::uint32_t lo = next_u32();
    return to_double01(lo, next_u32());
  }
  TRUSTPROP_HD double uniform01_open0() {
    const std::uint32_t lo = next_u32();
    return to_double01_open0(lo, next_u32());
  }
  // Integer in [0, bound): one word for bounds up to 2^20, two above.
  TRUSTPROP_HD std::uint64_t below(std::uint64_t bound) {
    if (bound <= (1u << 20)) return to_below32(next_u32(), static_cast<std::uint32_t>(bound));
    return to_below64(next_u64(), bound);
  }
  // Blocks of four words computed so far.
  TRUSTPROP_HD std::uint32_t blocks_used() const { return draw_; }

 private:
  // Kept out of line on the host so that next_u32 stays small enough to inline.
#if defined(__GNUC__) && !defined(__CUDACC__)
  __attribute__((noinline))
#endif
  TRUSTPROP_HD void refill() {
    philox4x32_10_blocks<B>(k0_, k1_, c0_, c1_, stream_, draw_, buf_);
    draw_ += B;
    half_ = 0;
  }

  std::uint32_t k0_, k1_, c0_, c1_, stream_;
  std::uint32_t draw_ = 0;
  std::uint32_t half_ = 8 * B;  // read position in 16-bit units; 8B = buffer used up
  std::uint32_t buf_[4 * B] = {};
};

using PhiloxStream = PhiloxStreamT<1>;

}  // namespace trustprop::rng
