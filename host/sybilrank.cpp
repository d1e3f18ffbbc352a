// The SybilRank driver (definitions in host/sybilrank.hpp and
// docs/sybilrank.md): symmetrises the positive ties into an unweighted
// pattern on the host (counting sort, then each row sorted and deduplicated
// in parallel; in a distributed run each process its own rows), seeds
// T_G = Σ deg evenly, and runs the fixed number of kernels/sybilrank.hpp
// steps. The pattern carries no values: deg(v) is the row length, so a step
// reads 4 bytes per tie.
#include "host/sybilrank.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "common/error.hpp"
#include "host/partition.hpp"
#include "host/resident_graph.hpp"
#include "host/row_exchange.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/memory_estimate.hpp"
#include "kernels/sybilrank.hpp"

namespace trustprop::host {

namespace {

// Rows [first, first + rows) of the undirected pattern: indptr from 0,
// columns are agents.
struct HostPattern {
  std::int64_t first = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;

  std::int64_t rows() const { return static_cast<std::int64_t>(indptr.size()) - 1; }
};

// Rows of neighbours with repeats, `both` grouped by row at offsets
// `start` (rows + 1 of them), made sorted and unique, with a self-loop for
// every row left empty: the rows of the pattern from `first` on. In place:
// each row is made unique where it lies, the rows are moved down over the
// repeats (in order: no row moves up), then up from the last row to leave
// room for the self-loops (in reverse: no row moves down), so the pattern
// takes no memory beyond `both`, which it takes over.
HostPattern unique_rows(std::int64_t first, const std::vector<std::int64_t>& start, std::vector<std::int32_t>& both) {
  const auto rows = static_cast<std::int64_t>(start.size()) - 1;
  const auto row = [](std::int64_t v) { return static_cast<std::size_t>(v); };
  HostPattern p;
  p.first = first;
  p.indptr.assign(row(rows) + 1, 0);
  std::vector<std::int64_t> unique_len(row(rows));
#pragma omp parallel for schedule(dynamic, 1024)
  for (std::int64_t v = 0; v < rows; ++v) {
    auto* b = both.data() + start[row(v)];
    auto* e = both.data() + start[row(v) + 1];
    std::sort(b, e);
    unique_len[row(v)] = std::unique(b, e) - b;
  }
  std::int64_t packed = 0;  // the unique entries of the rows before v, moved down
  for (std::int64_t v = 0; v < rows; ++v) {
    if (packed != start[row(v)]) std::copy_n(both.data() + start[row(v)], unique_len[row(v)], both.data() + packed);
    packed += unique_len[row(v)];
    p.indptr[row(v) + 1] = p.indptr[row(v)] + std::max<std::int64_t>(unique_len[row(v)], 1);
  }
  both.resize(row(p.indptr.back()));
  for (std::int64_t v = rows - 1; v >= 0; --v) {
    const std::int64_t len = unique_len[row(v)];
    packed -= len;
    auto* out = both.data() + p.indptr[row(v)];
    if (len == 0)
      *out = static_cast<std::int32_t>(first + v);
    else
      std::copy_backward(both.data() + packed, both.data() + packed + len, out + len);
  }
  p.indices = std::move(both);
  return p;
}

// Whether W's entry (i, j, w) is a social link: a positive tie, not a self-loop.
bool link(std::int64_t i, std::int32_t j, float w) { return w > 0.0f && j != i; }

// The symmetrised pattern of the positive ties, rows sorted and unique,
// a self-loop for every agent without a neighbour.
HostPattern undirected_pattern(const io::Graph& g) {
  const auto n = static_cast<std::size_t>(g.n);
  std::vector<std::int64_t> start(n + 1, 0);
  for (std::int64_t i = 0; i < g.n; ++i)
    for (auto e = g.indptr[i]; e < g.indptr[i + 1]; ++e)
      if (link(i, g.indices[e], g.data[e])) {
        ++start[static_cast<std::size_t>(i) + 1];
        ++start[static_cast<std::size_t>(g.indices[e]) + 1];
      }
  for (std::size_t v = 0; v < n; ++v) start[v + 1] += start[v];
  std::vector<std::int32_t> both(static_cast<std::size_t>(start[n]));
  std::vector<std::int64_t> cursor(start.begin(), start.end() - 1);
  for (std::int64_t i = 0; i < g.n; ++i)
    for (auto e = g.indptr[i]; e < g.indptr[i + 1]; ++e)
      if (link(i, g.indices[e], g.data[e])) {
        both[static_cast<std::size_t>(cursor[static_cast<std::size_t>(i)]++)] = g.indices[e];
        both[static_cast<std::size_t>(cursor[static_cast<std::size_t>(g.indices[e])]++)] = static_cast<std::int32_t>(i);
      }
  return unique_rows(0, start, both);
}

// A distributed run's rows of the same pattern (DESIGN §7): the agents are
// split by their links (out and in, with repeats: entries + 1 per agent,
// host/partition.hpp), each process sends both directions of each of its
// rows' links to the owners of their rows (one all-to-all exchange), and
// each owner makes its rows sorted and unique as one process does.
// Collective; `bounds` gets every process's rows.
HostPattern pattern_share(const GraphShare& share, std::vector<std::int64_t>& bounds) {
  const Communicator& comm = *share.comm;
  const io::GraphRows& w = share.rows;
  std::vector<std::int64_t> links(static_cast<std::size_t>(w.n) + 1, 0);  // shifted by one: a prefix later
  for (std::int64_t r = 0; r < w.rows(); ++r)
    for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k)
      if (link(w.first + r, w.indices[k], w.data[k])) {
        ++links[static_cast<std::size_t>(w.first + r) + 1];
        ++links[static_cast<std::size_t>(w.indices[k]) + 1];
      }
  comm.sum(links.data(), w.n + 1);
  std::partial_sum(links.begin(), links.end(), links.begin());
  bounds = balanced_bounds(links, comm.size());

  // (row, neighbour) pairs, both directions of every link, to the row's owner.
  struct Pair {
    std::int32_t row, neighbour;
  };
  std::vector<std::int32_t> both;
  const std::vector<std::int64_t> start = route_to_rows<Pair>(
      comm, bounds,
      [&](auto&& emit) {
        for (std::int64_t r = 0; r < w.rows(); ++r)
          for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k)
            if (link(w.first + r, w.indices[k], w.data[k])) {
              emit(Pair{static_cast<std::int32_t>(w.first + r), w.indices[k]});
              emit(Pair{w.indices[k], static_cast<std::int32_t>(w.first + r)});
            }
      },
      [](const Pair& p) { return p.row; }, [&](std::int64_t received) { both.resize(static_cast<std::size_t>(received)); },
      [&](std::int64_t at, const Pair& p) { both[static_cast<std::size_t>(at)] = p.neighbour; });
  return unique_rows(bounds[static_cast<std::size_t>(comm.rank())], start, both);
}

// The steps on this process's rows of the pattern (all of them for one
// process): each step normalises the process's rows of q = t/deg, shares q
// (the step gathers it from anywhere), and computes the process's rows of
// t′. Process 0 gets the whole result; the others' trust and raw are empty.
SybilRankResult iterate(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                        const std::vector<std::int64_t>& bounds, const HostPattern& p, std::int64_t n,
                        const std::vector<std::int64_t>& seed_set, int steps) {
  SybilRankResult r;
  r.steps = steps;
  r.seeds = static_cast<std::int64_t>(seed_set.size());
  std::int64_t entries = static_cast<std::int64_t>(p.indices.size());
  comm.sum(&entries, 1);
  r.total_trust = static_cast<double>(entries);
  const std::int64_t rows = p.rows();
  std::vector<double> t0(static_cast<std::size_t>(rows), 0.0);
  for (std::int64_t s : seed_set)
    if (s >= p.first && s < p.first + rows) t0[static_cast<std::size_t>(s - p.first)] = r.total_trust / static_cast<double>(r.seeds);

  const Resident<std::int64_t> indptr(exec, p.indptr);
  const Resident<std::int32_t> indices(exec, p.indices);
  const kernels::PatternView view{rows, static_cast<std::int64_t>(p.indices.size()), indptr.data(), indices.data()};
  auto t = kernels::Array<double>::from_host(exec, t0);
  kernels::Array<double> t_next(exec, t0.size()), q(exec, static_cast<std::size_t>(n));
  double* own_q = q.data() + p.first;

  Convergence& c = r.convergence;
  const auto start = std::chrono::steady_clock::now();
  kernels::dispatch(*exec, [&](const auto& e) {
    for (int step = 0; step < steps; ++step) {
      sybilrank_degree_normalize(e, view, t.data(), own_q);
      allgather_rows(comm, bounds, q);
      double residual = 0.0;  // the processes' parts, added in rank order
      for (const double part : comm.allgather(sybilrank_step(e, view, q.data(), t.data(), t_next.data())))
        residual += part;
      c.residual = residual;
      c.residuals.push_back(c.residual);
      ++c.iterations;
      std::swap(t, t_next);
    }
    sybilrank_degree_normalize(e, view, t.data(), own_q);
  });
  const std::vector<double> raw = t.to_host();
  std::vector<double> score(static_cast<std::size_t>(rows));
  exec->copy_to_host(score.data(), own_q, score.size() * sizeof(double));
  r.raw = comm.gatherv(raw, bounds);
  r.trust = comm.gatherv(score, bounds);
  r.iterate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<std::int64_t> seed_set_of(const std::vector<std::int64_t>& seeds, std::int64_t n, const SybilRankOptions& o) {
  if (o.steps < -1) throw ConfigError("--steps = " + std::to_string(o.steps) + ": must be >= 0");
  std::vector<std::int64_t> seed_set(seeds);
  std::sort(seed_set.begin(), seed_set.end());
  seed_set.erase(std::unique(seed_set.begin(), seed_set.end()), seed_set.end());
  if (seed_set.empty()) throw UsageError("sybilrank: no seed agents");
  for (std::int64_t s : seed_set) TRUSTPROP_ASSERT(s >= 0 && s < n, "seed agent " + std::to_string(s) + " out of range");
  return seed_set;
}

}  // namespace

std::size_t sybilrank_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t ties, bool routed) {
  const double agents = static_cast<double>(n), entries = static_cast<double>(ties);
  if (kind == kernels::BackendKind::cuda) return kernels::with_margin(kind, 8.0 * entries + 44.0 * agents);
  // Routed: the send buffer (two 8 B pairs per link) beside the receive buffer.
  return kernels::with_margin(kind, (routed ? 32.0 : 8.0) * entries + 80.0 * agents);
}

int sybilrank_default_steps(std::int64_t n) {
  int steps = 0;
  while (steps < 63 && (std::int64_t{1} << steps) < n) ++steps;
  return steps;
}

SybilRankResult run_sybilrank(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                              const std::vector<std::int64_t>& seeds, const SybilRankOptions& o,
                              const std::string& graph_name) {
  const std::vector<std::int64_t> seed_set = seed_set_of(seeds, g.n, o);
  kernels::require_memory(*exec, sybilrank_bytes(exec->kind(), g.n, g.nnz(), false),
                          "SybilRank on " + graph_name + " (" + std::to_string(g.n) + " agents, " +
                              std::to_string(g.nnz()) + " ties)");
  const HostPattern p = undirected_pattern(g);
  return iterate(exec, this_process(), {0, g.n}, p, g.n, seed_set, o.steps >= 0 ? o.steps : sybilrank_default_steps(g.n));
}

SybilRankResult run_sybilrank(const std::shared_ptr<const kernels::Executor>& exec, const GraphShare& share,
                              const std::vector<std::int64_t>& seeds, const SybilRankOptions& o) {
  const std::int64_t n = share.agents.n;
  std::vector<std::int64_t> seed_set;
  collectively(*share.comm, [&] {
    seed_set = seed_set_of(seeds, n, o);
    kernels::require_memory(*exec, sybilrank_bytes(exec->kind(), n, share.rows.nnz(), true),
                            "SybilRank's share on process " + std::to_string(share.comm->rank()) + " (" +
                                std::to_string(share.rows.nnz()) + " ties)");
  });
  std::vector<std::int64_t> bounds;
  const HostPattern p = pattern_share(share, bounds);
  return iterate(exec, *share.comm, bounds, p, n, seed_set, o.steps >= 0 ? o.steps : sybilrank_default_steps(n));
}

}  // namespace trustprop::host
