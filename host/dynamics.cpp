// The epoch driver of the city dynamics (host/dynamics.hpp; the model is
// docs/dynamics.md). The static structure and the initial state are built
// on the host from (graph, parameters, seed) and uploaded once; an epoch is
// a fixed sequence of kernel calls through kernels::dispatch.
#include "host/dynamics.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "common/error.hpp"
#include "common/philox.hpp"
#include "host/dynamics_layout.hpp"
#include "host/pretrust.hpp"
#include "host/row_exchange.hpp"
#include "kernels/cpu/sell_lanes.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/dynamics_rules.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

namespace {

namespace dyn = kernels::dynamics_rules;
using kernels::Array;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void check_range(const char* name, double v, double lo, double hi, bool lo_open = false) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok) {
    const std::string range = std::string(lo_open ? "(" : "[") + std::to_string(lo) + ", " +
                              (std::isinf(hi) ? std::string("inf)") : std::to_string(hi) + "]");
    throw ConfigError(std::string(name) + " = " + std::to_string(v) + ": must be in " + range);
  }
}

constexpr double inf = std::numeric_limits<double>::infinity();

double mean_or_nan(double sum, std::int64_t count) {
  return count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

template <class T>
Array<T> filled(const std::shared_ptr<const kernels::Executor>& exec, std::size_t size, T value) {
  return Array<T>::from_host(exec, std::vector<T>(size, value));
}

}  // namespace

void validate(const DynamicsParameters& p) {
  check_range("[interaction] rate", p.interaction_rate, 0.0, inf);
  check_range("[interaction] benefit", p.benefit, 0.0, inf);
  check_range("[interaction] cost", p.cost, 0.0, inf);
  check_range("[interaction] avoid_below", p.avoid_below, 0.0, 1.0);
  check_range("[interaction] initial_cooperation", p.initial_cooperation, 0.0, 1.0);
  check_range("[evidence] forgetting", p.forgetting, 0.0, 1.0);
  check_range("[platform] registered_share", p.registered_share, 0.0, 1.0);
  check_range("[platform] supervision", p.supervision, 0.0, 1.0);
  check_range("[platform] fine", p.fine, 0.0, inf);
  check_range("[propagation] restart_probability", p.propagation.restart, 0.0, 1.0, true);
  check_range("[propagation] tolerance", p.propagation.tolerance, 0.0, inf);
  if (p.propagation.max_iterations < 1)
    throw ConfigError("[propagation] max_iterations = " + std::to_string(p.propagation.max_iterations) +
                      ": must be >= 1");
  check_range("[recognition] reward", p.reward, 0.0, inf);
  check_range("[recognition] sharing", p.sharing, 0.0, 1.0);
  check_range("[adaptation] noise", p.noise, 0.0, inf, true);
  check_range("[adaptation] revision", p.revision, 0.0, 1.0);
}

HostDynamicsState download(const DynamicsState& s) {
  HostDynamicsState h;
  h.seed = s.seed;
  h.epoch = s.epoch;
  h.r = s.r.to_host();
  h.s = s.s.to_host();
  h.pool_r = s.pool_r.to_host();
  h.pool_s = s.pool_s.to_host();
  h.strategy = s.strategy.to_host();
  h.payoff = s.payoff.to_host();
  h.trust = s.trust.to_host();
  return h;
}

DynamicsState upload(const std::shared_ptr<const kernels::Executor>& exec, const HostDynamicsState& h) {
  DynamicsState s;
  s.seed = h.seed;
  s.epoch = h.epoch;
  s.r = Array<float>::from_host(exec, h.r);
  s.s = Array<float>::from_host(exec, h.s);
  s.pool_r = Array<double>::from_host(exec, h.pool_r);
  s.pool_s = Array<double>::from_host(exec, h.pool_s);
  s.strategy = Array<std::uint8_t>::from_host(exec, h.strategy);
  s.payoff = Array<double>::from_host(exec, h.payoff);
  s.trust = Array<double>::from_host(exec, h.trust);
  return s;
}

std::vector<std::int32_t> derive_registrar(const io::Graph& g, Registration how, double share, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(g.n);
  std::vector<std::int32_t> registrar(n, -1);
  if (g.kind.empty() || how == Registration::none) return registrar;
  std::vector<std::int32_t> institutions;
  for (std::size_t i = 0; i < n; ++i)
    if (g.kind[i] == kernels::kind_institution) institutions.push_back(static_cast<std::int32_t>(i));
  if (institutions.empty()) return registrar;

  if (how == Registration::graph) {
    std::vector<float> best(n, 0.0f);
    for (std::int32_t inst : institutions)  // ascending: on equal ties the lowest id stays
      for (std::int64_t k = g.indptr[static_cast<std::size_t>(inst)]; k < g.indptr[static_cast<std::size_t>(inst) + 1];
           ++k) {
        const auto j = static_cast<std::size_t>(g.indices[static_cast<std::size_t>(k)]);
        const float w = g.data[static_cast<std::size_t>(k)];
        if (g.kind[j] == kernels::kind_enterprise && w > best[j]) {
          best[j] = w;
          registrar[j] = inst;
        }
      }
    return registrar;
  }
  const std::uint64_t threshold = dyn::threshold32(share);
  for (std::size_t j = 0; j < n; ++j) {
    if (g.kind[j] != kernels::kind_enterprise) continue;
    const rng::Words4 w = rng::draw4(seed, dyn::purpose_registration, j, 0);
    if (w.w[0] >= threshold) continue;
    const std::uint64_t pick = (static_cast<std::uint64_t>(w.w[2]) << 32) | w.w[1];
    registrar[j] = institutions[static_cast<std::size_t>(rng::to_below64(pick, institutions.size()))];
  }
  return registrar;
}

// Executor memory of a simulation, per edge of W:
//   static   W's columns and interaction thresholds (8 B), edge_registered (1 B), Wᵀ's
//            sources and record slots (8 B), Cᵀ's values (4 B)
//   state    r, s (8 B)
//   scratch  edge records: Cᵀ's value and outcome (8 B)      = 37 B/edge
// and per agent: row offsets of W and Wᵀ (16 B), kind, registered, two
// strategy arrays (4 B), pools, payoff, trust, t_next, pre-trust and the
// inverse row sums (56 B), the float32 copies of t (8 B), tallies (32 B),
// imitated neighbour and dangling list (8 B), long-row lists (at most 8 B)
//                                                               = 132 B/agent.
// The CPU adds each edge's record slot in W order (4 B/edge, kernels::
// InPattern) and Cᵀ's sources and values in SELL-8 lanes: 8 B per stored
// entry, which pads by about 2 % on a generated city and by at most a
// quarter on any graph (kernels::cpu::SellLanes): 10 B/edge at most; and
// the lanes' tables, 9 B/agent.
// While Wᵀ is built (dyn_in_pattern) the GPU's segmented sort holds a
// second copy of the sources and the permutation (8 B/edge) before the
// records exist: the peak is the steady state. Plus a margin of 5 % and
// 256 MiB on a GPU (allocation granularity, CUB's temporary storage), 64 MiB
// on the CPU (the allocator, libraries' buffers). On the CPU the graph as io
// read it comes on top (the estimate is what the simulation adds): a
// 1M-agent city (48M ties, 2 epochs) peaked at 2.9 GB of RSS, its graph
// included, against 2.8 GB estimated beside the graph.
std::size_t dynamics_device_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind) {
  const bool cpu = kind == kernels::BackendKind::cpu;
  const double bytes = (cpu ? 51.0 : 37.0) * static_cast<double>(std::max<std::int64_t>(nnz, 0)) +
                       (cpu ? 141.0 : 132.0) * static_cast<double>(std::max<std::int64_t>(n, 0));
  return static_cast<std::size_t>(bytes * 1.05 + (cpu ? 64.0 : 256.0) * (1 << 20));
}

void check_simulation_size(std::int64_t n, std::int64_t ties) {
  if (n > std::numeric_limits<std::int32_t>::max())
    throw DataError("the simulation supports at most 2^31 - 1 agents (32-bit agent ids)");
  static_assert(kernels::dyn_max_ties <= dyn::max_edges);
  if (ties >= kernels::dyn_max_ties)
    throw DataError("the simulation supports fewer than 2^32 ties per device (32-bit record slots); the graph has " +
                    std::to_string(ties));
}

void point_view(SimulationLayout& L, std::int64_t row_begin, std::int64_t row_end, std::int64_t in_row_begin,
                std::int64_t in_row_end) {
  kernels::DynamicsGraphView& v = L.view;
  v.n = L.n;
  v.nnz = L.nnz;
  v.row_begin = row_begin;
  v.row_end = row_end;
  v.in_row_begin = in_row_begin;
  v.in_row_end = in_row_end;
  v.indptr = L.indptr.data() - row_begin;
  v.indices = L.indices.data() - L.edge_begin;
  v.threshold = L.threshold.data() - L.edge_begin;
  v.edge_registered = L.edge_registered.data() - L.edge_begin;
  v.edge_slot = L.in.edge_slot.size() > 0 ? L.in.edge_slot.data() - L.edge_begin : nullptr;
  v.in_indptr = L.in.indptr.data() - in_row_begin;
  v.in_source = L.in.source.data();
  v.in_slot = L.in.in_slot.data();
  v.kind = L.kind.data();
  v.registered = L.is_registered.data();
  v.long_rows = L.long_rows.data();
  v.n_long_rows = static_cast<std::int64_t>(L.long_rows.size());
  v.long_in_rows = L.long_in_rows.data();
  v.n_long_in_rows = static_cast<std::int64_t>(L.long_in_rows.size());
}

SimulationLayout layout_of_graph(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                 const DynamicsParameters& p, std::uint64_t seed) {
  check_simulation_size(g.n, g.nnz());
  kernels::require_memory(*exec, dynamics_device_bytes(g.n, g.nnz(), exec->kind()),
                                 "The simulation of " + (g.source.empty() ? std::string("the graph") : g.source));
  SimulationLayout L;
  L.n = g.n;
  L.nnz = g.nnz();
  L.edges = L.in_entries = L.nnz;
  const auto un = static_cast<std::size_t>(L.n), unnz = static_cast<std::size_t>(L.nnz);

  // Agents: kinds (all residents when the graph has none), registration.
  L.kinds = g.kind.empty() ? std::vector<std::uint8_t>(un, kernels::kind_resident) : g.kind;
  L.registrar = derive_registrar(g, p.registration, p.registered_share, seed);
  // Host copies of per-tie arrays live only until uploaded (scoped), so
  // that the peak on the CPU, where the executor's memory is the host's,
  // is the steady state plus the graph.
  std::vector<std::uint8_t> reg(un, 0);
  for (std::size_t i = 0; i < un; ++i) reg[i] = L.registrar[i] >= 0;
  L.registered = std::count(reg.begin(), reg.end(), std::uint8_t{1});
  {
    std::vector<std::uint8_t> edge_reg(unnz);
    for (std::size_t k = 0; k < unnz; ++k) edge_reg[k] = reg[static_cast<std::size_t>(g.indices[k])];
    L.edge_registered = Array<std::uint8_t>::from_host(exec, edge_reg);
  }

  // W, Wᵀ with the edge permutation, long rows.
  L.indptr = Array<std::int64_t>::from_host(exec, g.indptr);
  L.indices = Array<std::int32_t>::from_host(exec, g.indices);
  {
    std::vector<std::uint32_t> thresholds(unnz);
    for (std::size_t k = 0; k < unnz; ++k) thresholds[k] = dyn::interaction_threshold(p.interaction_rate, g.data[k]);
    L.threshold = Array<std::uint32_t>::from_host(exec, thresholds);
  }
  const kernels::CsrView w{L.n, L.n, L.nnz, L.indptr.data(), L.indices.data(), nullptr};  // the pattern only
  L.in = kernels::dispatch(*exec, [&](const auto& x) { return dyn_in_pattern(x, w); });
  const std::vector<std::int64_t> in_indptr = L.in.indptr.to_host();
  std::vector<std::int32_t> long_w, long_in;
  for (std::int64_t i = 0; i < L.n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (g.indptr[u + 1] - g.indptr[u] > kernels::dyn_long_row) long_w.push_back(static_cast<std::int32_t>(i));
    if (in_indptr[u + 1] - in_indptr[u] > kernels::dyn_long_row) long_in.push_back(static_cast<std::int32_t>(i));
  }
  L.kind = Array<std::uint8_t>::from_host(exec, L.kinds);
  L.is_registered = Array<std::uint8_t>::from_host(exec, reg);
  L.long_rows = Array<std::int32_t>::from_host(exec, long_w);
  L.long_in_rows = Array<std::int32_t>::from_host(exec, long_in);
  L.pretrust = Array<double>::from_host(exec, build_pretrust(g, "institutions").p);

  point_view(L, 0, L.n, 0, L.n);
  return L;
}

struct Simulation::Impl {
  std::shared_ptr<const kernels::Executor> exec;
  DynamicsParameters params;
  kernels::DynamicsRules rules;
  SimulationLayout L;
  std::int64_t n = 0;

  DynamicsState state;  // r and s: this process's ties

  // scratch of one epoch
  Array<kernels::EdgeRecord> record;     // written by dyn_interact (in their slots)
  Array<kernels::EdgeRecord> record_in;  // distributed: the records of this process's Wᵀ entries
  Array<float> ct_values;
  Array<float> sell_values;    // CPU: ct_values in the SELL-8 lanes of InPattern
  Array<float> x32, x32_next;  // float32 copies of t and t_next that the propagation gathers
  Array<double> inverse_row_sum;
  Array<std::uint8_t> next_strategy;
  Array<std::int32_t> dangling, tallies, model;
  Array<double> t_next;

  Impl(std::shared_ptr<const kernels::Executor> e, SimulationLayout&& layout, const DynamicsParameters& p,
       std::uint64_t seed)
      : exec(std::move(e)), params(p), L(std::move(layout)), n(L.n) {
    const auto un = static_cast<std::size_t>(n);
    rules.seed = seed;
    rules.forgetting = static_cast<float>(p.forgetting);
    rules.avoid_below = p.avoid_below;
    rules.detection = p.supervision;
    rules.pooled_feedback = p.pooled_feedback;
    rules.benefit = p.benefit;
    rules.cost = p.cost;
    rules.fine = p.fine;
    rules.reward_per_trust = (1.0 - p.sharing) * p.reward * static_cast<double>(n);
    rules.reward_shared = p.sharing * p.reward;
    rules.revision = p.revision;
    rules.noise = p.noise;
    if (p.registration != Registration::none && L.registered == 0)
      spdlog::warn("no provider is registered with an institution (the graph has no institutions, or none trusts an "
                   "enterprise): supervision and pooled feedback have no effect");

    // The initial state: no evidence, trust = pre-trust, strategies drawn
    // with Philox keyed by (seed, agent); institutions always cooperate.
    {
      HostDynamicsState h;
      h.seed = seed;
      h.r.assign(static_cast<std::size_t>(L.edges), 0.0f);
      h.s.assign(static_cast<std::size_t>(L.edges), 0.0f);
      h.pool_r.assign(un, 0.0);
      h.pool_s.assign(un, 0.0);
      h.strategy.resize(un);
      const std::uint64_t cooperate = dyn::threshold32(p.initial_cooperation);
      for (std::size_t i = 0; i < un; ++i)
        h.strategy[i] = L.kinds[i] == kernels::kind_institution ||
                        rng::draw4(seed, dyn::purpose_initial, i, 0).w[0] < cooperate;
      h.payoff.assign(un, 0.0);
      h.trust = L.pretrust.to_host();
      state = upload(exec, h);
    }

    record = filled<kernels::EdgeRecord>(exec, static_cast<std::size_t>(L.edges), kernels::EdgeRecord{});
    if (L.comm) record_in = filled<kernels::EdgeRecord>(exec, static_cast<std::size_t>(L.in_entries), {});
    ct_values = Array<float>(exec, static_cast<std::size_t>(L.in_entries));
    sell_values = Array<float>(exec, L.in.sell_source.size());
    if (p.propagation.float32_gather) {
      x32 = Array<float>(exec, un);
      x32_next = Array<float>(exec, un);
    }
    inverse_row_sum = Array<double>(exec, un);
    next_strategy = Array<std::uint8_t>(exec, un);
    dangling = Array<std::int32_t>(exec, un);
    tallies = filled<std::int32_t>(exec, un * kernels::tally_count, 0);
    model = filled<std::int32_t>(exec, un, -1);
    t_next = Array<double>(exec, un);
  }

  bool distributed() const { return L.comm != nullptr; }
  std::int64_t first_in_row() const { return L.view.in_row_begin; }

  // The records of this process's ties to the processes that tally them.
  void exchange_records() {
    const Communicator& comm = *L.comm;
    if (exec->kind() == kernels::BackendKind::cpu)
      return comm.alltoallv(record.data(), L.send_counts, record_in.data(), L.recv_counts,
                            sizeof(kernels::EdgeRecord));
    const std::vector<kernels::EdgeRecord> send = record.to_host();
    std::vector<kernels::EdgeRecord> recv(record_in.size());
    comm.alltoallv(send.data(), L.send_counts, recv.data(), L.recv_counts, sizeof(kernels::EdgeRecord));
    exec->copy_from_host(record_in.data(), recv.data(), recv.size() * sizeof(kernels::EdgeRecord));
  }

  // After the edge passes: what each process computed for its rows of W
  // (customers) and of Wᵀ (providers), to every process.
  void share_edge_results() {
    const Communicator& comm = *L.comm;
    allgather_rows(comm, L.w_bounds, inverse_row_sum);
    allgather_rows(comm, L.in_bounds, state.pool_r);
    allgather_rows(comm, L.in_bounds, state.pool_s);
    for (int t = 0; t < kernels::tally_count; ++t)
      allgather_rows(comm, t < kernels::tally_given ? L.w_bounds : L.in_bounds, tallies,
                     static_cast<std::size_t>(t) * static_cast<std::size_t>(n));
  }

  EpochMetrics run_epoch() {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint32_t epoch = state.epoch + 1;
    if (epoch == 0) throw InternalError("epoch counter overflow (2^32 epochs)");
    EpochMetrics m;
    m.epoch = epoch;

    // 1–3. Interactions, supervision, pooled feedback, local trust.
    // (r and s hold this process's ties: indexed from its first W position.)
    std::int64_t n_dangling = 0;
    kernels::dispatch(*exec, [&](const auto& x) {
      dyn_interact(x, L.view, rules, epoch, state.strategy.data(), state.pool_r.data(), state.pool_s.data(),
                   state.r.data() - L.edge_begin, state.s.data() - L.edge_begin, record.data(),
                   inverse_row_sum.data(), tallies.data());
      exec->synchronize();
      m.seconds_interactions = seconds_since(t0);
      if (distributed()) exchange_records();
      dyn_tally(x, L.view, rules, distributed() ? record_in.data() : record.data(), ct_values.data(),
                tallies.data(), state.pool_r.data(), state.pool_s.data());
      if (distributed()) share_edge_results();
      n_dangling = dyn_dangling(x, n, inverse_row_sum.data(), dangling.data());
    });
    const kernels::SellChunks sell = L.in.sell();
    if (sell.chunks > 0) kernels::cpu::to_sell_lanes(sell, L.in.indptr.data(), ct_values.data(), sell_values.data());
    m.dangling = n_dangling;
    m.seconds_edges = seconds_since(t0);

    // 4. EigenTrust on Cᵀ, warm-started from the last epoch's trust. With
    // the float32 gather (EigenTrustOptions), the first iteration gathers
    // from t and writes float32(t'), the next ones gather from that copy
    // until float32_gather_ends (host/eigentrust.hpp), then from t again, as rank does:
    // the epoch needs no copy of t from before it, so a restored state
    // continues bit for bit.
    const auto t1 = std::chrono::steady_clock::now();
    const std::int64_t ct_rows = L.view.in_row_end - L.view.in_row_begin;
    const kernels::CsrView ct = sell.chunks > 0
                                    ? kernels::CsrView{ct_rows, n, static_cast<std::int64_t>(sell_values.size()),
                                                       nullptr, L.in.sell_source.data(), sell_values.data()}
                                    : kernels::CsrView{ct_rows, n, L.in_entries, L.in.indptr.data(),
                                                       L.in.source.data(), ct_values.data()};
    const EigenTrustOptions& prop = params.propagation;
    bool float32_gather = prop.float32_gather;
    double previous = HUGE_VAL;  // the last iteration's residual
    while (m.propagation_iterations < prop.max_iterations) {
      const kernels::GatherVectors gather{float32_gather && m.propagation_iterations > 0 ? x32.data() : nullptr,
                                          float32_gather ? x32_next.data() : nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          {},
                                          sell};
      double residual = kernels::dispatch(*exec, [&](const auto& x) {
        return eigentrust_step(x, ct, dangling.data(), n_dangling, L.pretrust.data(), prop.restart,
                               state.trust.data(), t_next.data(), gather, first_in_row());
      });
      if (distributed()) {  // every process's rows of t' (and of its float32 copy); ‖Δt‖₁ added in rank order
        allgather_rows(*L.comm, L.in_bounds, t_next);
        if (float32_gather) allgather_rows(*L.comm, L.in_bounds, x32_next);
        const double own = residual;
        residual = 0.0;
        for (const double part : L.comm->allgather(own)) residual += part;
      }
      std::swap(state.trust, t_next);
      std::swap(x32, x32_next);
      ++m.propagation_iterations;
      m.propagation_residual = residual;
      if (!std::isfinite(residual)) throw InternalError("EigenTrust produced a non-finite residual in epoch " +
                                                        std::to_string(epoch));
      if (residual < prop.tolerance) {
        m.propagation_converged = 1;
        break;
      }
      if (float32_gather_ends(residual, previous)) float32_gather = false;
      previous = residual;
    }
    if (!m.propagation_converged)
      spdlog::warn("epoch {}: EigenTrust did not converge in {} iterations (residual {:.3e}, tolerance {:.1e}); "
                   "continuing from where it stopped",
                   epoch, m.propagation_iterations, m.propagation_residual, prop.tolerance);
    m.seconds_propagation = seconds_since(t1);

    // 5–7. Payoffs with recognition and value sharing, imitation, metrics.
    const auto t2 = std::chrono::steady_clock::now();
    kernels::DynamicsSummary sum;
    kernels::TrustInequality ineq;
    kernels::dispatch(*exec, [&](const auto& x) {
      dyn_payoff(x, n, rules, tallies.data(), state.trust.data(), state.payoff.data());
      dyn_imitate(x, L.view, rules, epoch, state.strategy.data(), state.payoff.data(), next_strategy.data(),
                  model.data());
      if (distributed()) {
        allgather_rows(*L.comm, L.w_bounds, next_strategy);
        allgather_rows(*L.comm, L.w_bounds, model);
      }
      sum = dyn_summary(x, L.view, state.strategy.data(), next_strategy.data(), model.data(), state.payoff.data(),
                        state.trust.data(), tallies.data());
      ineq = dyn_trust_inequality(x, n, state.trust.data());
    });
    std::swap(state.strategy, next_strategy);
    state.epoch = epoch;
    m.seconds_agents = seconds_since(t2);
    fill_metrics(sum, ineq, m);
    m.seconds = seconds_since(t0);
    return m;
  }

  // Turns the class sums into the epoch's rates and means.
  void fill_metrics(const kernels::DynamicsSummary& s, const kernels::TrustInequality& ineq, EpochMetrics& m) const {
    auto count = [&](int cls, int strat) { return s.count[2 * cls + strat]; };
    auto rate = [&](std::initializer_list<int> classes) {
      std::int64_t coop = 0, all = 0;
      for (int c : classes) {
        coop += count(c, 1);
        all += count(c, 0) + count(c, 1);
      }
      return mean_or_nan(static_cast<double>(coop), all);
    };
    // Mean reputation n·t_i over groups (1 = the average agent).
    auto reputation = [&](std::initializer_list<int> groups) {
      double t = 0;
      std::int64_t k = 0;
      for (int grp : groups) {
        t += s.trust[grp];
        k += s.count[grp];
      }
      return mean_or_nan(t * static_cast<double>(n), k);
    };
    auto payoff = [&](std::initializer_list<int> groups) {
      double p = 0;
      std::int64_t k = 0;
      for (int grp : groups) {
        p += s.payoff[grp];
        k += s.count[grp];
      }
      return mean_or_nan(p, k);
    };
    m.cooperation_rate = rate({0, 1, 2});
    m.cooperation_rate_residents = rate({0});
    m.cooperation_rate_enterprises = rate({1, 2});
    m.cooperation_rate_registered = rate({2});
    m.cooperation_rate_unregistered = rate({1});
    auto total = [&](int tally, std::initializer_list<int> groups) {
      std::int64_t t = 0;
      for (int grp : groups) t += s.tally[grp][tally];
      return t;
    };
    const auto all = {0, 1, 2, 3, 4, 5, 6, 7};
    m.interactions = total(kernels::tally_interactions, all);
    m.cooperations = total(kernels::tally_received, all);
    m.defections = total(kernels::tally_defections, all);
    m.defections_detected = total(kernels::tally_fines, all);
    m.avoided = total(kernels::tally_avoided, all);
    m.avoided_defectors = total(kernels::tally_avoided_defectors, all);
    m.cooperative_interaction_share = mean_or_nan(static_cast<double>(m.cooperations), m.interactions);
    // Of the interactions drawn with defecting providers, the share their customers refused.
    auto refusal = [&](std::initializer_list<int> groups) {
      const std::int64_t refused = total(kernels::tally_refused, groups);
      return mean_or_nan(static_cast<double>(refused), refused + total(kernels::tally_defections, groups));
    };
    m.refusal_rate_defectors = refusal({0, 2, 4});
    m.refusal_rate_registered_defectors = refusal({4});
    m.refusal_rate_unregistered_defectors = refusal({2});
    m.imitations = s.imitations;
    m.switches = s.switches;
    m.trust_gini = ineq.gini;
    m.trust_top1_share = ineq.top1_share;
    m.trust_cooperators = reputation({1, 3, 5});
    m.trust_defectors = reputation({0, 2, 4});
    m.trust_residents = reputation({0, 1});
    m.trust_enterprises = reputation({2, 3, 4, 5});
    m.trust_registered = reputation({4, 5});
    m.trust_institutions = reputation({6, 7});
    m.payoff_cooperators = payoff({1, 3, 5});
    m.payoff_defectors = payoff({0, 2, 4});
  }
};

namespace {
const DynamicsParameters& validated(const DynamicsParameters& p) {
  validate(p);
  return p;
}
}  // namespace

Simulation::Simulation(std::shared_ptr<const kernels::Executor> exec, const io::Graph& graph,
                       const DynamicsParameters& params, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(exec, layout_of_graph(exec, graph, validated(params), seed), params, seed)) {}

Simulation::Simulation(std::shared_ptr<const kernels::Executor> exec, const GraphShare& share,
                       const DynamicsParameters& params, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(exec, layout_of_share(exec, share, validated(params), seed), params, seed)) {}

Simulation::~Simulation() = default;

EpochMetrics Simulation::run_epoch() { return impl_->run_epoch(); }
const DynamicsState& Simulation::state() const { return impl_->state; }
DynamicsState& Simulation::state() { return impl_->state; }
const std::vector<std::int32_t>& Simulation::registrar() const { return impl_->L.registrar; }
std::int64_t Simulation::registered_count() const { return impl_->L.registered; }
std::int64_t Simulation::first_tie() const { return impl_->L.edge_begin; }
std::int64_t Simulation::ties() const { return impl_->L.nnz; }

EdgeEvidence Simulation::gather_evidence() const {
  const SimulationLayout& L = impl_->L;
  TRUSTPROP_ASSERT(L.comm, "gather_evidence: one process holds every tie's evidence in its state");
  return {L.comm->gatherv(impl_->state.r.to_host(), L.edge_bounds),
          L.comm->gatherv(impl_->state.s.to_host(), L.edge_bounds)};
}

std::vector<std::uint8_t> Simulation::last_outcomes() const {
  const std::vector<kernels::EdgeRecord> records = impl_->record.to_host();
  const std::vector<kernels::RecordSlot> slot = impl_->L.in.edge_slot.to_host();
  std::vector<std::uint8_t> outcomes(records.size());
  for (std::size_t k = 0; k < records.size(); ++k)
    outcomes[k] = records[slot.empty() ? k : static_cast<std::size_t>(slot[k])].outcome;
  return outcomes;
}
std::vector<std::int32_t> Simulation::last_models() const { return impl_->model.to_host(); }
std::vector<std::int32_t> Simulation::last_tallies() const { return impl_->tallies.to_host(); }

}  // namespace trustprop::host
