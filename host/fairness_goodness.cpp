#include "host/fairness_goodness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "common/error.hpp"
#include "host/partition.hpp"
#include "host/resident_graph.hpp"
#include "host/row_exchange.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/fairness_goodness.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

namespace {

// Both directions of the graph with float64 weights as the kernels see
// them (host/resident_graph.hpp: on the CPU the host arrays themselves):
// this process's out-rows (raters) and in-rows (rated agents) of n columns.
struct Directions {
  std::int64_t n = 0, out_rows = 0, in_rows = 0;
  Resident<std::int64_t> out_ptr, in_ptr;
  Resident<std::int32_t> out_idx, in_idx;
  Resident<double> out_w, in_w;
  kernels::CsrView64 out() const {
    return {out_rows, n, static_cast<std::int64_t>(out_idx.size()), out_ptr.data(), out_idx.data(), out_w.data()};
  }
  kernels::CsrView64 in() const {
    return {in_rows, n, static_cast<std::int64_t>(in_idx.size()), in_ptr.data(), in_idx.data(), in_w.data()};
  }
};

// w / divisor in float64, checked to lie in [−1, 1].
double check_weight(float weight, double divisor, std::int64_t i, std::int32_t j, const std::string& graph_name) {
  const double w = static_cast<double>(weight) / divisor;
  if (!(w >= -1.0 && w <= 1.0))
    throw DataError(graph_name + ": fairness-goodness needs weights in [-1, 1]; edge " + std::to_string(i) + " -> " +
                    std::to_string(j) + " has " + fmt::format("{}", w) +
                    " (import with --scale-weights, or pass --weight-divisor)");
  return w;
}

// The mean of in_w[b, e), summed in order; 0 for an empty row (nobody rates).
double mean_weight(const std::vector<double>& in_w, std::int64_t b, std::int64_t e) {
  if (b == e) return 0.0;
  double s = 0.0;
  for (auto k = b; k < e; ++k) s += in_w[static_cast<std::size_t>(k)];
  return s / static_cast<double>(e - b);
}

}  // namespace

std::size_t fairness_goodness_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t out_entries,
                                    std::int64_t in_entries, bool routed) {
  const double agents = static_cast<double>(n), out = static_cast<double>(out_entries),
               in = static_cast<double>(in_entries);
  if (kind == kernels::BackendKind::cuda) return kernels::with_margin(kind, 12.0 * (out + in) + 40.0 * agents);
  // Routed: out_w and the send buffer beside the receive buffer, then out_w,
  // the receive buffer and the in-rows it fills.
  const double ties = routed ? std::max(24.0 * out + 16.0 * in, 8.0 * out + 28.0 * in) : 8.0 * out + 12.0 * in;
  return kernels::with_margin(kind, ties + 72.0 * agents);
}

FairnessGoodnessInput fairness_goodness_input(const io::Graph& g, double weight_divisor,
                                              const std::string& graph_name) {
  const auto n = static_cast<std::size_t>(g.n);
  const auto nnz = static_cast<std::size_t>(g.nnz());

  // Out-direction weights in float64, checked; in-direction by counting sort
  // (rows visited in order, so each in-row lists its raters ascending).
  FairnessGoodnessInput in;
  std::vector<double>& w = in.out_w;
  w.resize(nnz);
  std::vector<std::int64_t>& in_ptr = in.in_ptr;
  in_ptr.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
      w[k] = check_weight(g.data[k], weight_divisor, static_cast<std::int64_t>(i), g.indices[k], graph_name);
      ++in_ptr[static_cast<std::size_t>(g.indices[k]) + 1];
    }
  }
  for (std::size_t v = 0; v < n; ++v) in_ptr[v + 1] += in_ptr[v];
  std::vector<std::int32_t>& in_idx = in.in_idx;
  std::vector<double>& in_w = in.in_w;
  in_idx.resize(nnz);
  in_w.resize(nnz);
  std::vector<std::int64_t> cursor(in_ptr.begin(), in_ptr.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    for (auto k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
      const auto pos = cursor[static_cast<std::size_t>(g.indices[k])]++;
      in_idx[pos] = static_cast<std::int32_t>(i);
      in_w[pos] = w[k];
    }
  }
  // Start: fairness 1, goodness the mean incoming weight (0 if nobody rates).
  in.f0.assign(n, 1.0);
  in.g0.assign(n, 0.0);
  for (std::size_t v = 0; v < n; ++v) in.g0[v] = mean_weight(in_w, in_ptr[v], in_ptr[v + 1]);
  return in;
}

namespace {

void validate(const FairnessGoodnessOptions& o) {
  if (!(o.tolerance >= 0.0)) throw ConfigError("tolerance must be >= 0");
  if (o.max_iterations < 0) throw ConfigError("max_iterations must be >= 0");
  if (!(o.weight_divisor > 0.0) || !std::isfinite(o.weight_divisor))
    throw ConfigError("weight_divisor = " + std::to_string(o.weight_divisor) + ": must be a positive number");
}

// The authors' loop on this process's rows (all of them for one process):
// the goodness step on its in-rows [in_bounds[r], …), the exchange of g, the
// fairness step on its out-rows [out_bounds[r], …), the exchange of f; the
// changes are the processes' parts added in rank order.
FairnessGoodnessResult iterate(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                               const Directions& d, const std::vector<std::int64_t>& out_bounds,
                               const std::vector<std::int64_t>& in_bounds, const std::vector<double>& f0,
                               const std::vector<double>& g0, const FairnessGoodnessOptions& o,
                               const FairnessGoodnessObserver& observe, const FairnessGoodnessResume* resume) {
  const auto me = static_cast<std::size_t>(comm.rank());
  if (resume)
    TRUSTPROP_ASSERT(resume->fairness.size() == f0.size() && resume->goodness.size() == g0.size(),
                     "the resumed fairness and goodness must have one entry per agent");
  auto f = kernels::Array<double>::from_host(exec, resume ? resume->fairness : f0);
  auto gd = kernels::Array<double>::from_host(exec, resume ? resume->goodness : g0);
  const auto total = [&](double part) {
    double sum = 0.0;
    for (const double x : comm.allgather(part)) sum += x;
    return sum;
  };
  FairnessGoodnessResult r;
  Convergence& c = r.convergence;
  if (resume) {
    c = resume->convergence;
    r.fairness_change = resume->fairness_change;
    r.goodness_change = resume->goodness_change;
    c.converged = !r.fairness_change.empty() && r.fairness_change.back() < o.tolerance &&
                  r.goodness_change.back() < o.tolerance;  // a finished run, resumed
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (!c.converged && c.iterations < o.max_iterations) {
    const double dg = total(kernels::dispatch(*exec, [&](const auto& e) {
      return fg_goodness_step(e, d.in(), f.data(), gd.data() + in_bounds[me]);
    }));
    allgather_rows(comm, in_bounds, gd);
    const double df = total(kernels::dispatch(*exec, [&](const auto& e) {
      return fg_fairness_step(e, d.out(), gd.data(), f.data() + out_bounds[me]);
    }));
    allgather_rows(comm, out_bounds, f);
    ++c.iterations;
    r.goodness_change.push_back(dg);
    r.fairness_change.push_back(df);
    c.residual = std::max(df, dg);
    c.residuals.push_back(c.residual);
    c.converged = df < o.tolerance && dg < o.tolerance;
    if (observe) observe({f, gd, c, r.fairness_change, r.goodness_change});
  }
  r.fairness = f.to_host();
  r.goodness = gd.to_host();
  r.iterate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// One rating as it travels to the owner of its in-row.
struct Rating {
  std::int32_t v, u;
  double w;
};

}  // namespace

FairnessGoodnessResult run_fairness_goodness(const std::shared_ptr<const kernels::Executor>& exec,
                                             const io::Graph& g, const FairnessGoodnessOptions& o,
                                             const std::string& graph_name, const FairnessGoodnessObserver& observe,
                                             const FairnessGoodnessResume* resume) {
  validate(o);
  kernels::require_memory(*exec, fairness_goodness_bytes(exec->kind(), g.n, g.nnz(), g.nnz(), false),
                          "fairness-goodness on " + graph_name + " (" + std::to_string(g.n) + " agents, " +
                              std::to_string(g.nnz()) + " ties)");
  const FairnessGoodnessInput in = fairness_goodness_input(g, o.weight_divisor, graph_name);
  Directions d;
  d.n = d.out_rows = d.in_rows = g.n;
  d.out_ptr = {exec, g.indptr};
  d.out_idx = {exec, g.indices};
  d.out_w = {exec, in.out_w};
  d.in_ptr = {exec, in.in_ptr};
  d.in_idx = {exec, in.in_idx};
  d.in_w = {exec, in.in_w};
  return iterate(exec, this_process(), d, {0, g.n}, {0, g.n}, in.f0, in.g0, o, observe, resume);
}

FairnessGoodnessResult run_fairness_goodness(const std::shared_ptr<const kernels::Executor>& exec,
                                             const GraphShare& share, const FairnessGoodnessOptions& o,
                                             const std::string& graph_name, const FairnessGoodnessObserver& observe,
                                             const FairnessGoodnessResume* resume) {
  const Communicator& comm = *share.comm;
  const io::GraphRows& w = share.rows;
  const std::int64_t n = w.n;
  const auto me = static_cast<std::size_t>(comm.rank());

  // This process's out-rows' weights in float64, checked (the lowest failing
  // process reports: the file's first bad edge, as one process would), and
  // every agent's in-degree.
  std::vector<double> out_w(static_cast<std::size_t>(w.nnz()));
  std::vector<std::int64_t> in_degree(static_cast<std::size_t>(n) + 1, 0);  // shifted by one: a prefix later
  collectively(comm, [&] {
    validate(o);
    for (std::int64_t r = 0; r < w.rows(); ++r)
      for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k) {
        out_w[k] = check_weight(w.data[k], o.weight_divisor, w.first + r, w.indices[k], graph_name);
        ++in_degree[static_cast<std::size_t>(w.indices[k]) + 1];
      }
  });
  comm.sum(in_degree.data(), n + 1);
  std::partial_sum(in_degree.begin(), in_degree.end(), in_degree.begin());
  const std::vector<std::int64_t> in_bounds = balanced_bounds(in_degree, comm.size());
  const std::int64_t in_first = in_bounds[me], in_rows = in_bounds[me + 1] - in_first;
  const std::int64_t in_entries = in_degree[static_cast<std::size_t>(in_first + in_rows)] - in_degree[static_cast<std::size_t>(in_first)];
  std::vector<std::int64_t>().swap(in_degree);
  // Refuse a share the backend cannot hold before the exchange allocates.
  collectively(comm, [&] {
    kernels::require_memory(*exec, fairness_goodness_bytes(exec->kind(), n, w.nnz(), in_entries, true),
                            "fairness-goodness's share on process " + std::to_string(comm.rank()) + " (" +
                                std::to_string(w.nnz()) + " ties out, " + std::to_string(in_entries) + " in)");
  });

  // Each rating to the owner of its in-row, in W's order; what arrives is
  // ordered by sender, each sender's by rater, so every in-row lists its
  // raters ascending, as one process does.
  std::vector<std::int32_t> in_idx;
  std::vector<double> in_w;
  const std::vector<std::int64_t> in_ptr = route_to_rows<Rating>(
      comm, in_bounds,
      [&](auto&& emit) {
        for (std::int64_t r = 0; r < w.rows(); ++r)
          for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k)
            emit(Rating{w.indices[k], static_cast<std::int32_t>(w.first + r), out_w[static_cast<std::size_t>(k)]});
      },
      [](const Rating& x) { return x.v; },
      [&](std::int64_t received) {
        in_idx.resize(static_cast<std::size_t>(received));
        in_w.resize(in_idx.size());
      },
      [&](std::int64_t at, const Rating& x) {
        in_idx[static_cast<std::size_t>(at)] = x.u;
        in_w[static_cast<std::size_t>(at)] = x.w;
      });

  // The start: f = 1, g = the mean incoming weight of each in-row, gathered.
  std::vector<double> g0(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t v = 0; v < in_rows; ++v)
    g0[static_cast<std::size_t>(in_first + v)] = mean_weight(in_w, in_ptr[v], in_ptr[v + 1]);
  comm.allgatherv(g0, in_bounds);

  Directions d;
  d.n = n;
  d.out_rows = w.rows();
  d.in_rows = in_rows;
  d.out_ptr = {exec, w.indptr};
  d.out_idx = {exec, w.indices};
  d.out_w = {exec, out_w};
  d.in_ptr = {exec, in_ptr};
  d.in_idx = {exec, in_idx};
  d.in_w = {exec, in_w};
  return iterate(exec, comm, d, share.w_bounds, in_bounds, std::vector<double>(static_cast<std::size_t>(n), 1.0), g0, o,
                 observe, resume);
}

}  // namespace trustprop::host
