// The SybilRank driver (definitions in host/sybilrank.hpp and
// docs/sybilrank.md): symmetrises the positive ties into an unweighted
// pattern on the host (counting sort, then each row sorted and deduplicated
// in parallel), seeds T_G = Σ deg evenly, and runs the fixed number of
// kernels/sybilrank.hpp steps. The pattern carries no values: deg(v) is the
// row length, so a step reads 4 bytes per tie.
#include "host/sybilrank.hpp"

#include <algorithm>
#include <chrono>

#include "common/error.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/sybilrank.hpp"

namespace trustprop::host {

namespace {

struct HostPattern {
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
};

// The symmetrised pattern of the positive ties, rows sorted and unique,
// a self-loop for every agent without a neighbour.
HostPattern undirected_pattern(const io::Graph& g) {
  const auto n = static_cast<std::size_t>(g.n);
  std::vector<std::int64_t> start(n + 1, 0);
  for (std::int64_t i = 0; i < g.n; ++i)
    for (auto e = g.indptr[i]; e < g.indptr[i + 1]; ++e)
      if (g.data[e] > 0.0f && g.indices[e] != i) {
        ++start[static_cast<std::size_t>(i) + 1];
        ++start[static_cast<std::size_t>(g.indices[e]) + 1];
      }
  for (std::size_t v = 0; v < n; ++v) start[v + 1] += start[v];
  std::vector<std::int32_t> both(static_cast<std::size_t>(start[n]));
  std::vector<std::int64_t> cursor(start.begin(), start.end() - 1);
  for (std::int64_t i = 0; i < g.n; ++i)
    for (auto e = g.indptr[i]; e < g.indptr[i + 1]; ++e)
      if (g.data[e] > 0.0f && g.indices[e] != i) {
        both[static_cast<std::size_t>(cursor[static_cast<std::size_t>(i)]++)] = g.indices[e];
        both[static_cast<std::size_t>(cursor[static_cast<std::size_t>(g.indices[e])]++)] = static_cast<std::int32_t>(i);
      }

  HostPattern p;
  p.indptr.assign(n + 1, 0);
  std::vector<std::int64_t> unique_len(n);
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t v = 0; v < g.n; ++v) {
    auto* b = both.data() + start[static_cast<std::size_t>(v)];
    auto* e = both.data() + start[static_cast<std::size_t>(v) + 1];
    std::sort(b, e);
    unique_len[static_cast<std::size_t>(v)] = std::unique(b, e) - b;
  }
  for (std::size_t v = 0; v < n; ++v) p.indptr[v + 1] = p.indptr[v] + std::max<std::int64_t>(unique_len[v], 1);
  p.indices.resize(static_cast<std::size_t>(p.indptr[n]));
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t v = 0; v < g.n; ++v) {
    const auto len = unique_len[static_cast<std::size_t>(v)];
    auto* out = p.indices.data() + p.indptr[static_cast<std::size_t>(v)];
    if (len == 0)
      *out = static_cast<std::int32_t>(v);
    else
      std::copy_n(both.data() + start[static_cast<std::size_t>(v)], len, out);
  }
  return p;
}

}  // namespace

int sybilrank_default_steps(std::int64_t n) {
  int steps = 0;
  while (steps < 63 && (std::int64_t{1} << steps) < n) ++steps;
  return steps;
}

SybilRankResult run_sybilrank(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                              const std::vector<std::int64_t>& seeds, const SybilRankOptions& o) {
  if (o.steps < -1) throw ConfigError("--steps = " + std::to_string(o.steps) + ": must be >= 0");
  std::vector<std::int64_t> seed_set(seeds);
  std::sort(seed_set.begin(), seed_set.end());
  seed_set.erase(std::unique(seed_set.begin(), seed_set.end()), seed_set.end());
  if (seed_set.empty()) throw UsageError("sybilrank: no seed agents");
  for (std::int64_t s : seed_set) TRUSTPROP_ASSERT(s >= 0 && s < g.n, "seed agent " + std::to_string(s) + " out of range");

  SybilRankResult r;
  r.steps = o.steps >= 0 ? o.steps : sybilrank_default_steps(g.n);
  r.seeds = static_cast<std::int64_t>(seed_set.size());
  const HostPattern p = undirected_pattern(g);
  r.total_trust = static_cast<double>(p.indices.size());
  std::vector<double> t0(static_cast<std::size_t>(g.n), 0.0);
  for (std::int64_t s : seed_set) t0[static_cast<std::size_t>(s)] = r.total_trust / static_cast<double>(r.seeds);

  const auto indptr = kernels::Array<std::int64_t>::from_host(exec, p.indptr);
  const auto indices = kernels::Array<std::int32_t>::from_host(exec, p.indices);
  const kernels::PatternView view{g.n, static_cast<std::int64_t>(p.indices.size()), indptr.data(), indices.data()};
  auto t = kernels::Array<double>::from_host(exec, t0);
  kernels::Array<double> t_next(exec, t0.size()), q(exec, t0.size());

  Convergence& c = r.convergence;
  const auto start = std::chrono::steady_clock::now();
  kernels::dispatch(*exec, [&](const auto& e) {
    for (int step = 0; step < r.steps; ++step) {
      sybilrank_degree_normalize(e, view, t.data(), q.data());
      c.residual = sybilrank_step(e, view, q.data(), t.data(), t_next.data());
      c.residuals.push_back(c.residual);
      ++c.iterations;
      std::swap(t, t_next);
    }
    sybilrank_degree_normalize(e, view, t.data(), q.data());
  });
  r.raw = t.to_host();
  r.trust = q.to_host();
  r.iterate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace trustprop::host
