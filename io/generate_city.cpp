// The synthetic city generator; the model is described in docs/generators.md.
#include "io/generate_city.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <sstream>

#include "common/error.hpp"
#include "common/philox.hpp"
#include "io/generate_sort.hpp"

namespace trustprop::io {

namespace {

using rng::PhiloxStream;
using RowStream = rng::PhiloxStreamT<4>;  // a row draws ~100 words: 4 Philox blocks per refill

// Philox streams: one per purpose, so that changing how one thing is drawn
// never shifts the numbers of another.
enum Stream : std::uint32_t {
  kStreamHousehold = 0x43490001,    // index: neighbourhood
  kStreamWorkplace = 0x43490002,    // index: resident agent
  kStreamRegistrar = 0x43490003,    // index: enterprise number
  kStreamEnterpriseRank = 0x43490004,
  kStreamInstitutionRank = 0x43490005,
  kStreamRow = 0x43490006,          // index: row (the agent whose ties are drawn)
  kStreamSign = 0x43490007,         // index: row, draw: column
};

// ---- the model's constants (docs/generators.md) -----------------------------
constexpr double kNeighbourhoodAgents = 4000;  // agents per neighbourhood (id block)
// Household sizes 1..6 (roughly the size distribution of European/US households).
constexpr double kHouseholdShare[6] = {0.28, 0.34, 0.15, 0.13, 0.06, 0.04};
constexpr double kLocalWorkplace = 0.7;   // share of residents working in their own neighbourhood
constexpr std::int64_t kNeighbourWindow = 32;  // neighbours: residents within +-32 ids (same street)
constexpr double kFriendAlpha = 1.6;      // friend count ~ Pareto(x_m, alpha), P(K >= k) ~ k^-alpha
constexpr std::int64_t kFriendCap = 1 << 20;
constexpr int kLocalFriendDraws = 256;    // beyond these, friends are drawn city-wide
constexpr double kFriendLocal = 0.60;     // same neighbourhood
constexpr double kFriendNear = 0.25;      // a neighbourhood within +-3; the rest city-wide
constexpr int kNearRadius = 3;
constexpr int kInstitutionPeers = 12;     // institutions each institution trusts (at most)
constexpr int kStaff = 3;                 // employees an enterprise trusts (at most)

// Mean tie counts at the reference degree 48 that scale with --mean-degree.
constexpr double kNeighbours = 6, kCoworkers = 7, kFriends = 25, kLocalCustomer = 3, kPopularCustomer = 3;
constexpr double kResidentScaled = kNeighbours + kCoworkers + kFriends + kLocalCustomer + kPopularCustomer;
constexpr double kLocalSuppliers = 4, kPopularSuppliers = 6;
constexpr double kEnterpriseScaled = kLocalSuppliers + kPopularSuppliers;
// Fixed ties: employer 1 and 2 institutions per resident; staff, registrar
// and 1 more institution per enterprise.
constexpr double kResidentInstitutions = 2;
constexpr double kEnterpriseFixed = kStaff + 2;
// Duplicates (merged) and self-draws (dropped) lose a few ties; scaled
// counts are raised by this factor to meet the target (measured; see docs).
constexpr double kDedupCompensation = 1.03;

// Tie weights by type; each is multiplied by a uniform noise in [0.75, 1.25)
// and capped at 1.
constexpr float kWHousehold = 0.9f, kWNeighbour = 0.45f, kWCoworker = 0.55f, kWEmployer = 0.6f,
                kWFriend = 0.7f, kWCustomer = 0.4f, kWResidentInstitution = 0.75f, kWSupplier = 0.5f,
                kWStaff = 0.5f, kWRegistrar = 0.9f, kWEnterpriseInstitution = 0.7f, kWInstitutionPeer = 0.85f,
                kWRegistered = 0.6f;

double household_mean_ties() {
  // Mean (size - 1) over residents: household sizes are size-biased.
  double num = 0, den = 0;
  for (int s = 1; s <= 6; ++s) {
    num += kHouseholdShare[s - 1] * s * (s - 1);
    den += kHouseholdShare[s - 1] * s;
  }
  return num / den;
}

// Zipf(1) ranks over K items by inverting the continuous density 1/x on
// [1, K + 1): rank r has probability about log((r + 2)/(r + 1)) / log(K + 1).
struct Zipf {
  std::uint64_t k = 0;
  double log_k1 = 0;
  Zipf() = default;
  explicit Zipf(std::uint64_t items) : k(items), log_k1(std::log(static_cast<double>(items) + 1.0)) {}
  std::uint64_t rank(std::uint32_t word) const {
    const double x = std::exp(static_cast<double>(word) * 0x1.0p-32 * log_k1);
    const auto r = static_cast<std::uint64_t>(x) - 1;
    return r < k ? r : k - 1;
  }
};

// floor(m) plus one with probability frac(m).
inline std::int64_t stochastic_round(double m, std::uint32_t word) {
  const double f = std::floor(m);
  return static_cast<std::int64_t>(f) + (static_cast<double>(word) * 0x1.0p-32 < m - f ? 1 : 0);
}

// E[min(floor(x_m U^(-1/alpha)), cap)] = sum_{k=1..cap} min(1, (x_m/k)^alpha).
double pareto_floor_mean(double xm, double alpha, double cap) {
  double sum = 0;
  const double k0 = std::min(cap, 20000.0);
  for (double k = 1; k <= k0; ++k) sum += std::min(1.0, std::pow(xm / k, alpha));
  if (cap > k0) {  // the tail as an integral; x_m < k0 so the min is the power
    const double a = k0 + 0.5, b = cap + 0.5;
    sum += std::pow(xm, alpha) * (std::pow(a, 1 - alpha) - std::pow(b, 1 - alpha)) / (alpha - 1);
  }
  return sum;
}

// The x_m that gives a mean friend count `mean` (bisection).
double pareto_scale_for_mean(double mean, double alpha, double cap) {
  double lo = 1e-6, hi = std::max(mean, 1.0) * 2;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (pareto_floor_mean(mid, alpha, cap) < mean ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

inline std::uint64_t tie(std::int64_t column, float weight) {
  std::uint32_t bits;
  std::memcpy(&bits, &weight, sizeof bits);
  return (static_cast<std::uint64_t>(column) << 32) | bits;
}

// Weight of a tie of base weight `base`: base * U[0.75, 1.25) from 16
// random bits, capped at 1.
inline float noisy(float base, std::uint32_t bits16) {
  const float w = base * (0.75f + 0.5f * rng::to_float01_16(bits16));
  return w < 1.0f ? w : 1.0f;
}

// Collects one row's ties and hands them out sorted, merged (largest
// weight) and without the self-loop. Most ties fall in the row's own
// neighbourhood block: those go to a bitmap with a dense weight array over
// the block (no sorting: a scan of the bitmap yields them in order); the
// rest are sorted as packed (column, weight) words.
class RowBuilder {
 public:
  void reserve_local(std::int64_t span) {
    if (static_cast<std::int64_t>(best_.size()) < span) {
      best_.resize(static_cast<std::size_t>(span));
      bits_.assign(static_cast<std::size_t>((span + 63) / 64), 0);
    }
  }
  void begin(std::int64_t row, std::int64_t lo, std::int64_t hi) {
    row_ = row;
    lo_ = lo;
    span_ = static_cast<std::uint64_t>(hi - lo);
    local_ = 0;
    remote_.clear();
  }
  void add(std::int64_t column, float weight) {
    const std::uint64_t d = static_cast<std::uint64_t>(column - lo_);
    if (d < span_) {
      std::uint64_t& word = bits_[d >> 6];
      const std::uint64_t bit = std::uint64_t{1} << (d & 63);
      if (word & bit) {
        if (weight > best_[d]) best_[d] = weight;
      } else {
        word |= bit;
        best_[d] = weight;
        ++local_;
      }
    } else {
      remote_.push_back(tie(column, weight));
    }
  }
  // Writes the row at columns[start..], weights[start..] (which must have
  // room for local_count() + remote_count() entries); returns its length.
  // `sign(col)` says whether the tie to col is negative.
  std::size_t capacity_needed() const { return local_ + remote_.size(); }
  template <class Sign>
  std::int64_t finish(std::int32_t* columns, float* weights, const Sign& sign) {
    const std::uint64_t self = static_cast<std::uint64_t>(row_ - lo_);
    if (self < span_) bits_[self >> 6] &= ~(std::uint64_t{1} << (self & 63));
    sort_ties(remote_.data(), remote_.size());
    std::int64_t o = 0;
    const std::size_t m = remote_.size();
    std::size_t k = 0;
    auto emit_remote = [&](std::uint64_t limit) {  // remote ties with column < limit
      for (; k < m && (remote_[k] >> 32) < limit; ++k) {
        if (k + 1 < m && (remote_[k + 1] >> 32) == (remote_[k] >> 32)) continue;  // keep the largest
        float w;
        const auto b = static_cast<std::uint32_t>(remote_[k]);
        std::memcpy(&w, &b, sizeof w);
        const auto col = static_cast<std::int32_t>(remote_[k] >> 32);
        columns[o] = col;
        weights[o++] = sign(col) ? -w : w;
      }
    };
    emit_remote(static_cast<std::uint64_t>(lo_));
    const std::size_t words = static_cast<std::size_t>((span_ + 63) / 64);
    for (std::size_t wi = 0; wi < words; ++wi) {
      std::uint64_t word = bits_[wi];
      if (!word) continue;
      bits_[wi] = 0;
      do {
        const std::uint64_t d = wi * 64 + static_cast<std::uint64_t>(__builtin_ctzll(word));
        const auto col = static_cast<std::int32_t>(lo_ + static_cast<std::int64_t>(d));
        columns[o] = col;
        weights[o++] = sign(col) ? -best_[d] : best_[d];
        word &= word - 1;
      } while (word);
    }
    emit_remote(~std::uint64_t{0});
    return o;
  }

 private:
  std::int64_t row_ = 0, lo_ = 0;
  std::uint64_t span_ = 0;
  std::size_t local_ = 0;
  std::vector<std::uint64_t> bits_;
  std::vector<float> best_;
  std::vector<std::uint64_t> remote_;
};

// One chunk of consecutive rows: `nnz` ties in columns/weights (buffers
// that only grow, reused from block to block).
struct Chunk {
  std::vector<std::int64_t> lengths;
  std::vector<std::int32_t> columns;
  std::vector<float> weights;
  std::size_t nnz = 0;
  RowBuilder row;

  void reserve_more(std::size_t extra) {
    if (columns.size() < nnz + extra) {
      const std::size_t size = std::max(nnz + extra, 2 * columns.size());
      columns.resize(size);
      weights.resize(size);
    }
  }
};

class City {
 public:
  explicit City(const CityParams& p);
  void build();
  void generate_chunk(std::int64_t r0, std::int64_t r1, Chunk& out) const;

  CityLayout layout;
  std::vector<std::uint8_t> kind;
  nlohmann::json model_json() const;

 private:
  CityParams p_;
  std::int64_t n_, nr_, ne_, ni_, nh_;
  double scale_ = 1, friend_xm_ = 1;
  std::int64_t friend_cap_ = 1;

  // Per neighbourhood h (nh_ + 1 entries): first agent id, and the first
  // institution, enterprise and resident number (global, 0-based).
  std::vector<std::int64_t> base_, inst_lo_, ent_lo_, res_lo_, res_first_;
  std::vector<std::uint8_t> household_;          // per agent: position << 3 | size (residents)
  std::vector<std::int32_t> ent_agent_, inst_agent_;  // number -> agent id
  std::vector<std::int32_t> ent_by_rank_, inst_by_rank_;  // popularity rank -> number
  std::vector<std::int64_t> emp_off_;            // enterprise number -> its employees
  std::vector<std::int32_t> emp_list_;           // employees' agent ids, ascending per enterprise
  std::vector<std::int64_t> reg_off_;            // institution number -> registered enterprises
  std::vector<std::int32_t> reg_list_;           // enterprises' agent ids, ascending
  Zipf zipf_ent_, zipf_inst_;

  std::int64_t ents_in(std::int64_t h) const { return ent_lo_[h + 1] - ent_lo_[h]; }
  std::int64_t insts_in(std::int64_t h) const { return inst_lo_[h + 1] - inst_lo_[h]; }
  std::int64_t residents_in(std::int64_t h) const { return res_lo_[h + 1] - res_lo_[h]; }
  std::int64_t neighbourhood_of(std::int64_t agent) const {
    return static_cast<std::int64_t>(std::upper_bound(base_.begin(), base_.end(), agent) - base_.begin()) - 1;
  }
  // A resident anywhere in the city: a uniform neighbourhood, then a
  // uniform resident of it (neighbourhoods' resident counts differ by at
  // most one, so this is uniform over residents to within 1/4000).
  std::int64_t random_resident(RowStream& r) const {
    const auto g = static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(nh_)));
    return res_first_[g] + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(residents_in(g))));
  }
  std::int64_t workplace(std::int64_t agent, std::int64_t h) const;
  std::int64_t registrar(std::int64_t enterprise) const;
  std::int64_t popular_enterprise(std::uint32_t word) const { return ent_agent_[ent_by_rank_[zipf_ent_.rank(word)]]; }
  std::int64_t popular_institution(std::uint32_t word) const {
    return inst_agent_[inst_by_rank_[zipf_inst_.rank(word)]];
  }
  std::int64_t local_enterprise(std::int64_t h, RowStream& r) const {
    const std::int64_t e = ents_in(h);
    return e > 0 ? ent_agent_[ent_lo_[h] + r.below(e)] : popular_enterprise(r.next_u32());
  }

  void resident_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const;
  void enterprise_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const;
  void institution_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const;
  std::int64_t max_block_ = 0;  // agents in the largest neighbourhood
};

std::int64_t share_count(double share, std::int64_t n) {
  if (share <= 0) return 0;
  return std::max<std::int64_t>(1, std::llround(share * static_cast<double>(n)));
}

City::City(const CityParams& p) : p_(p), n_(p.agents) {
  ni_ = share_count(p.institution_share, n_);
  ne_ = share_count(p.enterprise_share, n_);
  nr_ = n_ - ni_ - ne_;
  nh_ = std::max<std::int64_t>(1, std::llround(static_cast<double>(n_) / kNeighbourhoodAgents));
  nh_ = std::min(nh_, nr_);  // every neighbourhood has residents

  // Scale of the degree-dependent tie counts so that the mean over all
  // agents meets the target (institutions: peers + registered enterprises).
  const double peers = static_cast<double>(std::min<std::int64_t>(std::max<std::int64_t>(ni_ - 1, 0), kInstitutionPeers));
  const double inst_ties = ni_ > 0 ? static_cast<double>(ni_) * peers + static_cast<double>(ne_) : 0;
  const double ent_fixed = ne_ > 0 ? kEnterpriseFixed - (ni_ > 0 ? 0 : 2) : 0;
  const double res_fixed = household_mean_ties() + (ne_ > 0 ? 1 : 0) + (ni_ > 0 ? kResidentInstitutions : 0);
  const double fixed = static_cast<double>(nr_) * res_fixed + static_cast<double>(ne_) * ent_fixed + inst_ties;
  // Without enterprises residents have no coworkers and are nobody's customers.
  const double resident_scaled = ne_ > 0 ? kResidentScaled : kNeighbours + kFriends;
  const double scaled = static_cast<double>(nr_) * resident_scaled + static_cast<double>(ne_) * kEnterpriseScaled;
  scale_ = (p.mean_degree * static_cast<double>(n_) - fixed) / scaled;
  if (scale_ < 0.05) {
    std::ostringstream msg;
    msg << "--mean-degree " << p.mean_degree << " is too small for this city: households, workplaces, "
        << "institutions and registrations alone give about " << (fixed / static_cast<double>(n_) + 0.05 * scaled / static_cast<double>(n_))
        << " ties per agent";
    throw ConfigError(msg.str());
  }
  scale_ *= kDedupCompensation;
  friend_cap_ = std::max<std::int64_t>(1, std::min<std::int64_t>(kFriendCap, nr_ - 1));
  friend_xm_ = pareto_scale_for_mean(kFriends * scale_, kFriendAlpha, static_cast<double>(friend_cap_));
}

void City::build() {
  // Neighbourhood tables.
  const std::int64_t H = nh_;
  base_.resize(H + 1);
  inst_lo_.resize(H + 1);
  ent_lo_.resize(H + 1);
  res_lo_.resize(H + 1);
  res_first_.resize(H + 1);
  for (std::int64_t h = 0; h <= H; ++h) {
    inst_lo_[h] = ni_ * h / H;
    ent_lo_[h] = ne_ * h / H;
    res_lo_[h] = nr_ * h / H;
    base_[h] = inst_lo_[h] + ent_lo_[h] + res_lo_[h];
  }
  for (std::int64_t h = 0; h < H; ++h) {
    res_first_[h] = base_[h] + insts_in(h) + ents_in(h);
    max_block_ = std::max(max_block_, base_[h + 1] - base_[h]);
  }
  res_first_[H] = n_;

  kind.assign(static_cast<std::size_t>(n_), static_cast<std::uint8_t>(AgentKind::resident));
  household_.assign(static_cast<std::size_t>(n_), 0);
  ent_agent_.resize(static_cast<std::size_t>(ne_));
  inst_agent_.resize(static_cast<std::size_t>(ni_));
  std::int64_t households = 0;

  double cdf[6];
  double acc = 0;
  for (int s = 0; s < 6; ++s) cdf[s] = (acc += kHouseholdShare[s]);

#pragma omp parallel for schedule(dynamic, 16) reduction(+ : households)
  for (std::int64_t h = 0; h < H; ++h) {
    const std::int64_t a0 = base_[h];
    for (std::int64_t q = 0; q < insts_in(h); ++q) {
      kind[a0 + q] = static_cast<std::uint8_t>(AgentKind::institution);
      inst_agent_[inst_lo_[h] + q] = static_cast<std::int32_t>(a0 + q);
    }
    const std::int64_t e0 = a0 + insts_in(h);
    for (std::int64_t e = 0; e < ents_in(h); ++e) {
      kind[e0 + e] = static_cast<std::uint8_t>(AgentKind::enterprise);
      ent_agent_[ent_lo_[h] + e] = static_cast<std::int32_t>(e0 + e);
    }
    // Households: consecutive residents, sizes drawn in order.
    PhiloxStream r(p_.seed, kStreamHousehold, static_cast<std::uint64_t>(h));
    std::int64_t i = res_first_[h];
    const std::int64_t end = res_first_[h] + residents_in(h);
    while (i < end) {
      const double u = r.uniform01();
      int size = 1;
      while (size < 6 && u >= cdf[size - 1]) ++size;
      size = static_cast<int>(std::min<std::int64_t>(size, end - i));
      for (int m = 0; m < size; ++m) household_[i + m] = static_cast<std::uint8_t>((m << 3) | size);
      i += size;
      ++households;
    }
  }
  layout.agents = n_;
  layout.residents = nr_;
  layout.enterprises = ne_;
  layout.institutions = ni_;
  layout.neighbourhoods = H;
  layout.households = households;

  // Popularity: a random permutation maps Zipf rank -> enterprise/institution.
  auto permutation = [&](std::int64_t k, std::uint32_t stream) {
    std::vector<std::int32_t> perm(static_cast<std::size_t>(k));
    for (std::int64_t j = 0; j < k; ++j) perm[j] = static_cast<std::int32_t>(j);
    for (std::int64_t j = k - 1; j > 0; --j) {
      PhiloxStream r(p_.seed, stream, static_cast<std::uint64_t>(j));
      std::swap(perm[j], perm[r.below(static_cast<std::uint64_t>(j + 1))]);
    }
    return perm;
  };
  ent_by_rank_ = permutation(ne_, kStreamEnterpriseRank);
  inst_by_rank_ = permutation(ni_, kStreamInstitutionRank);
  if (ne_ > 0) zipf_ent_ = Zipf(static_cast<std::uint64_t>(ne_));
  if (ni_ > 0) zipf_inst_ = Zipf(static_cast<std::uint64_t>(ni_));

  // Employees of each enterprise (counting sort by workplace, ascending ids).
  if (ne_ > 0) {
    std::vector<std::int32_t> wp(static_cast<std::size_t>(nr_));
#pragma omp parallel for schedule(dynamic, 16)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t r = res_lo_[h]; r < res_lo_[h + 1]; ++r)
        wp[r] = static_cast<std::int32_t>(workplace(res_first_[h] + (r - res_lo_[h]), h));
    emp_off_.assign(static_cast<std::size_t>(ne_ + 1), 0);
    for (std::int64_t r = 0; r < nr_; ++r) ++emp_off_[wp[r] + 1];
    for (std::int64_t e = 0; e < ne_; ++e) emp_off_[e + 1] += emp_off_[e];
    emp_list_.resize(static_cast<std::size_t>(nr_));
    std::vector<std::int64_t> fill(emp_off_.begin(), emp_off_.end() - 1);
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t r = res_lo_[h]; r < res_lo_[h + 1]; ++r)
        emp_list_[fill[wp[r]]++] = static_cast<std::int32_t>(res_first_[h] + (r - res_lo_[h]));
  }
  // Enterprises registered with each institution.
  if (ne_ > 0 && ni_ > 0) {
    std::vector<std::int32_t> reg(static_cast<std::size_t>(ne_));
#pragma omp parallel for schedule(static)
    for (std::int64_t e = 0; e < ne_; ++e) reg[e] = static_cast<std::int32_t>(registrar(e));
    reg_off_.assign(static_cast<std::size_t>(ni_ + 1), 0);
    for (std::int64_t e = 0; e < ne_; ++e) ++reg_off_[reg[e] + 1];
    for (std::int64_t q = 0; q < ni_; ++q) reg_off_[q + 1] += reg_off_[q];
    reg_list_.resize(static_cast<std::size_t>(ne_));
    std::vector<std::int64_t> fill(reg_off_.begin(), reg_off_.end() - 1);
    for (std::int64_t e = 0; e < ne_; ++e) reg_list_[fill[reg[e]]++] = ent_agent_[e];
  }
}

// Enterprise number of resident `agent`'s workplace: in its own neighbourhood
// with probability kLocalWorkplace, else city-wide by Zipf popularity.
std::int64_t City::workplace(std::int64_t agent, std::int64_t h) const {
  PhiloxStream r(p_.seed, kStreamWorkplace, static_cast<std::uint64_t>(agent));
  const std::uint32_t a = r.next_u32(), b = r.next_u32();
  const std::int64_t local = ents_in(h);
  if (local > 0 && static_cast<double>(a) * 0x1.0p-32 < kLocalWorkplace)
    return ent_lo_[h] + rng::to_below32(b, static_cast<std::uint32_t>(local));
  return ent_by_rank_[zipf_ent_.rank(b)];
}

// Institution number an enterprise is registered with (Zipf popularity).
std::int64_t City::registrar(std::int64_t enterprise) const {
  PhiloxStream r(p_.seed, kStreamRegistrar, static_cast<std::uint64_t>(enterprise));
  return inst_by_rank_[zipf_inst_.rank(r.next_u32())];
}

// Each tie's target is drawn first, then 16 bits of weight noise (the order
// of draws is part of the output's definition, so it is spelled out).
void City::resident_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const {
  const double s = scale_;
  // Household: every other member.
  const int hh = household_[i];
  const std::int64_t first = i - (hh >> 3);
  for (int m = 0; m < (hh & 7); ++m)
    if (first + m != i) out.add(first + m, noisy(kWHousehold, r.next_u16()));

  // Employer and coworkers.
  if (ne_ > 0) {
    const std::int64_t e = workplace(i, h);
    out.add(ent_agent_[e], noisy(kWEmployer, r.next_u16()));
    const std::int64_t b = emp_off_[e], staff = emp_off_[e + 1] - b;
    const double spread = 0.5 + r.uniform01f_16();
    const std::int64_t k = stochastic_round(kCoworkers * s * spread, r.next_u32());
    if (staff - 1 <= k) {
      for (std::int64_t q = b; q < b + staff; ++q)
        if (emp_list_[q] != i) out.add(emp_list_[q], noisy(kWCoworker, r.next_u16()));
    } else {
      for (std::int64_t t = 0; t < k; ++t) {
        const std::int64_t c = emp_list_[b + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(staff)))];
        out.add(c, noisy(kWCoworker, r.next_u16()));
      }
    }
  }

  // Neighbours: residents within +-kNeighbourWindow ids, wrapping inside the neighbourhood.
  const std::int64_t rh = residents_in(h), r_first = res_first_[h];
  if (rh > 1) {
    const double spread = 0.5 + r.uniform01f_16();
    const std::int64_t k = stochastic_round(kNeighbours * s * spread, r.next_u32());
    const std::int64_t local = i - r_first;
    for (std::int64_t t = 0; t < k; ++t) {
      // Offset -W..-1, 1..W from 16 bits (bias below 2W / 2^16).
      std::int64_t d = static_cast<std::int64_t>((r.next_u16() * (2 * kNeighbourWindow)) >> 16) - kNeighbourWindow;
      if (d >= 0) ++d;
      std::int64_t q = (local + d) % rh;
      if (q < 0) q += rh;
      out.add(r_first + q, noisy(kWNeighbour, r.next_u16()));
    }
  }

  // Friends: a Pareto count; mostly in the same or a nearby neighbourhood.
  {
    const double u = r.uniform01_open0();
    const double x = friend_xm_ * std::pow(u, -1.0 / kFriendAlpha);
    const std::int64_t k = x >= static_cast<double>(friend_cap_) ? friend_cap_ : static_cast<std::int64_t>(x);
    for (std::int64_t t = 0; t < k; ++t) {
      std::int64_t f;
      const float c = t < kLocalFriendDraws ? r.uniform01f_16() : 1.0f;
      if (c < static_cast<float>(kFriendLocal)) {
        f = r_first + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(rh)));
      } else if (c < static_cast<float>(kFriendLocal + kFriendNear) && nh_ > 1) {
        std::int64_t d = static_cast<std::int64_t>((r.next_u16() * (2 * kNearRadius)) >> 16) - kNearRadius;
        if (d >= 0) ++d;
        std::int64_t g = h + d;  // wraps around the city (|d| <= kNearRadius)
        while (g < 0) g += nh_;
        while (g >= nh_) g -= nh_;
        f = res_first_[g] + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(residents_in(g))));
      } else {
        f = random_resident(r);
      }
      out.add(f, noisy(kWFriend, r.next_u16()));
    }
  }

  // Customers: local shops and popular enterprises.
  if (ne_ > 0) {
    const std::int64_t kl = stochastic_round(kLocalCustomer * s, r.next_u32());
    for (std::int64_t t = 0; t < kl; ++t) {
      const std::int64_t e = local_enterprise(h, r);
      out.add(e, noisy(kWCustomer, r.next_u16()));
    }
    const std::int64_t kp = stochastic_round(kPopularCustomer * s, r.next_u32());
    for (std::int64_t t = 0; t < kp; ++t) {
      const std::int64_t e = popular_enterprise(r.next_u32());
      out.add(e, noisy(kWCustomer, r.next_u16()));
    }
  }
  // Institutions.
  if (ni_ > 0)
    for (int t = 0; t < static_cast<int>(kResidentInstitutions); ++t) {
      const std::int64_t q = popular_institution(r.next_u32());
      out.add(q, noisy(kWResidentInstitution, r.next_u16()));
    }
}

void City::enterprise_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const {
  const double s = scale_;
  const std::int64_t e = ent_lo_[h] + (i - base_[h] - insts_in(h));
  // Suppliers: local and popular enterprises (a self-draw is dropped).
  const std::int64_t kl = stochastic_round(kLocalSuppliers * s, r.next_u32());
  for (std::int64_t t = 0; t < kl; ++t) {
    const std::int64_t j = local_enterprise(h, r);
    out.add(j, noisy(kWSupplier, r.next_u16()));
  }
  const std::int64_t kp = stochastic_round(kPopularSuppliers * s, r.next_u32());
  for (std::int64_t t = 0; t < kp; ++t) {
    const std::int64_t j = popular_enterprise(r.next_u32());
    out.add(j, noisy(kWSupplier, r.next_u16()));
  }
  // Some of its staff.
  const std::int64_t b = emp_off_[e], staff = emp_off_[e + 1] - b;
  if (staff <= kStaff) {
    for (std::int64_t q = b; q < b + staff; ++q) out.add(emp_list_[q], noisy(kWStaff, r.next_u16()));
  } else {
    for (int t = 0; t < kStaff; ++t) {
      const std::int64_t c = emp_list_[b + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(staff)))];
      out.add(c, noisy(kWStaff, r.next_u16()));
    }
  }
  // Its registrar and one more institution.
  if (ni_ > 0) {
    out.add(inst_agent_[registrar(e)], noisy(kWRegistrar, r.next_u16()));
    const std::int64_t q = popular_institution(r.next_u32());
    out.add(q, noisy(kWEnterpriseInstitution, r.next_u16()));
  }
}

void City::institution_row(std::int64_t i, std::int64_t h, RowStream& r, RowBuilder& out) const {
  const std::int64_t q = inst_lo_[h] + (i - base_[h]);
  // Peers: other institutions by popularity (a self-draw is dropped).
  const std::int64_t peers = std::min<std::int64_t>(ni_ - 1, kInstitutionPeers);
  for (std::int64_t t = 0; t < peers; ++t) {
    const std::int64_t j = popular_institution(r.next_u32());
    out.add(j, noisy(kWInstitutionPeer, r.next_u16()));
  }
  // Every enterprise registered with it.
  if (!reg_off_.empty())
    for (std::int64_t k = reg_off_[q]; k < reg_off_[q + 1]; ++k) out.add(reg_list_[k], noisy(kWRegistered, r.next_u16()));
}

void City::generate_chunk(std::int64_t r0, std::int64_t r1, Chunk& out) const {
  out.lengths.clear();
  out.nnz = 0;
  out.row.reserve_local(max_block_);
  const bool is_signed = p_.signed_share > 0;
  std::int64_t h = neighbourhood_of(r0);
  for (std::int64_t i = r0; i < r1; ++i) {
    while (i >= base_[h + 1]) ++h;
    out.row.begin(i, base_[h], base_[h + 1]);
    RowStream r(p_.seed, kStreamRow, static_cast<std::uint64_t>(i));
    switch (static_cast<AgentKind>(kind[i])) {
      case AgentKind::resident: resident_row(i, h, r, out.row); break;
      case AgentKind::enterprise: enterprise_row(i, h, r, out.row); break;
      case AgentKind::institution: institution_row(i, h, r, out.row); break;
    }
    // The sign of tie (i, col) is its own draw, so it does not depend on
    // how the tie was drawn or merged.
    out.reserve_more(out.row.capacity_needed());
    const auto is_negative = [&](std::int32_t col) {
      if (!is_signed) return false;
      const rng::Words4 x = rng::draw4(p_.seed, kStreamSign, static_cast<std::uint64_t>(i), static_cast<std::uint32_t>(col));
      return static_cast<double>(x.w[0]) * 0x1.0p-32 < p_.signed_share;
    };
    const std::int64_t len = out.row.finish(out.columns.data() + out.nnz, out.weights.data() + out.nnz, is_negative);
    out.nnz += static_cast<std::size_t>(len);
    out.lengths.push_back(len);
  }
}

nlohmann::json City::model_json() const {
  nlohmann::json j;
  j["model"] = "city";
  j["agents"] = n_;
  j["seed"] = p_.seed;
  j["mean_degree"] = p_.mean_degree;
  j["institution_share"] = p_.institution_share;
  j["enterprise_share"] = p_.enterprise_share;
  j["signed_share"] = p_.signed_share;
  j["residents"] = nr_;
  j["enterprises"] = ne_;
  j["institutions"] = ni_;
  j["neighbourhoods"] = nh_;
  j["households"] = layout.households;
  j["tie_scale"] = scale_;
  j["friend_pareto_xm"] = friend_xm_;
  j["friend_pareto_alpha"] = kFriendAlpha;
  j["friend_cap"] = friend_cap_;
  j["rng"] = "philox4x32-10";
  return j;
}

}  // namespace

void validate_city_params(const CityParams& p, CityParamNames names) {
  // "--mean-degree" or "mean_degree".
  const auto name = [names](std::string option) {
    if (names == CityParamNames::options) return option;
    option.erase(0, 2);
    std::replace(option.begin(), option.end(), '-', '_');
    return option;
  };
  auto bad = [&](const std::string& option, const std::string& what) { throw UsageError(name(option) + ": " + what); };
  if (p.agents < city_min_agents)
    bad("--agents", "must be at least " + std::to_string(city_min_agents) + " (got " + std::to_string(p.agents) + ")");
  if (p.agents > std::numeric_limits<std::int32_t>::max())
    bad("--agents", std::to_string(p.agents) + " agents do not fit 32-bit column indices (at most 2147483647)");
  if (!std::isfinite(p.mean_degree) || p.mean_degree < city_min_mean_degree || p.mean_degree > city_max_mean_degree) {
    bad("--mean-degree", fmt::format("must be between {} and {} (got {})", city_min_mean_degree, city_max_mean_degree,
                                     p.mean_degree));
  }
  auto share = [&](const char* option, double v, double max) {
    // The value in its shortest exact digits: 0.5000001 is not "0.5".
    if (!std::isfinite(v) || v < 0 || v > max)
      bad(option, fmt::format("must be a share between 0 and {} (got {})", max, v));
  };
  share("--institution-share", p.institution_share, 0.5);
  share("--enterprise-share", p.enterprise_share, 0.5);
  share("--signed-share", p.signed_share, 1.0);
  const std::int64_t ni = share_count(p.institution_share, p.agents), ne = share_count(p.enterprise_share, p.agents);
  if (p.agents - ni - ne < p.agents / 2 || p.agents - ni - ne < 2) {
    throw ConfigError(fmt::format("{} {} and {} {} leave {} of {} agents as residents; residents must be at least "
                                  "half of the city",
                                  name("--institution-share"), p.institution_share, name("--enterprise-share"),
                                  p.enterprise_share, p.agents - ni - ne, p.agents));
  }
  if (p.agents * p.mean_degree > 4.0e12)
    throw ConfigError(fmt::format("{} {} with {} {} asks for more than 4e12 edges", name("--agents"), p.agents,
                                  name("--mean-degree"), p.mean_degree));
}

void generate_city_rows(const CityParams& params, const RowSink& sink, std::vector<std::uint8_t>& kinds,
                        CityLayout& layout, std::string* generator_json) {
  validate_city_params(params);
  City city(params);
  city.build();

  const std::int64_t n = params.agents;
  // About 48k ties per chunk, 64 chunks per block; two blocks are in flight:
  // one being written while the next is generated.
  const std::int64_t chunk_rows =
      std::max<std::int64_t>(16, static_cast<std::int64_t>(49152.0 / params.mean_degree));
  const std::int64_t chunks_per_block = 64;
  const std::int64_t total_chunks = (n + chunk_rows - 1) / chunk_rows;
  const std::int64_t blocks = (total_chunks + chunks_per_block - 1) / chunks_per_block;
  std::vector<Chunk> buffers[2];
  buffers[0].resize(chunks_per_block);
  buffers[1].resize(chunks_per_block);
  std::exception_ptr error;
  bool failed = false;

  auto chunk_range = [&](std::int64_t c) {
    const std::int64_t r0 = c * chunk_rows;
    return std::make_pair(r0, std::min(n, r0 + chunk_rows));
  };

  // The master thread hands the rows to the sink (it writes the file):
  // a thread-safe HDF5 keeps its error settings per thread, and only this
  // one has them silenced (io/h5.hpp).
#pragma omp parallel
#pragma omp master
  {
    for (std::int64_t b = 0; b <= blocks; ++b) {
      bool stop;
#pragma omp atomic read
      stop = failed;
      if (stop) break;
      if (b < blocks) {
        const std::int64_t c0 = b * chunks_per_block, c1 = std::min(total_chunks, c0 + chunks_per_block);
        for (std::int64_t c = c0; c < c1; ++c) {
#pragma omp task default(shared) firstprivate(b, c, c0)
          {
            try {
              const auto [r0, r1] = chunk_range(c);
              city.generate_chunk(r0, r1, buffers[b % 2][c - c0]);
            } catch (...) {
#pragma omp critical(trustprop_city_error)
              if (!error) error = std::current_exception();
#pragma omp atomic write
              failed = true;
            }
          }
        }
      }
      if (b > 0) {
        // Hand out the previous block, in order, while this one is generated.
        try {
          const std::int64_t c0 = (b - 1) * chunks_per_block, c1 = std::min(total_chunks, c0 + chunks_per_block);
          for (std::int64_t c = c0; c < c1; ++c) {
            const Chunk& ch = buffers[(b - 1) % 2][c - c0];
            const auto [r0, r1] = chunk_range(c);
            sink(ch.lengths.data(), r1 - r0, ch.columns.data(), ch.weights.data());
          }
        } catch (...) {
#pragma omp critical(trustprop_city_error)
          if (!error) error = std::current_exception();
#pragma omp atomic write
          failed = true;
        }
      }
#pragma omp taskwait
    }
  }
  if (error) std::rethrow_exception(error);

  layout = city.layout;
  if (generator_json) *generator_json = city.model_json().dump();
  kinds = std::move(city.kind);
}

GenerateStats generate_city(const std::string& path, const CityParams& params, const GraphWriteOptions& options) {
  validate_city_params(params);
  const auto t0 = std::chrono::steady_clock::now();
  GraphWriteOptions o = options;
  if (o.expected_nnz == 0)
    o.expected_nnz = std::max<std::int64_t>(1, static_cast<std::int64_t>(params.mean_degree * static_cast<double>(params.agents)));
  // Shortest round-trip digits: the command rebuilds this very graph.
  const std::string source = fmt::format(
      "trustprop generate city --agents {} --seed {} --mean-degree {} --institution-share {} --enterprise-share {} "
      "--signed-share {}",
      params.agents, params.seed, params.mean_degree, params.institution_share, params.enterprise_share,
      params.signed_share);
  GraphWriter writer(path, params.agents, source, o);
  std::vector<std::uint8_t> kinds;
  GenerateStats stats;
  std::string json;
  generate_city_rows(
      params,
      [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* cols, const float* weights) {
        writer.append_rows(lengths, rows, cols, weights);
      },
      kinds, stats.layout, &json);
  writer.set_kinds(kinds);
  writer.set_attribute("generator", json);
  commit_generated(writer, params.agents, t0, stats);
  return stats;
}

void commit_generated(GraphWriter& writer, std::int64_t agents, std::chrono::steady_clock::time_point started,
                      GenerateStats& stats) {
  stats.agents = agents;
  stats.edges = writer.nnz_written();
  const auto t1 = std::chrono::steady_clock::now();
  writer.commit();
  const auto t2 = std::chrono::steady_clock::now();
  stats.seconds = std::chrono::duration<double>(t2 - started).count();
  stats.seconds_commit = std::chrono::duration<double>(t2 - t1).count();
}

Graph generate_city_graph(const CityParams& params, CityLayout* layout) {
  Graph g;
  g.n = params.agents;
  g.indptr.assign(1, 0);
  CityLayout l;
  std::string json;
  generate_city_rows(
      params,
      [&](const std::int64_t* lengths, std::int64_t rows, const std::int32_t* cols, const float* weights) {
        std::int64_t k = 0;
        for (std::int64_t r = 0; r < rows; ++r) {
          k += lengths[r];
          g.indptr.push_back(g.indptr.back() + lengths[r]);
        }
        g.indices.insert(g.indices.end(), cols, cols + k);
        g.data.insert(g.data.end(), weights, weights + k);
      },
      g.kind, l, &json);
  g.source = "generate city (in memory), seed " + std::to_string(params.seed);
  g.content_hash = compute_content_hash(g);
  if (layout) *layout = l;
  return g;
}

}  // namespace trustprop::io
