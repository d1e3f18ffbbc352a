#include "host/eigentrust.hpp"

#include <chrono>
#include <cmath>
#include <numeric>

#include "common/error.hpp"
#include "host/resident_graph.hpp"
#include "host/row_exchange.hpp"
#include "host/transition_share.hpp"
#include "kernels/cpu/sell.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

void validate(const EigenTrustOptions& o) {
  if (!(o.restart > 0.0 && o.restart <= 1.0))
    throw ConfigError("restart_probability = " + std::to_string(o.restart) + ": must be in (0, 1]");
  if (!(o.tolerance >= 0.0) || !std::isfinite(o.tolerance))
    throw ConfigError("tolerance = " + std::to_string(o.tolerance) + ": must be a finite number >= 0");
  if (o.block_agents < 0)
    throw ConfigError("block_agents = " + std::to_string(o.block_agents) + ": must be >= 0 (0: automatic)");
  if (o.max_iterations < 0)
    throw ConfigError("max_iterations = " + std::to_string(o.max_iterations) + ": must be >= 0");
}

namespace {

// Where this process's rows of Cᵀ lie and who has the others: one process
// has them all (comm null); in a distributed run t, t_next and the gathered
// copies are whole on every process, each step writes its own rows, and an
// exchange after it gives everyone the rest.
struct Rows {
  const Communicator* comm = nullptr;
  std::vector<std::int64_t> bounds;

  std::int64_t first() const { return comm ? bounds[static_cast<std::size_t>(comm->rank())] : 0; }

  // Every process's rows of `a` to every process.
  template <class T>
  void share(kernels::Array<T>& a) const {
    if (comm) allgather_rows(*comm, bounds, a);
  }
  // ‖Δt‖₁ from each process's part, added in rank order: the same on all.
  double residual(double part) const {
    if (!comm) return part;
    double total = 0.0;
    for (const double r : comm->allgather(part)) total += r;
    return total;
  }
};

EigenTrustResult iterate(const std::shared_ptr<const kernels::Executor>& exec, kernels::Transition&& transition,
                         const Rows& rows, std::int64_t n_agents, const std::vector<double>& pretrust,
                         const EigenTrustOptions& options, const std::vector<double>& start,
                         const IterationObserver& observe, const EigenTrustResume* resume,
                         std::chrono::steady_clock::time_point t0) {
  const auto n = static_cast<std::size_t>(n_agents);
  const kernels::Transition tr = std::move(transition);
  EigenTrustResult r;
  r.value_free = tr.value_free;
  r.block_width = tr.block_width;
  r.source_blocks = tr.block_width > 0 ? (n_agents + tr.block_width - 1) / tr.block_width : 1;
  if (tr.sell_rows.size() > 0) r.cpu_simd = kernels::cpu::simd_name(kernels::cpu::simd_level());
  auto p = kernels::Array<double>::from_host(exec, pretrust);
  std::vector<double> t0_host = resume ? resume->trust : start.empty() ? pretrust : start;
  if (resume) {
    TRUSTPROP_ASSERT(t0_host.size() == n, "resumed trust vector must have one entry per agent");
  } else if (!start.empty()) {
    TRUSTPROP_ASSERT(start.size() == n, "warm-start vector must have one entry per agent");
    const double s = std::accumulate(t0_host.begin(), t0_host.end(), 0.0);
    if (!(s > 0.0) || !std::isfinite(s)) throw DataError("warm-start vector does not have a positive finite sum");
    // A result sums to 1 only within the float32 C's mass drift (up to
    // about 1e-6, docs/models.md): taken as it is, a start from a converged
    // result is converged; scaled, it would iterate back to the drifted sum.
    if (std::fabs(s - 1.0) > warm_start_sum_slack)
      for (double& v : t0_host) v /= s;
  }
  auto t = kernels::Array<double>::from_host(exec, t0_host);
  kernels::Array<double> t_next(exec, n);
  // The gathered copies of t (kernels/eigentrust.hpp): float32 while
  // float32_gather holds; for a value-free Cᵀ scaled by source_scale, and in
  // double once the float32 gather ends. Built from a host copy of t that
  // lives only while they are made: the run keeps no second t on the host.
  kernels::Array<float> x32, x32_next;
  kernels::Array<double> x64, x64_next;
  bool float32_gather = options.float32_gather && (!resume || resume->float32_gather);
  auto start_gather = [&](std::vector<double> x) {
    if (tr.value_free) {
      const std::vector<double> scale = tr.source_scale.to_host();
      for (std::size_t i = 0; i < n; ++i) x[i] *= scale[i];
    }
    if (float32_gather) {
      x32 = kernels::Array<float>::from_host(exec, std::vector<float>(x.begin(), x.end()));
      x32_next = kernels::Array<float>(exec, n);
    } else {
      x32 = kernels::Array<float>();
      x32_next = kernels::Array<float>();
      if (tr.value_free) {
        x64 = kernels::Array<double>::from_host(exec, x);
        x64_next = kernels::Array<double>(exec, n);
      }
    }
  };
  start_gather(std::move(t0_host));
  exec->synchronize();
  r.setup_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  const kernels::CsrView ct = tr.ct.view();
  Convergence& c = r.convergence;
  if (resume) {
    c = resume->convergence;
    c.converged = !c.residuals.empty() && c.residual < options.tolerance;  // a finished run, resumed
  }
  while (!c.converged && c.iterations < options.max_iterations) {
    const kernels::GatherVectors gather{x32.data(), x32_next.data(), x64.data(), x64_next.data(),
                                        tr.value_free ? tr.source_scale.data() : nullptr,
                                        kernels::source_blocks(tr), kernels::sell_chunks(tr)};
    const double part = kernels::dispatch(*exec, [&](const auto& e) {
      return eigentrust_step(e, ct, tr.dangling.data(), static_cast<std::int64_t>(tr.dangling.size()), p.data(),
                             options.restart, t.data(), t_next.data(), gather, rows.first());
    });
    const auto exchange = std::chrono::steady_clock::now();
    rows.share(t_next);
    rows.share(x32_next);
    rows.share(x64_next);
    const double res = rows.residual(part);
    if (rows.comm) r.exchange_seconds += seconds_since(exchange);
    std::swap(t, t_next);
    std::swap(x32, x32_next);
    std::swap(x64, x64_next);
    ++c.iterations;
    c.residual = res;
    c.residuals.push_back(res);
    if (!std::isfinite(res)) throw InternalError("EigenTrust iteration produced a non-finite residual");
    // Then the float32 rounding of the gathered vector is no longer small
    // against a step: finish in float64, so that any tolerance is reachable
    // and the result is the float64 fixed point.
    const double previous = c.iterations > 1 ? c.residuals[c.residuals.size() - 2] : HUGE_VAL;
    if (float32_gather && float32_gather_ends(res, previous) && res >= options.tolerance) {
      float32_gather = false;
      start_gather(t.to_host());
    }
    if (observe) observe({t, float32_gather, c});
    if (res < options.tolerance) {
      c.converged = true;
      break;
    }
  }
  r.trust = t.to_host();
  r.iterate_seconds = seconds_since(t1);
  return r;
}

}  // namespace

EigenTrustResult run_eigentrust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                const std::vector<double>& pretrust, const EigenTrustOptions& options,
                                const std::vector<double>& start, const IterationObserver& observe,
                                const EigenTrustResume* resume) {
  validate(options);
  TRUSTPROP_ASSERT(pretrust.size() == static_cast<std::size_t>(g.n), "pre-trust vector must have one entry per agent");
  // Refuse a graph the backend cannot hold before allocating anything.
  kernels::require_memory(*exec, kernels::eigentrust_bytes(exec->kind(), g.n, g.nnz()),
                          "EigenTrust on the graph of " + std::to_string(g.n) + " agents and " +
                              std::to_string(g.nnz()) + " edges" + (g.source.empty() ? "" : " (" + g.source + ")"));
  const auto t0 = std::chrono::steady_clock::now();
  kernels::Transition tr;
  {
    // W lives on the backend only while Cᵀ is built (on the CPU: in place).
    const ResidentGraph w(exec, g);
    tr = kernels::dispatch(*exec, [&](const auto& e) {
      return build_transition(e, w.view(), kernels::TransitionForm::eigentrust, options.block_agents);
    });
  }
  return iterate(exec, std::move(tr), Rows{}, g.n, pretrust, options, start, observe, resume, t0);
}

EigenTrustResult run_eigentrust(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                                const std::vector<double>& pretrust, const EigenTrustOptions& options,
                                const std::vector<double>& start, const IterationObserver& observe,
                                const EigenTrustResume* resume) {
  validate(options);
  const std::int64_t n = share.agents.n;
  TRUSTPROP_ASSERT(pretrust.size() == static_cast<std::size_t>(n), "pre-trust vector must have one entry per agent");
  const auto t0 = std::chrono::steady_clock::now();
  TransitionShare ts = build_transition_share(exec, share);
  Rows rows{share.comm, std::move(ts.bounds)};
  return iterate(exec, std::move(ts.tr), rows, n, pretrust, options, start, observe, resume, t0);
}

}  // namespace trustprop::host
