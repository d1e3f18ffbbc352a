// The R-MAT / Graph500 generator; see io/generate_rmat.hpp and docs/generators.md.
#include "io/generate_rmat.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/error.hpp"
#include "common/philox.hpp"
#include "io/generate_sort.hpp"

namespace trustprop::io {

namespace {

constexpr std::uint32_t kStreamEdge = 0x524d0001;      // index: edge number
constexpr std::uint32_t kStreamScramble = 0x524d0002;  // index: 0

// Keys of the scrambling bijection, derived from the seed.
struct ScrambleKey {
  std::uint64_t mul = 1, add = 0;
  explicit ScrambleKey(std::uint64_t seed) {
    const rng::Words4 k = rng::draw4(seed, kStreamScramble, 0, 0);
    mul = ((static_cast<std::uint64_t>(k.w[0]) << 32) | k.w[1]) | 1;
    add = (static_cast<std::uint64_t>(k.w[2]) << 32) | k.w[3];
  }
};

inline std::uint64_t scramble(std::uint64_t v, int scale, const ScrambleKey& key) {
  // Multiplication by an odd number, addition and xor with a right shift
  // are each bijections of [0, 2^scale).
  const std::uint64_t mask = (std::uint64_t{1} << scale) - 1;
  const int shift = scale / 2 + 1;
  v = (v * key.mul) & mask;
  v ^= v >> shift;
  v = (v + key.add) & mask;
  v = (v * 0x9E3779B97F4A7C15ull) & mask;
  v ^= v >> shift;
  v = (v * key.mul) & mask;
  return v;
}

struct Rmat {
  RmatParams p;
  std::uint64_t n = 0, m = 0;
  std::uint32_t ta = 0, tab = 0, tabc = 0;  // quadrant thresholds on 16 random bits (65536: never)
  ScrambleKey key;

  explicit Rmat(const RmatParams& params) : p(params), key(params.seed) {
    n = std::uint64_t{1} << p.scale;
    m = static_cast<std::uint64_t>(p.edge_factor) * n;
    auto thr = [](double x) { return static_cast<std::uint32_t>(std::min(65536.0, std::round(std::ldexp(x, 16)))); };
    ta = thr(p.a);
    tab = thr(p.a + p.b);
    tabc = thr(p.a + p.b + p.c);
  }

  // Edge k: source, target and weight, from the 16 words of the first four
  // Philox blocks of (seed, kStreamEdge, k), read as 32 halves of 16 bits
  // (word j = halves 2j (low) and 2j + 1 (high)). Level l uses half l and
  // sets bit l of the source and target: quadrant a, b, c or d as half l
  // falls below ta, tab, tabc or above, so the initiator probabilities are
  // resolved to 2^-16. A uniform weight takes word 15 (scale <= 30 uses at
  // most halves 0..29).
  void edge(std::uint64_t k, std::uint64_t& u, std::uint64_t& v, float& w) const {
    alignas(16) std::uint32_t words[16];
    rng::philox4x32_10_blocks<4>(static_cast<std::uint32_t>(p.seed), static_cast<std::uint32_t>(p.seed >> 32),
                                 static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32), kStreamEdge, 0,
                                 words);
    std::uint64_t s, t;
    levels(words, s, t);
    if (p.scramble) {
      s = scramble(s, p.scale, key);
      t = scramble(t, p.scale, key);
    }
    u = s;
    v = t;
    w = p.uniform_weights ? rng::to_float01_open0(words[15]) : 1.0f;
  }

  void levels(const std::uint32_t* words, std::uint64_t& s, std::uint64_t& t) const {
    const std::uint64_t mask = (std::uint64_t{1} << p.scale) - 1;
#if defined(__SSE4_1__)
    // All 32 halves at once: 16-bit unsigned compares, then one bit per half.
    auto ge = [](__m128i x, std::uint32_t thr) {  // x >= thr, per 16-bit lane
      if (thr > 0xffff) return _mm_setzero_si128();
      const __m128i c = _mm_set1_epi16(static_cast<short>(thr));
      return _mm_cmpeq_epi16(_mm_max_epu16(x, c), x);
    };
    std::uint64_t down = 0, right = 0;
    for (int half = 0; half < 2; ++half) {
      const __m128i x0 = _mm_load_si128(reinterpret_cast<const __m128i*>(words + 8 * half));
      const __m128i x1 = _mm_load_si128(reinterpret_cast<const __m128i*>(words + 8 * half + 4));
      const __m128i d0 = ge(x0, tab), d1 = ge(x1, tab);
      const __m128i r0 = _mm_or_si128(_mm_andnot_si128(d0, ge(x0, ta)), ge(x0, tabc));
      const __m128i r1 = _mm_or_si128(_mm_andnot_si128(d1, ge(x1, ta)), ge(x1, tabc));
      down |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_packs_epi16(d0, d1))) << (16 * half);
      right |= static_cast<std::uint64_t>(_mm_movemask_epi8(_mm_packs_epi16(r0, r1))) << (16 * half);
    }
    s = down & mask;
    t = right & mask;
#else
    s = t = 0;
    for (int level = 0; level < p.scale; ++level) {
      const std::uint32_t x = (words[level >> 1] >> ((level & 1) * 16)) & 0xffffu;
      const std::uint64_t down = x >= tab;                                // c or d
      const std::uint64_t right = ((x >= ta) & (x < tab)) | (x >= tabc);  // b or d
      s |= down << level;
      t |= right << level;
    }
    s &= mask;
    t &= mask;
#endif
  }
};

inline std::uint64_t pack(std::uint64_t column, float weight) {
  std::uint32_t bits;
  std::memcpy(&bits, &weight, sizeof bits);
  return (column << 32) | bits;
}

// The CSR before compaction: row u's ties are packed[start[u] .. start[u] + length[u]).
struct RmatCsr {
  std::int64_t n = 0, nnz = 0;
  std::vector<std::int64_t> start, length;
  std::vector<std::uint64_t> packed;
};

// Builds the CSR with a two-level counting sort, so that no pass scatters
// edges at random over the whole graph:
//  1. generate every edge, count edges per (chunk of edge numbers, bucket
//     of 2^(scale - bucket_bits) consecutive rows);
//  2. regenerate, write each edge into its bucket's region (sequential
//     streams, one per bucket) with its row inside the bucket;
//  3. per bucket (small enough for the caches): counting sort by row, then
//     sort each row and merge duplicates (largest weight).
// Chunks are fixed ranges of edge numbers, so every position is the same
// for any thread count.
RmatCsr build(const Rmat& g) {
  const auto t0 = std::chrono::steady_clock::now();
  RmatCsr c;
  const auto n = static_cast<std::int64_t>(g.n);
  const auto m = static_cast<std::int64_t>(g.m);
  c.n = n;
  const int bucket_bits = std::min(g.p.scale, 8);
  const int row_bits = g.p.scale - bucket_bits;
  const std::int64_t buckets = std::int64_t{1} << bucket_bits;
  const std::int64_t rows_per_bucket = std::int64_t{1} << row_bits;
  const std::int64_t chunks = std::clamp<std::int64_t>(m / 65536, 1, 256);
  auto chunk_begin = [&](std::int64_t ch) { return m / chunks * ch + std::min(ch, m % chunks); };

  // 1. Count.
  std::vector<std::int64_t> offset(static_cast<std::size_t>(chunks * buckets), 0);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t ch = 0; ch < chunks; ++ch) {
    std::int64_t* cnt = offset.data() + ch * buckets;
    for (std::int64_t k = chunk_begin(ch); k < chunk_begin(ch + 1); ++k) {
      std::uint64_t u, v;
      float w;
      g.edge(static_cast<std::uint64_t>(k), u, v, w);
      if (u != v) ++cnt[u >> row_bits];
    }
  }
  // Bucket b's region starts at bucket_start[b]; chunk ch writes its part
  // of it from offset[ch][b] on.
  std::vector<std::int64_t> bucket_start(static_cast<std::size_t>(buckets + 1), 0);
  std::int64_t total = 0;
  for (std::int64_t b = 0; b < buckets; ++b) {
    bucket_start[b] = total;
    for (std::int64_t ch = 0; ch < chunks; ++ch) {
      const std::int64_t k = offset[ch * buckets + b];
      offset[ch * buckets + b] = total;
      total += k;
    }
  }
  bucket_start[buckets] = total;
  const auto t1 = std::chrono::steady_clock::now();

  // 2. Regenerate into bucket regions.
  c.packed.resize(static_cast<std::size_t>(total));
  std::vector<std::uint32_t> row_in_bucket(static_cast<std::size_t>(total));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t ch = 0; ch < chunks; ++ch) {
    std::int64_t* pos = offset.data() + ch * buckets;
    for (std::int64_t k = chunk_begin(ch); k < chunk_begin(ch + 1); ++k) {
      std::uint64_t u, v;
      float w;
      g.edge(static_cast<std::uint64_t>(k), u, v, w);
      if (u == v) continue;
      const std::int64_t at = pos[u >> row_bits]++;
      c.packed[at] = pack(v, w);
      row_in_bucket[at] = static_cast<std::uint32_t>(u & static_cast<std::uint64_t>(rows_per_bucket - 1));
    }
  }
  std::vector<std::int64_t>().swap(offset);
  const auto t2 = std::chrono::steady_clock::now();

  // 3. Per bucket: rows by counting sort, then each row sorted and merged.
  c.start.assign(static_cast<std::size_t>(n + 1), 0);
  c.length.assign(static_cast<std::size_t>(n), 0);
  std::int64_t nnz = 0;
#pragma omp parallel reduction(+ : nnz)
  {
    std::vector<std::int64_t> fill(static_cast<std::size_t>(rows_per_bucket));
    std::vector<std::uint64_t> scratch;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t b = 0; b < buckets; ++b) {
      const std::int64_t lo = bucket_start[b], hi = bucket_start[b + 1];
      const std::int64_t row0 = b * rows_per_bucket;
      std::fill(fill.begin(), fill.end(), 0);
      for (std::int64_t k = lo; k < hi; ++k) ++fill[row_in_bucket[k]];
      std::int64_t at = lo;
      for (std::int64_t r = 0; r < rows_per_bucket; ++r) {
        const std::int64_t len = fill[r];
        c.start[row0 + r] = at;
        fill[r] = at - lo;
        at += len;
      }
      scratch.resize(static_cast<std::size_t>(hi - lo));
      for (std::int64_t k = lo; k < hi; ++k) scratch[fill[row_in_bucket[k]]++] = c.packed[k];
      std::copy(scratch.begin(), scratch.end(), c.packed.begin() + lo);
      for (std::int64_t r = 0; r < rows_per_bucket; ++r) {
        const std::int64_t u = row0 + r;
        std::uint64_t* row = c.packed.data() + c.start[u];
        const std::int64_t len = (r + 1 < rows_per_bucket ? c.start[u + 1] : hi) - c.start[u];
        sort_ties(row, static_cast<std::size_t>(len));
        std::int64_t out = 0;
        for (std::int64_t k = 0; k < len; ++k) {
          if (k + 1 < len && (row[k + 1] >> 32) == (row[k] >> 32)) continue;
          row[out++] = row[k];
        }
        c.length[u] = out;
        nnz += out;
      }
    }
  }
  c.start[n] = total;
  c.nnz = nnz;
  const auto t3 = std::chrono::steady_clock::now();
  spdlog::debug("rmat: count {:.3f} s, bucket {:.3f} s, sort and merge {:.3f} s",
                std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count(),
                std::chrono::duration<double>(t3 - t2).count());
  return c;
}

// Hands the compacted rows to `sink` in blocks of about 4M ties.
template <class Sink>
void emit(const RmatCsr& c, Sink&& sink) {
  std::vector<std::int32_t> cols;
  std::vector<float> weights;
  std::int64_t r0 = 0;
  while (r0 < c.n) {
    std::int64_t r1 = r0, k = 0;
    while (r1 < c.n && (r1 == r0 || k + c.length[r1] <= (4 << 20))) k += c.length[r1++];
    cols.resize(static_cast<std::size_t>(k));
    weights.resize(static_cast<std::size_t>(k));
    std::int64_t o = 0;
    for (std::int64_t u = r0; u < r1; ++u) {
      const std::uint64_t* row = c.packed.data() + c.start[u];
      for (std::int64_t j = 0; j < c.length[u]; ++j, ++o) {
        cols[o] = static_cast<std::int32_t>(row[j] >> 32);
        const auto bits = static_cast<std::uint32_t>(row[j]);
        std::memcpy(&weights[o], &bits, sizeof(float));
      }
    }
    sink(c.length.data() + r0, r1 - r0, cols.data(), weights.data());
    r0 = r1;
  }
}

// Shortest round-trip digits: the command rebuilds this very graph.
std::string source_of(const RmatParams& p) {
  return fmt::format("trustprop generate rmat --scale {} --edge-factor {} --seed {} --a {} --b {} --c {} --weights {}{}",
                     p.scale, p.edge_factor, p.seed, p.a, p.b, p.c, p.uniform_weights ? "uniform" : "one",
                     p.scramble ? "" : " --no-scramble");
}

std::string generator_json(const RmatParams& p, const Rmat& g, std::int64_t nnz) {
  nlohmann::json j;
  j["model"] = "rmat";
  j["scale"] = p.scale;
  j["edge_factor"] = p.edge_factor;
  j["seed"] = p.seed;
  j["a"] = p.a;
  j["b"] = p.b;
  j["c"] = p.c;
  j["d"] = std::max(0.0, 1.0 - p.a - p.b - p.c);  // a + b + c may pass 1 by rounding (validate_rmat_params)
  j["weights"] = p.uniform_weights ? "uniform" : "one";
  j["scramble"] = p.scramble;
  j["edge_draws"] = g.m;
  j["edges"] = nnz;
  j["rng"] = "philox4x32-10";
  return j.dump();
}

}  // namespace

std::uint64_t rmat_scramble(std::uint64_t v, int scale, std::uint64_t seed) {
  return scramble(v, scale, ScrambleKey(seed));
}

void validate_rmat_params(const RmatParams& p) {
  auto bad = [](const std::string& option, const std::string& what) { throw UsageError(option + ": " + what); };
  if (p.scale < 1 || p.scale > rmat_max_scale)
    bad("--scale", "must be between 1 and " + std::to_string(rmat_max_scale) + " (got " + std::to_string(p.scale) + ")");
  if (p.edge_factor < 1 || p.edge_factor > 4096)
    bad("--edge-factor", "must be between 1 and 4096 (got " + std::to_string(p.edge_factor) + ")");
  auto prob = [&](const char* option, double v) {
    if (!std::isfinite(v) || v < 0 || v > 1) {
      std::ostringstream m;
      m << "must be a probability between 0 and 1 (got " << v << ")";
      bad(option, m.str());
    }
  };
  prob("--a", p.a);
  prob("--b", p.b);
  prob("--c", p.c);
  if (p.a + p.b + p.c > 1.0 + 1e-12) {
    std::ostringstream m;
    m << "--a " << p.a << " + --b " << p.b << " + --c " << p.c << " = " << (p.a + p.b + p.c)
      << " exceeds 1 (d = 1 - a - b - c must not be negative)";
    throw ConfigError(m.str());
  }
  const double draws = static_cast<double>(p.edge_factor) * std::ldexp(1.0, p.scale);
  if (draws > 0x1.0p37)
    throw ConfigError("--scale " + std::to_string(p.scale) + " with --edge-factor " + std::to_string(p.edge_factor) +
                      " asks for more than 2^37 edges, beyond what fits in memory");
}

Graph generate_rmat_graph(const RmatParams& params) {
  validate_rmat_params(params);
  const Rmat g(params);
  const RmatCsr c = build(g);
  Graph out;
  out.n = c.n;
  out.indptr.reserve(static_cast<std::size_t>(c.n + 1));
  out.indptr.push_back(0);
  out.indices.reserve(static_cast<std::size_t>(c.nnz));
  out.data.reserve(static_cast<std::size_t>(c.nnz));
  emit(c, [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* cols, const float* w) {
    std::int64_t k = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      k += lengths[r];
      out.indptr.push_back(out.indptr.back() + lengths[r]);
    }
    out.indices.insert(out.indices.end(), cols, cols + k);
    out.data.insert(out.data.end(), w, w + k);
  });
  out.source = source_of(params);
  out.content_hash = compute_content_hash(out);
  return out;
}

GenerateStats generate_rmat(const std::string& path, const RmatParams& params, const GraphWriteOptions& options) {
  validate_rmat_params(params);
  const auto t0 = std::chrono::steady_clock::now();
  const Rmat g(params);
  GraphWriteOptions o = options;
  // Open the output first: a bad path fails before the work.
  std::int64_t nnz_hint = static_cast<std::int64_t>(g.m);
  if (o.expected_nnz == 0) o.expected_nnz = std::max<std::int64_t>(1, nnz_hint);
  GraphWriter writer(path, static_cast<std::int64_t>(g.n), source_of(params), o);
  const RmatCsr c = build(g);
  emit(c, [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* cols, const float* w) {
    writer.append_rows(lengths, rows, cols, w);
  });
  writer.set_attribute("generator", generator_json(params, g, c.nnz));
  GenerateStats stats;
  commit_generated(writer, c.n, t0, stats);
  return stats;
}

}  // namespace trustprop::io
