// City dynamics kernels (DESIGN §3 "City dynamics", docs/dynamics.md),
// declared once for every backend.
//
// An epoch on a trust graph W (row i lists the partners i trusts; as a
// customer, i interacts with them):
//   dyn_interact   one pass over the rows of W: each edge i -> j interacts
//                  with probability min(1, rate·w_ij) unless i distrusts j;
//                  j's strategy decides the donation game's outcome; the
//                  evidence r, s decays and accumulates; a defection of a
//                  registered provider is detected with probability σ; the
//                  local trust u_ij = (r+1)/(r+s+2) − 1/2 (above neutral) and
//                  its row sum (1/Σ_j u_ij normalises the row, as in
//                  EigenTrust), hence c_ij = u_ij/Σ u_i·. Per-customer
//                  counters are row sums.
//   dyn_tally      one pass over the rows of Wᵀ (the in-edges of each
//                  provider j, their records through in_slot): Cᵀ's values
//                  c_ij, what j gave, how often it defected and was fined,
//                  and the platform's pooled evidence about j.
//   dyn_dangling   the agents whose local trust row is all zero, ascending.
//   (EigenTrust: kernels/eigentrust.hpp's eigentrust_step on Cᵀ, warm-started.)
//   dyn_payoff     π_i from the counters, the fines and the recognition reward.
//   dyn_imitate    the synchronous Fermi imitation of a random neighbour.
//   dyn_summary, dyn_trust_inequality   the epoch's metrics.
//
// Determinism: no floating-point atomics anywhere; counters are integers,
// per-agent sums over out-edges are row sums of W and over in-edges row
// sums of Wᵀ. Every random number is Philox4x32-10 keyed by (seed, purpose,
// edge or agent, epoch) through kernels/dynamics_rules.hpp, where the
// per-edge and per-agent rules are written once for both backends, with
// explicitly rounded arithmetic wherever a result decides a discrete outcome
// or is state: the CPU and the GPU draw the same numbers and take the same
// discrete decisions on the same inputs.
#pragma once

#include <cstdint>

#include "kernels/array.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels {

// What happened on an edge in an epoch (one byte per edge of W).
enum EdgeOutcome : std::uint8_t {
  outcome_none = 0,               // no interaction drawn (a tie of weight <= 0 never draws one)
  outcome_avoided = 1,            // an interaction was drawn, the customer refused a distrusted partner
  outcome_cooperated = 2,         // the provider cooperated: customer gains b, provider pays c
  outcome_defected = 3,           // the provider defected, not detected
  outcome_defected_detected = 4,  // the provider defected, detected by its institution and fined
};

// What edge k of W hands to its provider's side in an epoch: Cᵀ's value
// c_ij = u_ij/Σ u_i· (dynamics_rules::normalised of the fixed-point local
// trust) and its outcome, side by side (in the edge's slot, InPattern) so
// that the pass over Wᵀ gathers both with one memory access.
struct EdgeRecord {
  float trust = 0.0f;
  std::uint8_t outcome = outcome_none;
};

// Per-agent integer counters of an epoch, tally t of agent i at
// tallies[t·n + i]. The first four are row sums of W (the agent as a
// customer), the last four row sums of Wᵀ (the agent as a provider).
enum Tally : int {
  tally_interactions = 0,      // interactions as a customer (refused ones excluded)
  tally_received = 1,          // of which the partner cooperated
  tally_avoided = 2,           // interactions the agent refused
  tally_avoided_defectors = 3, // of which the refused partner was defecting
  tally_given = 4,             // cooperations given as a provider (each costs c)
  tally_defections = 5,        // defections as a provider
  tally_fines = 6,             // of which detected and fined
  tally_refused = 7,           // interactions the agent's customers refused
  tally_count = 8,
};

// Agent kinds (as in the graph file's /agents/kind).
inline constexpr std::uint8_t kind_resident = 0, kind_enterprise = 1, kind_institution = 2;

// The CPU's record slots group Wᵀ rows into blocks of about this many
// entries (InPattern): 512 KB of records, within a core's L2 cache.
inline constexpr std::int64_t dyn_record_block = std::int64_t{1} << 16;

// A position in the edge records (InPattern); 32 bits, so a simulation
// holds fewer than dyn_max_ties ties per executor.
using RecordSlot = std::uint32_t;
inline constexpr std::int64_t dyn_max_ties = std::int64_t{1} << 32;

// Rows with more than this many entries are processed by a whole thread
// block on the GPU (the lists in DynamicsGraphView); the CPU ignores them.
inline constexpr std::int64_t dyn_long_row = 4096;

// The static structure of a simulation in the executor's memory: W's
// pattern and each tie's interaction threshold, the transposed pattern with
// the permutation between its entries and W's (as record slots, InPattern),
// and per-agent data. None of it changes between epochs.
//
// dyn_interact and dyn_imitate work on W's rows [row_begin, row_end),
// dyn_tally on Wᵀ's rows [in_row_begin, in_row_end): all n for one
// process; in a distributed run (DESIGN §7, host/dynamics_share.cpp) this
// process's shares. Agent ids, W positions k (the keys of the edge draws)
// and per-agent arrays stay global; the host shifts the pointers of a
// share's arrays so that they are indexed that way (indptr by row, the
// W-order arrays by k, in_indptr by Wᵀ row; in_indptr's values then count
// the entries of this process's Wᵀ rows from 0).
struct DynamicsGraphView {
  std::int64_t n = 0, nnz = 0;
  std::int64_t row_begin = 0, row_end = 0;        // W's rows this executor works on
  std::int64_t in_row_begin = 0, in_row_end = 0;  // Wᵀ's rows this executor works on
  const std::int64_t* indptr = nullptr;        // W, n + 1
  const std::int32_t* indices = nullptr;       // W, nnz: the partner j of edge k
  const std::uint32_t* threshold = nullptr;    // W, nnz: edge k interacts when its draw is below this
                                               //   (dynamics_rules::interaction_threshold of its weight)
  const std::int64_t* in_indptr = nullptr;     // Wᵀ, n + 1: row j = the customers of j
  const std::int32_t* in_source = nullptr;     // Wᵀ, nnz: customer i, ascending within a row
  const RecordSlot* in_slot = nullptr;         // Wᵀ, nnz: the record slot of that entry's edge
  const RecordSlot* edge_slot = nullptr;       // W, nnz: the record slot of edge k; null: slot k
  const std::uint8_t* kind = nullptr;          // n: agent kinds (all residents when the graph has none)
  const std::uint8_t* registered = nullptr;    // n: 1 = a provider registered with an institution
  const std::uint8_t* edge_registered = nullptr;  // nnz: registered[indices[k]]
  const std::int32_t* long_rows = nullptr;     // rows of W (of the range) longer than dyn_long_row, ascending
  std::int64_t n_long_rows = 0;
  const std::int32_t* long_in_rows = nullptr;  // rows of Wᵀ (of the range) longer than dyn_long_row, ascending
  std::int64_t n_long_in_rows = 0;
};

// The transposed pattern of W and the edge permutation (dyn_in_pattern),
// which is also the pattern of the propagation's Cᵀ.
//
// The permutation is stored as record slots: dyn_interact writes edge k's
// record to slot edge_slot[k], dyn_tally reads entry q's from in_slot[q].
// The GPU keeps records in W order (edge_slot empty, in_slot[q] = k): its
// gather through the permutation is cheap. The CPU groups the slots by
// blocks of consecutive Wᵀ rows of about dyn_record_block entries, in W
// order within a block: the interaction pass then writes one sequential
// stream per block, and the Cᵀ pass gathers each block's records from a
// range that stays in the core's cache, where a gather in W order missed
// the last-level cache about once a tie (docs/dynamics.md).
//
// On the CPU, where it pads by at most a quarter, Cᵀ's sources are also
// in SELL-8 lanes (kernels::SellChunks): the host copies dyn_tally's values
// into the same lanes (kernels::cpu::to_sell_lanes) so that eigentrust_step
// runs its SIMD products. dyn_tally itself walks the CSR rows; in the
// lanes' order (rows by length) it ran 1.7x slower on a city.
struct InPattern {
  Array<std::int64_t> indptr;   // n + 1
  Array<std::int32_t> source;   // nnz
  Array<RecordSlot> in_slot;    // nnz: the record slot of entry q's edge
  Array<RecordSlot> edge_slot;  // W order, nnz: the record slot of edge k (CPU); else empty: slot k
  Array<std::int64_t> sell_offsets;  // SELL-8 (CPU): chunks + 1; else empty
  Array<std::int32_t> sell_rows;     //   8 per chunk
  Array<std::int32_t> sell_lengths;  //   8 per chunk
  Array<std::int32_t> sell_source;   //   the lanes' entries of `source`, padding 0
  SellChunks sell() const { return sell_chunks(sell_offsets, sell_rows, sell_lengths); }
};

// The model's parameters as the kernels use them (docs/dynamics.md has
// units and defaults). Derived values are computed once by the host.
struct DynamicsRules {
  std::uint64_t seed = 0;
  float forgetting = 0.0f;         // λ, as float32 so that λ·r is exact in double
  double avoid_below = 0.0;        // refuse a partner whose (r+1)/(r+s+2) < this
  double detection = 0.0;          // σ: probability a registered provider's defection is detected
  bool pooled_feedback = false;    // registered providers: customers use the pooled evidence
  double benefit = 0.0;            // b
  double cost = 0.0;               // c
  double fine = 0.0;               // F, per detected defection
  double reward_per_trust = 0.0;   // (1 − φ)·ρ·n: reward of an agent per unit of its global trust t_i
  double reward_shared = 0.0;      // φ·ρ: every agent's equal part of the shared pool
  double revision = 0.0;           // probability that an agent considers imitation in an epoch
  double noise = 1.0;              // K of the Fermi rule
};

// Sums over agents for the metrics, by class (resident, unregistered
// enterprise, registered enterprise, institution) and the strategy played.
struct DynamicsSummary {
  static constexpr int classes = 4;
  static constexpr int groups = 2 * classes;  // group = 2·class + strategy (1 = cooperate)
  std::int64_t count[groups] = {};
  double trust[groups] = {};     // Σ t_i
  double payoff[groups] = {};    // Σ π_i
  std::int64_t tally[groups][tally_count] = {};  // Σ tallies
  std::int64_t imitations = 0;   // agents that adopted a neighbour's strategy
  std::int64_t switches = 0;     // of which the strategy changed
};

struct TrustInequality {
  double gini = 0.0;        // of the trust vector
  double top1_share = 0.0;  // share of the total held by the top ceil(n/100) agents
};

// dyn_in_pattern: Wᵀ's pattern (every entry of W, whatever its sign) and
//   the permutation as record slots (once per graph; W's values are not
//   read); on the CPU also the sources in SELL-8 lanes (dyn_sell_lanes).
// dyn_sell_lanes: on the CPU, Cᵀ's sources (p.indptr, p.source: any rows)
//   copied into SELL-8 lanes, unless that pads too much; the GPU keeps CSR
//   and does nothing.
// dyn_interact: the edge step (see above); reads the strategies and the
//   pooled evidence published at the start of the epoch; updates r, s;
//   writes inverse_row_sum[i] = 1/Σ_j u_ij (0 for a row without positive
//   local trust: a dangling agent), the edge records (edge k's in slot
//   edge_slot[k]) and the customer tallies.
// dyn_tally: ct_values[q] = record[in_slot[q]].trust and the provider
//   tallies; pool ← λ·pool + this epoch's reports for
//   registered providers.
// dyn_dangling: writes the agents whose inverse_row_sum is 0, ascending;
//   returns how many.
// dyn_payoff: π_i = b·received − c·given − F·fines + reward_per_trust·t_i + reward_shared.
// dyn_imitate: next strategies and the neighbour each agent imitated (−1: none).
// dyn_summary: class sums of the epoch (played: the strategies of the epoch).
// dyn_trust_inequality: Gini coefficient and top-1 % share of t.
// dyn_random_words: the four words of draw4(seed, purpose, index, epoch)
//   for index 0..count-1 (4·count words), to check both backends draw alike.
#define TRUSTPROP_DYNAMICS_KERNELS(Exec)                                                                        \
  InPattern dyn_in_pattern(const Exec& exec, const CsrView& w);                                                 \
  void dyn_sell_lanes(const Exec& exec, InPattern& p);                                                           \
  void dyn_interact(const Exec& exec, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch, \
                    const std::uint8_t* strategy, const double* pool_r, const double* pool_s, float* r, float* s,  \
                    EdgeRecord* record, double* inverse_row_sum, std::int32_t* tallies);                         \
  void dyn_tally(const Exec& exec, const DynamicsGraphView& g, const DynamicsRules& rules,                      \
                 const EdgeRecord* record, float* ct_values, std::int32_t* tallies, double* pool_r,             \
                 double* pool_s);                                                                                \
  std::int64_t dyn_dangling(const Exec& exec, std::int64_t n, const double* inverse_row_sum,                   \
                            std::int32_t* list);                                                                 \
  void dyn_payoff(const Exec& exec, std::int64_t n, const DynamicsRules& rules, const std::int32_t* tallies,    \
                  const double* t, double* payoff);                                                              \
  void dyn_imitate(const Exec& exec, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch, \
                   const std::uint8_t* strategy, const double* payoff, std::uint8_t* next, std::int32_t* model); \
  DynamicsSummary dyn_summary(const Exec& exec, const DynamicsGraphView& g, const std::uint8_t* played,         \
                              const std::uint8_t* next, const std::int32_t* model, const double* payoff,        \
                              const double* t, const std::int32_t* tallies);                                    \
  TrustInequality dyn_trust_inequality(const Exec& exec, std::int64_t n, const double* t);                      \
  void dyn_random_words(const Exec& exec, std::uint64_t seed, std::uint32_t purpose, std::uint32_t epoch,       \
                        std::int64_t count, std::uint32_t* words);

namespace cpu {
class CpuExecutor;
TRUSTPROP_DYNAMICS_KERNELS(CpuExecutor)
}  // namespace cpu

namespace cuda {
class CudaExecutor;
TRUSTPROP_DYNAMICS_KERNELS(CudaExecutor)
}  // namespace cuda

#undef TRUSTPROP_DYNAMICS_KERNELS

}  // namespace trustprop::kernels
