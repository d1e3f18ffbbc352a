#include "host/fairness_goodness.hpp"

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/fairness_goodness.hpp"

namespace trustprop::host {

namespace {

// Both directions of the graph with float64 weights, on the executor.
struct Directions {
  std::int64_t n = 0;
  kernels::Array<std::int64_t> out_ptr, in_ptr;
  kernels::Array<std::int32_t> out_idx, in_idx;
  kernels::Array<double> out_w, in_w;
  kernels::CsrView64 out() const { return {n, n, static_cast<std::int64_t>(out_idx.size()), out_ptr.data(), out_idx.data(), out_w.data()}; }
  kernels::CsrView64 in() const { return {n, n, static_cast<std::int64_t>(in_idx.size()), in_ptr.data(), in_idx.data(), in_w.data()}; }
};

}  // namespace

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
      w[k] = static_cast<double>(g.data[k]) / weight_divisor;
      if (!(w[k] >= -1.0 && w[k] <= 1.0))
        throw DataError(graph_name + ": fairness-goodness needs weights in [-1, 1]; edge " + std::to_string(i) +
                        " -> " + std::to_string(g.indices[k]) + " has " + std::to_string(w[k]) +
                        " (import with --scale-weights, or pass --weight-divisor)");
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
  for (std::size_t v = 0; v < n; ++v) {
    const auto b = in_ptr[v], e = in_ptr[v + 1];
    if (b == e) continue;
    double s = 0.0;
    for (auto k = b; k < e; ++k) s += in_w[k];
    in.g0[v] = s / static_cast<double>(e - b);
  }
  return in;
}

FairnessGoodnessResult run_fairness_goodness(const std::shared_ptr<const kernels::Executor>& exec,
                                             const io::Graph& g, const FairnessGoodnessOptions& o,
                                             const std::string& graph_name) {
  if (!(o.tolerance >= 0.0)) throw ConfigError("tolerance must be >= 0");
  if (o.max_iterations < 0) throw ConfigError("max_iterations must be >= 0");
  if (!(o.weight_divisor > 0.0) || !std::isfinite(o.weight_divisor))
    throw ConfigError("weight_divisor = " + std::to_string(o.weight_divisor) + ": must be a positive number");
  const FairnessGoodnessInput in = fairness_goodness_input(g, o.weight_divisor, graph_name);

  Directions d;
  d.n = g.n;
  d.out_ptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  d.out_idx = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  d.out_w = kernels::Array<double>::from_host(exec, in.out_w);
  d.in_ptr = kernels::Array<std::int64_t>::from_host(exec, in.in_ptr);
  d.in_idx = kernels::Array<std::int32_t>::from_host(exec, in.in_idx);
  d.in_w = kernels::Array<double>::from_host(exec, in.in_w);
  auto f = kernels::Array<double>::from_host(exec, in.f0);
  auto gd = kernels::Array<double>::from_host(exec, in.g0);

  FairnessGoodnessResult r;
  Convergence& c = r.convergence;
  const auto t0 = std::chrono::steady_clock::now();
  while (c.iterations < o.max_iterations) {
    const auto [dg, df] = kernels::dispatch(*exec, [&](const auto& e) {
      const double dg_ = fg_goodness_step(e, d.in(), f.data(), gd.data());
      const double df_ = fg_fairness_step(e, d.out(), gd.data(), f.data());
      return std::pair{dg_, df_};
    });
    ++c.iterations;
    r.goodness_change.push_back(dg);
    r.fairness_change.push_back(df);
    c.residual = std::max(df, dg);
    c.residuals.push_back(c.residual);
    if (df < o.tolerance && dg < o.tolerance) {
      c.converged = true;
      break;
    }
  }
  r.fairness = f.to_host();
  r.goodness = gd.to_host();
  r.iterate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace trustprop::host
