// The generators (`trustprop generate city|rmat`) and the Philox helper
// they share with the simulation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>
#include <vector>

#include "common/error.hpp"
#include "common/philox.hpp"
#include "io/generate_city.hpp"
#include "io/generate_rmat.hpp"
#include "io/graph_file.hpp"
#include "test_helpers.hpp"

namespace {

using namespace trustprop;
using trustprop::testing::TempPath;

// Runs f with `threads` OpenMP threads, then restores the previous count.
template <class F>
auto with_threads(int threads, F&& f) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto result = f();
  omp_set_num_threads(before);
  return result;
}

void expect_same_graph(const io::Graph& a, const io::Graph& b) {
  ASSERT_EQ(a.n, b.n);
  EXPECT_EQ(a.indptr, b.indptr);
  EXPECT_EQ(a.indices, b.indices);
  ASSERT_EQ(a.data.size(), b.data.size());
  EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)));  // bitwise
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.content_hash, b.content_hash);
}

std::vector<std::int64_t> in_degrees(const io::Graph& g) {
  std::vector<std::int64_t> d(static_cast<std::size_t>(g.n), 0);
  for (std::int32_t c : g.indices) ++d[c];
  return d;
}

bool has_self_loop(const io::Graph& g) {
  for (std::int64_t i = 0; i < g.n; ++i)
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k)
      if (g.indices[k] == i) return true;
  return false;
}

io::CityParams city(std::int64_t agents, std::uint64_t seed = 1) {
  io::CityParams p;
  p.agents = agents;
  p.seed = seed;
  return p;
}

// ---------------------------------------------------------------- Philox ----

TEST(Philox, MatchesRandom123KnownAnswers) {
  // Random123's kat_vectors for philox4x32 with 10 rounds.
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const rng::Words4 r = rng::philox4x32_10(k.key[0], k.key[1], k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(r.w[j], k.out[j]) << "word " << j;
    // The lane transcription and the batched (SSE on x86) path agree.
    std::uint32_t lanes[4];
    rng::philox4x32_10_lanes<1>(k.key[0], k.key[1], k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], lanes);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(lanes[j], k.out[j]);
    std::uint32_t blocks[16];
    rng::philox4x32_10_blocks<4>(k.key[0], k.key[1], k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], blocks);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(blocks[j], k.out[j]);
  }
}

TEST(Philox, BatchedBlocksEqualSingleBlocks) {
  for (std::uint32_t t = 0; t < 200; ++t) {
    const std::uint32_t k0 = t * 2654435761u, k1 = ~t, c0 = t * 7, c1 = t >> 3, c2 = 0xabcdef + t,
                        c3 = t * 977 + (t % 3 == 0 ? 0xfffffffeu : 0);  // wraps the draw counter
    std::uint32_t x4[16], s4[16], x8[32];
    rng::philox4x32_10_lanes<4>(k0, k1, c0, c1, c2, c3, x4);
    rng::philox4x32_10_blocks<4>(k0, k1, c0, c1, c2, c3, s4);
    rng::philox4x32_10_lanes<8>(k0, k1, c0, c1, c2, c3, x8);
    for (int b = 0; b < 8; ++b) {
      const rng::Words4 r = rng::philox4x32_10(k0, k1, c0, c1, c2, c3 + static_cast<std::uint32_t>(b));
      for (int j = 0; j < 4; ++j) {
        if (b < 4) {
          EXPECT_EQ(x4[4 * b + j], r.w[j]);
          EXPECT_EQ(s4[4 * b + j], r.w[j]);
        }
        EXPECT_EQ(x8[4 * b + j], r.w[j]);
      }
    }
  }
}

TEST(Philox, StreamIsKeyedBySeedStreamIndexAndDraw) {
  // The stream's words are the blocks (seed, stream, index, draw = 0, 1, ...).
  rng::PhiloxStream s(0x0123456789abcdefull, 7, 0xfedcba9876543210ull);
  for (std::uint32_t d = 0; d < 5; ++d) {
    const rng::Words4 r = rng::draw4(0x0123456789abcdefull, 7, 0xfedcba9876543210ull, d);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(s.next_u32(), r.w[j]);
  }
  // Batched and unbatched streams give the same numbers in any mix of widths.
  rng::PhiloxStreamT<1> a(42, 3, 99);
  rng::PhiloxStreamT<4> b(42, 3, 99);
  for (int i = 0; i < 1000; ++i) {
    switch (i % 5) {
      case 0:
      case 3: EXPECT_EQ(a.next_u16(), b.next_u16()); break;
      case 1: EXPECT_EQ(a.next_u32(), b.next_u32()); break;
      case 2: EXPECT_EQ(a.below(1000), b.below(1000)); break;
      default: EXPECT_EQ(a.uniform01(), b.uniform01()); break;
    }
  }
  // 16-bit draws read a word's low half, then its high half.
  rng::PhiloxStream h(5, 6, 7);
  const rng::Words4 r = rng::draw4(5, 6, 7, 0);
  EXPECT_EQ(h.next_u16(), r.w[0] & 0xffffu);
  EXPECT_EQ(h.next_u16(), r.w[0] >> 16);
  EXPECT_EQ(h.next_u32(), r.w[1]);
  EXPECT_EQ(h.next_u16(), r.w[2] & 0xffffu);
  EXPECT_EQ(h.next_u32(), r.w[3]);  // the unread high half of w[2] is skipped
}

TEST(Philox, ConversionsStayInRange) {
  EXPECT_EQ(rng::to_float01(0), 0.0f);
  EXPECT_LT(rng::to_float01(0xffffffffu), 1.0f);
  EXPECT_GT(rng::to_float01_open0(0), 0.0f);
  EXPECT_EQ(rng::to_float01_open0(0xffffffffu), 1.0f);
  EXPECT_LT(rng::to_double01(0xffffffffu, 0xffffffffu), 1.0);
  EXPECT_GT(rng::to_double01_open0(0, 0), 0.0);
  EXPECT_EQ(rng::to_below32(0xffffffffu, 10), 9u);
  EXPECT_EQ(rng::to_below64(~0ull, 1000000007ull), 1000000006ull);
  // Uniform: the mean of many draws is near 1/2, the histogram flat.
  rng::PhiloxStream s(1, 2, 3);
  double sum = 0;
  std::vector<int> hist(10, 0);
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    sum += s.uniform01();
    ++hist[s.below(10)];
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  for (int c : hist) EXPECT_NEAR(c, n / 10, 600);
}

// ------------------------------------------------------------------ city ----

TEST(GenerateCity, SameFileForAnyThreadCount) {
  io::CityParams p = city(60000, 7);
  p.signed_share = 0.05;
  const io::Graph one = with_threads(1, [&] { return io::generate_city_graph(p); });
  const io::Graph two = with_threads(2, [&] { return io::generate_city_graph(p); });
  const io::Graph three = with_threads(3, [&] { return io::generate_city_graph(p); });
  expect_same_graph(one, two);
  expect_same_graph(one, three);
  // And through the file writer.
  TempPath f1("city-t1.h5"), f2("city-t2.h5");
  with_threads(1, [&] { return io::generate_city(f1.str(), p); });
  with_threads(2, [&] { return io::generate_city(f2.str(), p); });
  const io::Graph r1 = io::read_graph(f1.str()), r2 = io::read_graph(f2.str());
  expect_same_graph(r1, r2);
  EXPECT_EQ(io::read_graph_header(f1.str()).content_hash, io::read_graph_header(f2.str()).content_hash);
}

TEST(GenerateCity, SeedDeterminesTheGraph) {
  const io::Graph a = io::generate_city_graph(city(20000, 1));
  const io::Graph b = io::generate_city_graph(city(20000, 1));
  const io::Graph c = io::generate_city_graph(city(20000, 2));
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_NE(a.content_hash, c.content_hash);
  EXPECT_NE(a.indices, c.indices);
  EXPECT_EQ(a.content_hash, io::compute_content_hash(a));
}

TEST(GenerateCity, InvariantsKindsAndShares) {
  const std::int64_t n = 100000;
  io::CityLayout layout;
  const io::Graph g = io::generate_city_graph(city(n, 3), &layout);
  EXPECT_NO_THROW(io::validate_graph(g, "generated city"));
  EXPECT_FALSE(has_self_loop(g));
  ASSERT_EQ(static_cast<std::int64_t>(g.kind.size()), n);
  std::int64_t counts[3] = {0, 0, 0};
  for (std::uint8_t k : g.kind) {
    ASSERT_LE(k, 2);
    ++counts[k];
  }
  EXPECT_EQ(counts[0], layout.residents);
  EXPECT_EQ(counts[1], layout.enterprises);
  EXPECT_EQ(counts[2], layout.institutions);
  EXPECT_EQ(counts[2], 100);   // 0.1 %
  EXPECT_EQ(counts[1], 4000);  // 4 %
  EXPECT_EQ(layout.neighbourhoods, 25);
  EXPECT_GT(layout.households, n / 4);  // households of 1..6, mean about 2.5
  EXPECT_LT(layout.households, n / 2);
  // Unsigned weights in (0, 1].
  for (float w : g.data) {
    ASSERT_GT(w, 0.0f);
    ASSERT_LE(w, 1.0f);
  }
}

TEST(GenerateCity, DegreeDistribution) {
  const std::int64_t n = 200000;
  const io::Graph g = io::generate_city_graph(city(n, 11));
  const double mean = static_cast<double>(g.nnz()) / static_cast<double>(n);
  EXPECT_NEAR(mean, 48.0, 4.8);  // within 10 % of the target
  const auto in = in_degrees(g);
  const std::int64_t max_in = *std::max_element(in.begin(), in.end());
  EXPECT_GT(static_cast<double>(max_in), 200 * mean);  // popular enterprises and institutions
  std::int64_t max_out = 0;
  for (std::int64_t i = 0; i < n; ++i) max_out = std::max(max_out, g.indptr[i + 1] - g.indptr[i]);
  EXPECT_GT(static_cast<double>(max_out), 50 * mean);  // the friend-count tail
  // Locality: most ties stay within a few neighbourhoods (ids carry locality).
  std::int64_t near = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) near += std::llabs(g.indices[k] - i) < 8000;
  EXPECT_GT(static_cast<double>(near) / static_cast<double>(g.nnz()), 0.6);
}

TEST(GenerateCity, MeanDegreeFollowsTheTarget) {
  for (double d : {12.0, 30.0, 100.0}) {
    io::CityParams p = city(100000, 5);
    p.mean_degree = d;
    const io::Graph g = io::generate_city_graph(p);
    EXPECT_NEAR(static_cast<double>(g.nnz()) / 100000.0, d, 0.1 * d) << "--mean-degree " << d;
  }
  io::CityParams p = city(100000, 6);
  p.enterprise_share = 0.2;
  p.institution_share = 0.01;
  const io::Graph g = io::generate_city_graph(p);
  EXPECT_NEAR(static_cast<double>(g.nnz()) / 100000.0, 48.0, 4.8) << "many enterprises and institutions";
}

TEST(GenerateCity, SignedShare) {
  io::CityParams p = city(50000, 9);
  p.signed_share = 0.2;
  const io::Graph g = io::generate_city_graph(p);
  const auto negative = std::count_if(g.data.begin(), g.data.end(), [](float w) { return w < 0; });
  EXPECT_NEAR(static_cast<double>(negative) / static_cast<double>(g.nnz()), 0.2, 0.01);
  for (float w : g.data) {
    ASSERT_NE(w, 0.0f);
    ASSERT_LE(std::fabs(w), 1.0f);
  }
  // Signs do not change the ties, only their sign.
  p.signed_share = 0;
  const io::Graph u = io::generate_city_graph(p);
  EXPECT_EQ(u.indices, g.indices);
  for (std::size_t k = 0; k < g.data.size(); ++k) ASSERT_EQ(std::fabs(g.data[k]), u.data[k]);
}

TEST(GenerateCity, TinyAndOddCities) {
  for (std::int64_t n : {10, 11, 37, 100, 4001, 6000}) {
    const io::Graph g = io::generate_city_graph(city(n, 4));
    EXPECT_NO_THROW(io::validate_graph(g, "city of " + std::to_string(n))) << n;
    EXPECT_FALSE(has_self_loop(g)) << n;
    EXPECT_GE(std::count(g.kind.begin(), g.kind.end(), 2), 1) << n;
    EXPECT_GE(std::count(g.kind.begin(), g.kind.end(), 1), 1) << n;
  }
  io::CityParams p = city(50000, 1);
  p.institution_share = 0;
  p.enterprise_share = 0;
  const io::Graph g = io::generate_city_graph(p);  // residents only
  EXPECT_NO_THROW(io::validate_graph(g, "residents only"));
  EXPECT_EQ(std::count(g.kind.begin(), g.kind.end(), 0), 50000);
  EXPECT_NEAR(static_cast<double>(g.nnz()) / 50000.0, 48.0, 4.8);
}

TEST(GenerateCity, FileHasKindsAndProvenance) {
  TempPath f("city-file.h5");
  io::GraphWriteOptions o;
  o.deflate = 1;
  const io::GenerateStats s = io::generate_city(f.str(), city(30000, 21), o);
  const io::Graph g = io::read_graph(f.str());
  expect_same_graph(g, io::generate_city_graph(city(30000, 21)));
  EXPECT_EQ(s.edges, g.nnz());
  EXPECT_EQ(s.agents, 30000);
  const io::GraphHeader h = io::read_graph_header(f.str());
  EXPECT_TRUE(h.has_kinds);
  ASSERT_TRUE(h.attributes.count("generator"));
  const auto j = nlohmann::json::parse(h.attributes.at("generator"));
  EXPECT_EQ(j.at("model"), "city");
  EXPECT_EQ(j.at("seed"), 21);
  EXPECT_EQ(j.at("agents"), 30000);
  EXPECT_NE(h.source.find("generate city --agents 30000 --seed 21"), std::string::npos);
}

TEST(GenerateCity, RejectsBadParameters) {
  auto expect_usage = [](io::CityParams p, const char* option) {
    try {
      io::validate_city_params(p);
      ADD_FAILURE() << "accepted bad " << option;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(option), std::string::npos) << e.what();
    }
  };
  io::CityParams p = city(1000);
  p.agents = 5;
  expect_usage(p, "--agents");
  p = city(1000);
  p.agents = std::int64_t{3} << 31;
  expect_usage(p, "--agents");
  p = city(1000);
  p.mean_degree = 2;
  expect_usage(p, "--mean-degree");
  p.mean_degree = std::nan("");
  expect_usage(p, "--mean-degree");
  p = city(1000);
  p.institution_share = -0.1;
  expect_usage(p, "--institution-share");
  p = city(1000);
  p.enterprise_share = 0.9;
  expect_usage(p, "--enterprise-share");
  p = city(1000);
  p.signed_share = 1.5;
  expect_usage(p, "--signed-share");
  p = city(1000);
  p.institution_share = 0.3;
  p.enterprise_share = 0.3;
  EXPECT_THROW(io::validate_city_params(p), ConfigError);
  // Nothing is left behind when generation fails.
  TempPath f("city-bad.h5");
  p = city(5);
  EXPECT_THROW(io::generate_city(f.str(), p), UsageError);
  EXPECT_NE(0, access(f.str().c_str(), F_OK));
}

// ------------------------------------------------------------------ rmat ----

io::RmatParams rmat(int scale, std::int64_t ef) {
  io::RmatParams p;
  p.scale = scale;
  p.edge_factor = ef;
  return p;
}

TEST(GenerateRmat, EdgeCountAndInvariants) {
  const io::Graph g = io::generate_rmat_graph(rmat(14, 16));
  EXPECT_EQ(g.n, 1 << 14);
  EXPECT_NO_THROW(io::validate_graph(g, "rmat"));
  EXPECT_FALSE(has_self_loop(g));
  const std::int64_t draws = 16 << 14;
  EXPECT_LE(g.nnz(), draws);
  EXPECT_GT(g.nnz(), draws * 8 / 10);  // duplicates and self-loops are a minority
  for (float w : g.data) ASSERT_EQ(w, 1.0f);
  EXPECT_TRUE(g.kind.empty());
}

TEST(GenerateRmat, QuadrantProportions) {
  // Without scrambling, the top-level quadrants hold about a, b, c, d of the
  // edges (a little less in a, where duplicates concentrate).
  io::RmatParams p = rmat(16, 4);
  p.scramble = false;
  const io::Graph g = io::generate_rmat_graph(p);
  const std::int64_t half = g.n / 2;
  double q[4] = {0, 0, 0, 0};
  for (std::int64_t i = 0; i < g.n; ++i)
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) q[(i >= half) * 2 + (g.indices[k] >= half)] += 1;
  const double expect[4] = {0.57, 0.19, 0.19, 0.05};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(q[j] / static_cast<double>(g.nnz()), expect[j], 0.02) << "quadrant " << j;
  // Other initiators are followed too.
  p.a = 0.25;
  p.b = 0.25;
  p.c = 0.25;
  const io::Graph u = io::generate_rmat_graph(p);
  std::int64_t top_left = 0;
  for (std::int64_t i = 0; i < half; ++i)
    for (std::int64_t k = u.indptr[i]; k < u.indptr[i + 1]; ++k) top_left += u.indices[k] < half;
  EXPECT_NEAR(static_cast<double>(top_left) / static_cast<double>(u.nnz()), 0.25, 0.01);
}

TEST(GenerateRmat, SameGraphForAnyThreadCount) {
  io::RmatParams p = rmat(15, 8);
  p.uniform_weights = true;
  const io::Graph one = with_threads(1, [&] { return io::generate_rmat_graph(p); });
  const io::Graph two = with_threads(2, [&] { return io::generate_rmat_graph(p); });
  expect_same_graph(one, two);
  for (float w : one.data) {
    ASSERT_GT(w, 0.0f);
    ASSERT_LE(w, 1.0f);
  }
  p.seed = 2;
  EXPECT_NE(io::generate_rmat_graph(p).content_hash, one.content_hash);
  TempPath f("rmat.h5");
  const io::GenerateStats s = with_threads(2, [&] { return io::generate_rmat(f.str(), rmat(12, 8)); });
  const io::Graph r = io::read_graph(f.str());
  expect_same_graph(r, io::generate_rmat_graph(rmat(12, 8)));
  EXPECT_EQ(s.edges, r.nnz());
  const auto j = nlohmann::json::parse(io::read_graph_header(f.str()).attributes.at("generator"));
  EXPECT_EQ(j.at("model"), "rmat");
  EXPECT_EQ(j.at("edge_draws"), 8 << 12);
}

// The `source` attribute is a command that rebuilds the graph: every
// parameter in its shortest round-trip digits (six significant digits
// turned --institution-share 0.0012249999 into 0.001225, one institution
// more in 20,000 agents). A d that a + b + c rounds past 1 is recorded as 0.
TEST(GenerateSource, ParametersKeepEveryDigit) {
  TempPath c("city-digits.h5"), r("rmat-digits.h5");
  io::CityParams cp = city(2000, 3);
  cp.institution_share = 0.0012249999;
  io::generate_city(c.str(), cp, {});
  EXPECT_NE(io::read_graph_header(c.str()).source.find("--institution-share 0.0012249999 "), std::string::npos)
      << io::read_graph_header(c.str()).source;
  io::RmatParams rp = rmat(6, 4);
  rp.a = 0.01;
  rp.b = 0.06;
  rp.c = 0.93;  // 1 − a − b − c = −1.1e-16 in float64
  io::generate_rmat(r.str(), rp);
  const io::GraphHeader h = io::read_graph_header(r.str());
  EXPECT_NE(h.source.find("--a 0.01 --b 0.06 --c 0.93 "), std::string::npos) << h.source;
  EXPECT_EQ(nlohmann::json::parse(h.attributes.at("generator")).at("d").get<double>(), 0.0);
  rp.a = 0.5512345678;
  rp.b = rp.c = 0.1;
  io::generate_rmat(r.str(), rp);
  EXPECT_NE(io::read_graph_header(r.str()).source.find("--a 0.5512345678 "), std::string::npos);
}

TEST(GenerateRmat, ScrambleIsABijection) {
  for (int scale : {1, 2, 3, 7, 12, 16}) {
    const std::uint64_t n = std::uint64_t{1} << scale;
    std::vector<bool> seen(n, false);
    for (std::uint64_t v = 0; v < n; ++v) {
      const std::uint64_t s = io::rmat_scramble(v, scale, 99);
      ASSERT_LT(s, n);
      ASSERT_FALSE(seen[s]) << "scale " << scale;
      seen[s] = true;
    }
  }
  // Scrambled: the heaviest rows are no longer the low ids.
  const io::Graph g = io::generate_rmat_graph(rmat(14, 16));
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < g.n; ++i)
    if (g.indptr[i + 1] - g.indptr[i] > g.indptr[best + 1] - g.indptr[best]) best = i;
  EXPECT_NE(best, 0);
}

TEST(GenerateRmat, RejectsBadParameters) {
  auto expect_usage = [](io::RmatParams p, const char* option) {
    try {
      io::validate_rmat_params(p);
      ADD_FAILURE() << "accepted bad " << option;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(option), std::string::npos) << e.what();
    }
  };
  expect_usage(rmat(0, 16), "--scale");
  expect_usage(rmat(31, 16), "--scale");
  expect_usage(rmat(10, 0), "--edge-factor");
  io::RmatParams p = rmat(10, 16);
  p.a = 1.5;
  expect_usage(p, "--a");
  p = rmat(10, 16);
  p.b = -0.1;
  expect_usage(p, "--b");
  p = rmat(10, 16);
  p.a = 0.6;
  p.b = 0.3;
  p.c = 0.3;
  EXPECT_THROW(io::validate_rmat_params(p), ConfigError);
  EXPECT_THROW(io::validate_rmat_params(rmat(30, 4096)), ConfigError);
}

}  // namespace
