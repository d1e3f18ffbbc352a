// The epoch driver of the city dynamics (DESIGN §3 "City dynamics",
// docs/dynamics.md): places a graph on a backend, derives the static
// structure (Wᵀ with its edge permutation, registration of providers,
// pre-trust) and the initial state, and runs epochs: interact, supervision
// and pooled feedback, local trust, EigenTrust warm-started from the last
// epoch, recognition and value sharing, Fermi imitation, metrics. The
// kernels are kernels/dynamics.hpp; this file never names a backend.
//
// The state is one struct of arrays in the executor's memory
// (DynamicsState): everything an epoch reads from the previous one. All
// else is derived from (graph, parameters, seed) or is scratch of a single
// epoch, so saving DynamicsState and restoring it continues a run bit for
// bit on the same backend (the checkpoint issue), and every array is laid
// out by rows of W (edges) or by agent, so it partitions by rows (MPI).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/eigentrust.hpp"
#include "host/graph_share.hpp"
#include "io/graph.hpp"
#include "kernels/array.hpp"
#include "kernels/dynamics.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// Which enterprise is registered with which institution (the graph file
// does not say): see derive_registrar.
enum class Registration { graph, random, none };

// The model's parameters, with their defaults (configs/city.toml documents
// each with its unit; host/simulation_config.cpp reads them).
struct DynamicsParameters {
  // [interaction]
  double interaction_rate = 0.5;     // interactions per epoch per unit of tie weight: p = min(1, rate·w)
  double benefit = 4.0;              // b, payoff units a customer gains from a cooperating provider
  double cost = 1.0;                 // c, payoff units a cooperating provider pays per interaction
  double avoid_below = 0.35;         // refuse a partner whose Beta expectation (r+1)/(r+s+2) is below this
  double initial_cooperation = 0.5;  // share of residents and enterprises that cooperate in epoch 1
  // [evidence]
  double forgetting = 0.9;           // λ, per epoch
  // [platform]
  Registration registration = Registration::graph;
  double registered_share = 0.5;     // registration = random: share of enterprises registered
  double supervision = 0.5;          // σ, probability a registered provider's defection is detected
  double fine = 10.0;                // F, payoff units per detected defection
  bool pooled_feedback = false;      // registered providers' evidence pooled over their customers
  // [propagation]
  EigenTrustOptions propagation{0.15, 1e-8, 200};
  // [recognition]
  double reward = 100.0;             // ρ, payoff units per epoch per unit of reputation n·t_i
  double sharing = 0.0;              // φ, share of the reward pool split equally
  // [adaptation]
  double noise = 1.0;                // K of the Fermi rule, payoff units
  double revision = 1.0;             // probability that an agent considers imitation in an epoch
};

// Throws ConfigError naming the parameter when a value is out of range.
void validate(const DynamicsParameters& params);

// The state of a simulation in the executor's memory.
struct DynamicsState {
  std::uint64_t seed = 0;
  std::uint32_t epoch = 0;                 // epochs completed
  kernels::Array<float> r, s;              // this process's ties (all nnz for one), W order: evidence i holds about j
  kernels::Array<double> pool_r, pool_s;   // n: pooled evidence about each registered provider (0 elsewhere)
  kernels::Array<std::uint8_t> strategy;   // n: 1 cooperate, 0 defect: the strategies of the next epoch
  kernels::Array<double> payoff;           // n: payoffs of the last epoch
  kernels::Array<double> trust;            // n: global trust after the last epoch (sums to 1)
};

// The same state in host memory (tests, checkpoints).
struct HostDynamicsState {
  std::uint64_t seed = 0;
  std::uint32_t epoch = 0;
  std::vector<float> r, s;
  std::vector<double> pool_r, pool_s;
  std::vector<std::uint8_t> strategy;
  std::vector<double> payoff, trust;
};

HostDynamicsState download(const DynamicsState& state);
DynamicsState upload(const std::shared_ptr<const kernels::Executor>& exec, const HostDynamicsState& state);

// One epoch's record (metrics.jsonl, /metrics/<name>); docs/dynamics.md
// defines every field. Means over an empty group are NaN.
struct EpochMetrics {
  std::int64_t epoch = 0;
  double cooperation_rate = 0, cooperation_rate_residents = 0, cooperation_rate_enterprises = 0,
         cooperation_rate_registered = 0, cooperation_rate_unregistered = 0;
  std::int64_t interactions = 0, cooperations = 0, defections = 0, defections_detected = 0, avoided = 0,
               avoided_defectors = 0;
  double cooperative_interaction_share = 0;
  double refusal_rate_defectors = 0, refusal_rate_registered_defectors = 0, refusal_rate_unregistered_defectors = 0;
  std::int64_t imitations = 0, switches = 0;
  double trust_gini = 0, trust_top1_share = 0;
  double trust_cooperators = 0, trust_defectors = 0, trust_residents = 0, trust_enterprises = 0,
         trust_registered = 0, trust_institutions = 0;
  double payoff_cooperators = 0, payoff_defectors = 0;
  std::int64_t dangling = 0;
  std::int64_t propagation_iterations = 0;
  double propagation_residual = 0;
  std::int64_t propagation_converged = 0;
  double seconds = 0, seconds_edges = 0, seconds_interactions = 0, seconds_propagation = 0, seconds_agents = 0;
};

// Calls f(name, field) for every field in a fixed order (field: std::int64_t
// or double, const or not as `m` is: a checkpoint reads the fields back).
template <class Metrics, class F>
void visit_metrics(Metrics& m, F&& f) {
  f("epoch", m.epoch);
  f("cooperation_rate", m.cooperation_rate);
  f("cooperation_rate_residents", m.cooperation_rate_residents);
  f("cooperation_rate_enterprises", m.cooperation_rate_enterprises);
  f("cooperation_rate_registered", m.cooperation_rate_registered);
  f("cooperation_rate_unregistered", m.cooperation_rate_unregistered);
  f("interactions", m.interactions);
  f("cooperations", m.cooperations);
  f("defections", m.defections);
  f("defections_detected", m.defections_detected);
  f("avoided", m.avoided);
  f("avoided_defectors", m.avoided_defectors);
  f("cooperative_interaction_share", m.cooperative_interaction_share);
  f("refusal_rate_defectors", m.refusal_rate_defectors);
  f("refusal_rate_registered_defectors", m.refusal_rate_registered_defectors);
  f("refusal_rate_unregistered_defectors", m.refusal_rate_unregistered_defectors);
  f("imitations", m.imitations);
  f("switches", m.switches);
  f("trust_gini", m.trust_gini);
  f("trust_top1_share", m.trust_top1_share);
  f("trust_cooperators", m.trust_cooperators);
  f("trust_defectors", m.trust_defectors);
  f("trust_residents", m.trust_residents);
  f("trust_enterprises", m.trust_enterprises);
  f("trust_registered", m.trust_registered);
  f("trust_institutions", m.trust_institutions);
  f("payoff_cooperators", m.payoff_cooperators);
  f("payoff_defectors", m.payoff_defectors);
  f("dangling", m.dangling);
  f("propagation_iterations", m.propagation_iterations);
  f("propagation_residual", m.propagation_residual);
  f("propagation_converged", m.propagation_converged);
  f("seconds", m.seconds);
  f("seconds_edges", m.seconds_edges);
  f("seconds_interactions", m.seconds_interactions);
  f("seconds_propagation", m.seconds_propagation);
  f("seconds_agents", m.seconds_agents);
}

// The institution each agent is registered with, or -1 (providers are
// enterprises). graph: an enterprise trusted (w > 0) by an institution is
// registered with it (the largest such tie; on a tie, the lowest id) — the
// generated city's institutions trust exactly the enterprises registered
// with them. random: each enterprise independently with probability
// `share`, with an institution drawn uniformly, both by Philox keyed by
// (seed, agent). none: nobody. Without institutions nobody is registered.
std::vector<std::int32_t> derive_registrar(const io::Graph& graph, Registration how, double share,
                                           std::uint64_t seed);

// Peak bytes a simulation of n agents and nnz ties holds in the memory of
// an executor of the given kind (the accounting is in host/dynamics.cpp).
std::size_t dynamics_device_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind);

// The evidence of every tie (W order), gathered to process 0.
struct EdgeEvidence {
  std::vector<float> r, s;
};

class Simulation {
 public:
  // Refuses (InternalError, exit 70) a graph the device cannot hold before
  // allocating; throws ConfigError for out-of-range parameters.
  Simulation(std::shared_ptr<const kernels::Executor> exec, const io::Graph& graph, const DynamicsParameters& params,
             std::uint64_t seed);
  // A distributed run (DESIGN §7; docs/distributed.md): this process works
  // on its share's rows of W (the evidence of their ties is its part of the
  // state) and on rows of Wᵀ of about equal entries; per-agent arrays are
  // whole on every process, and each epoch gives every process the same
  // metrics and the same bits as one process. Every method but the
  // accessors is collective.
  Simulation(std::shared_ptr<const kernels::Executor> exec, const GraphShare& share, const DynamicsParameters& params,
             std::uint64_t seed);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs the next epoch (steps 1–7 of DESIGN §3) and returns its record.
  EpochMetrics run_epoch();

  // r and s hold this process's ties, from W position first_tie() on (all
  // of them, from 0, for one process); the other arrays every agent.
  const DynamicsState& state() const;
  // For restoring a checkpoint: the arrays keep their sizes, the contents
  // and the epoch counter are overwritten.
  DynamicsState& state();
  std::int64_t first_tie() const;
  std::int64_t ties() const;  // the whole graph's
  // A distributed run's r and s, every process's, to process 0 (the others
  // get empty vectors).
  EdgeEvidence gather_evidence() const;
  const std::vector<std::int32_t>& registrar() const;  // per agent (derive_registrar)
  std::int64_t registered_count() const;

  // What happened in the last epoch: the outcome of this process's ties (W order,
  // kernels::EdgeOutcome), the neighbour each agent imitated (-1: none), and
  // the tallies (tally t of agent i at t·n + i).
  std::vector<std::uint8_t> last_outcomes() const;
  std::vector<std::int32_t> last_models() const;
  std::vector<std::int32_t> last_tallies() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trustprop::host
