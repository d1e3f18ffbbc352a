// The per-edge and per-agent rules of the city dynamics (kernels/dynamics.hpp),
// written once and compiled for the host (kernels/cpu/dynamics.cpp) and the
// device (kernels/cuda/dynamics.cu), so that both backends compute the same
// thing by construction; the kernels around them only differ in how they
// walk the rows.
//
// Same inputs, same bits. Every quantity that decides a discrete outcome
// (a threshold, a comparison) or is carried as state (evidence, pools,
// payoffs) is computed with explicitly rounded IEEE operations: mul_rn and
// add_rn are __dmul_rn/__dadd_rn on the device (never contracted into an
// FMA) and plain operations on the host (ISO C++ mode and x86-64-v2 do not
// contract either). e^x for the Fermi rule is portable_exp below, built from
// those operations, instead of the two platforms' exp (which may differ in
// the last bit). Random draws are compared with integer thresholds.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/philox.hpp"
#include "kernels/dynamics.hpp"

namespace trustprop::kernels::dynamics_rules {

// Philox purposes (the `stream` word of the counter). The epoch is the
// `draw` word and the edge or agent the index, except for the interaction
// draws (see interaction_block). Distinct from the generators' streams.
enum Purpose : std::uint32_t {
  purpose_interact = 0x44590001,     // index: epoch, draw: edge group k/4 (edge k takes word k mod 4)
  purpose_detect = 0x44590002,       // index: edge k (drawn only for a registered provider's defection)
  purpose_revise = 0x44590003,       // index: agent (word 0: revise?, words 1-2: which neighbour)
  purpose_fermi = 0x44590004,        // index: agent (words 0-1: the imitation draw)
  purpose_initial = 0x44590005,      // index: agent, epoch 0: initial strategy
  purpose_registration = 0x44590006, // index: agent, epoch 0: registration (registration = "random")
};

TRUSTPROP_HD inline double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

TRUSTPROP_HD inline double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

// Integer threshold of a probability: an event of probability p happens
// when a uniform 32-bit word is below it (resolution 2^-32; p <= 0 never,
// p >= 1 always).
TRUSTPROP_HD inline std::uint64_t threshold32(double p) {
  const double q = p > 0.0 ? (p < 1.0 ? p : 1.0) : 0.0;  // NaN -> 0
  return static_cast<std::uint64_t>(mul_rn(q, 4294967296.0));
}

// e^x to within about 1 ulp, the same bits on host and device: x = k·ln2 + r
// (Cody–Waite, ln2 split so that k·ln2_hi is exact), |r| <= ln2/2, Taylor
// polynomial of degree 13 in Horner form, scaled by 2^k exactly.
TRUSTPROP_HD inline double portable_exp(double x) {
  if (x > 709.0) return std::numeric_limits<double>::infinity();
  if (x < -745.0) return 0.0;
  constexpr double log2e = 1.4426950408889634, ln2_hi = 6.93147180369123816490e-01,
                   ln2_lo = 1.90821492927058770002e-10;
  const double k = floor(add_rn(mul_rn(x, log2e), 0.5));
  const double r = add_rn(add_rn(x, -mul_rn(k, ln2_hi)), -mul_rn(k, ln2_lo));
  constexpr double inv_factorial[14] = {1.0,
                                        1.0,
                                        1.0 / 2,
                                        1.0 / 6,
                                        1.0 / 24,
                                        1.0 / 120,
                                        1.0 / 720,
                                        1.0 / 5040,
                                        1.0 / 40320,
                                        1.0 / 362880,
                                        1.0 / 3628800,
                                        1.0 / 39916800,
                                        1.0 / 479001600,
                                        1.0 / 6227020800.0};
  double p = inv_factorial[13];
  for (int d = 12; d >= 0; --d) p = add_rn(mul_rn(p, r), inv_factorial[d]);
  return ldexp(p, static_cast<int>(k));
}

// Fermi rule: probability 1/(1 + exp(−(π_model − π_self)/K)) of imitating.
TRUSTPROP_HD inline double fermi_probability(double payoff_self, double payoff_model, double noise) {
  const double x = -(add_rn(payoff_model, -payoff_self) / noise);
  return 1.0 / add_rn(1.0, portable_exp(x));
}

// The interaction threshold of a tie of weight w: its 32-bit draw must be
// below it, so it interacts with probability min(1, rate·w), resolved to
// 2^-32 (a tie with rate·w >= 1 misses only the draw 2^32 − 1; w <= 0 never
// interacts). Computed once per tie, on the host.
inline std::uint32_t interaction_threshold(double rate, float w) {
  const std::uint64_t t = threshold32(mul_rn(rate, w));
  return t > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(t);
}

// Evidence with forgetting (Beta reputation): x <- λ·x + added. λ and x are
// float32, so λ·x is exact in double; the sum is rounded once, then to float.
TRUSTPROP_HD inline float decay_add(float forgetting, float x, double added) {
  return static_cast<float>(add_rn(mul_rn(forgetting, x), added));
}

// Pooled evidence (double) with forgetting.
TRUSTPROP_HD inline double pool_update(float forgetting, double pool, std::int32_t added) {
  return add_rn(mul_rn(forgetting, pool), static_cast<double>(added));
}

// A customer refuses a partner whose Beta expectation (r+1)/(r+s+2) is
// below `avoid_below`, evaluated without division: r+1 < θ·(r+s+2).
TRUSTPROP_HD inline bool distrusted(double r, double s, double avoid_below) {
  return add_rn(r, 1.0) < mul_rn(avoid_below, add_rn(add_rn(r, s), 2.0));
}

// Local trust above neutral, (r+1)/(r+s+2) − 1/2 = (r − s)/(2(r+s+2)) when
// positive (exactly when r > s), else 0, in 32-bit fixed point: multiples
// of 2^-32, truncated (below 2^-32 counts as no trust; u < 1/2, so q <
// 2^31). Row sums of q are exact integers whatever the order of the sum,
// so the row normalisation c = q / Σq, hence Cᵀ, is the same bits on every
// backend. The clamp at 0 is an integer max, not a branch.
TRUSTPROP_HD inline std::uint32_t local_trust(double r, double s) {
  const double x = (r - s) / (2.0 * (r + s + 2.0));
  const auto v = static_cast<std::int64_t>(mul_rn(x, 4294967296.0));
  return static_cast<std::uint32_t>(v > 0 ? v : 0);
}

// c = q · (1 / Σq), rounded to float32.
TRUSTPROP_HD inline float normalised(std::uint32_t q, double inverse_sum) {
  return static_cast<float>(mul_rn(static_cast<double>(q), inverse_sum));
}

// 1/Σq of a row; 0 for a row without positive local trust (dangling).
TRUSTPROP_HD inline double inverse_of_sum(std::uint64_t sum) {
  return sum > 0 ? 1.0 / static_cast<double>(sum) : 0.0;
}

// Where edge k's record goes (InPattern): edge_slot[k], or k where the
// records are in W order.
TRUSTPROP_HD inline std::int64_t record_slot(const DynamicsGraphView& g, std::int64_t k) {
  return g.edge_slot != nullptr ? g.edge_slot[k] : k;
}

// dyn_interact's two sweeps over a row: the first parks each edge's
// fixed-point local trust in its record's 32 bits (copied as bits, never
// through a float operation: they may have the shape of a NaN), the second,
// once the row's sum is known, replaces them by Cᵀ's value.
TRUSTPROP_HD inline void park_local(EdgeRecord& rec, std::uint32_t local, std::uint8_t outcome) {
  memcpy(&rec.trust, &local, sizeof local);
  rec.outcome = outcome;
}
TRUSTPROP_HD inline void normalise_parked(EdgeRecord& rec, double inverse_sum) {
  std::uint32_t local;
  memcpy(&local, &rec.trust, sizeof local);
  rec.trust = normalised(local, inverse_sum);
}

TRUSTPROP_HD inline std::uint32_t word_of(const rng::Words4& w, std::int64_t which) {
  switch (which & 3) {
    case 0: return w.w[0];
    case 1: return w.w[1];
    case 2: return w.w[2];
    default: return w.w[3];
  }
}

// The interaction draws: edge k takes word k mod 4 (word_of) of the Philox
// block keyed by (seed, purpose_interact, index = epoch, draw = k/4). Four
// consecutive edges share a block, and consecutive blocks differ only in
// the counter's last word, so the CPU computes four blocks (16 edges) at a
// time in SSE registers (interaction_blocks4). Hence nnz < 2^34.
TRUSTPROP_HD inline rng::Words4 interaction_block(std::uint64_t seed, std::int64_t k, std::uint32_t epoch) {
  return rng::draw4(seed, purpose_interact, epoch, static_cast<std::uint32_t>(k >> 2));
}

// The blocks of edge groups first_group .. first_group + 3: out[4·b + w] is
// word w of group first_group + b (the same words as interaction_block).
TRUSTPROP_HD inline void interaction_blocks4(std::uint64_t seed, std::int64_t first_group, std::uint32_t epoch,
                                             std::uint32_t* out) {
  rng::philox4x32_10_blocks<4>(static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), epoch, 0,
                               purpose_interact, static_cast<std::uint32_t>(first_group), out);
}

// Edges per graph that the interaction draws can key (k/4 is 32 bits).
inline constexpr std::int64_t max_edges = std::int64_t{1} << 34;

// One edge k = (i -> j) of an epoch, given its interaction draw `draw`
// (word_of(interaction_block(seed, k, epoch), k)): applies avoidance, the
// donation game and supervision, updates r[k], s[k], and returns the
// outcome; `local` receives the local trust above neutral (local_trust)
// that the row is normalised with: from the evidence just updated, or
// (pooled feedback, registered provider) from the pool published at the
// start of the epoch.
// Written without data-dependent branches except for the rare detection
// draw: interaction, refusal and the partner's strategy are coin flips
// that a branch predictor cannot learn.
TRUSTPROP_HD inline std::uint8_t edge_step(const DynamicsGraphView& g, const DynamicsRules& rules,
                                           std::uint32_t epoch, std::int64_t k, std::uint32_t draw,
                                           const std::uint8_t* strategy, const double* pool_r,
                                           const double* pool_s, float* r, float* s, std::uint32_t& local) {
  const std::int32_t j = g.indices[k];
  const bool registered = g.edge_registered[k] != 0;
  const bool pooled = rules.pooled_feedback && registered;
  const float r0 = r[k], s0 = s[k];
  const double pr = pooled ? pool_r[j] : 0.0, ps = pooled ? pool_s[j] : 0.0;
  const int hit = draw < g.threshold[k];
  const int refuse = distrusted(pooled ? pr : r0, pooled ? ps : s0, rules.avoid_below);
  const int cooperates = strategy[j] != 0;
  const int served = hit & !refuse;
  const int good = served & cooperates, bad = served & !cooperates;
  // none 0, avoided 1, cooperated 2, defected 3 (arithmetic, not branches)
  int outcome = hit * (outcome_avoided + served * (1 + !cooperates));
  if (bad && registered &&
      rng::draw4(rules.seed, purpose_detect, static_cast<std::uint64_t>(k), epoch).w[0] < threshold32(rules.detection))
    outcome = outcome_defected_detected;
  const float r1 = decay_add(rules.forgetting, r0, static_cast<double>(good));
  const float s1 = decay_add(rules.forgetting, s0, static_cast<double>(bad));
  r[k] = r1;
  s[k] = s1;
  local = pooled ? local_trust(pr, ps) : local_trust(r1, s1);
  return static_cast<std::uint8_t>(outcome);
}

// π_i = b·received − c·given − F·fines + reward_per_trust·t_i + reward_shared.
TRUSTPROP_HD inline double payoff_of(const DynamicsRules& rules, std::int32_t received, std::int32_t given,
                                     std::int32_t fines, double t) {
  double p = mul_rn(rules.benefit, static_cast<double>(received));
  p = add_rn(p, -mul_rn(rules.cost, static_cast<double>(given)));
  p = add_rn(p, -mul_rn(rules.fine, static_cast<double>(fines)));
  p = add_rn(p, mul_rn(rules.reward_per_trust, t));
  return add_rn(p, rules.reward_shared);
}

struct Imitation {
  std::int32_t model;  // the neighbour imitated, or -1
  std::uint8_t next;   // the strategy of the next epoch
};

// The peer class of an agent: 0 resident, 1 unregistered enterprise, 2
// registered enterprise, 3 institution. Agents compare payoffs only with
// peers (same situation: same kind, same regulatory regime).
TRUSTPROP_HD inline int agent_class(std::uint8_t kind, std::uint8_t registered) {
  return kind == kind_institution ? 3 : kind == kind_enterprise ? (registered ? 2 : 1) : 0;
}

// Agent i revises with probability `revision`: it picks one of its
// out-neighbours uniformly; if that neighbour is a peer (agent_class;
// institutions never change), i adopts the neighbour's strategy with the
// Fermi probability of their payoff difference.
TRUSTPROP_HD inline Imitation imitation_step(const DynamicsGraphView& g, const DynamicsRules& rules,
                                             std::uint32_t epoch, std::int64_t i, const std::uint8_t* strategy,
                                             const double* payoff) {
  Imitation out{-1, strategy[i]};
  const int peers = agent_class(g.kind[i], g.registered[i]);
  const std::int64_t begin = g.indptr[i], degree = g.indptr[i + 1] - begin;
  if (peers == 3 || degree == 0) return out;
  const rng::Words4 a = rng::draw4(rules.seed, purpose_revise, static_cast<std::uint64_t>(i), epoch);
  if (a.w[0] >= threshold32(rules.revision)) return out;
  const std::uint64_t pick = (static_cast<std::uint64_t>(a.w[2]) << 32) | a.w[1];
  const auto offset = static_cast<std::int64_t>(rng::to_below64(pick, static_cast<std::uint64_t>(degree)));
  const std::int32_t j = g.indices[begin + offset];
  if (agent_class(g.kind[j], g.registered[j]) != peers) return out;
  const rng::Words4 f = rng::draw4(rules.seed, purpose_fermi, static_cast<std::uint64_t>(i), epoch);
  if (rng::to_double01(f.w[0], f.w[1]) < fermi_probability(payoff[i], payoff[j], rules.noise)) {
    out.model = j;
    out.next = strategy[j];
  }
  return out;
}

// The summary group of an agent: 2·agent_class + strategy.
TRUSTPROP_HD inline int summary_group(std::uint8_t kind, std::uint8_t registered, std::uint8_t strategy) {
  return 2 * agent_class(kind, registered) + (strategy ? 1 : 0);
}

}  // namespace trustprop::kernels::dynamics_rules
