// The signed trust driver (equations and normalisation in
// host/signed_trust.hpp and docs/signed.md): builds B, Bᵀ and, for one-step
// distrust, (T − D)ᵀ on the host by counting sort (columns stay ascending,
// so each kernel row sum has a fixed order), uploads them once, and runs
// the batches of sources through kernels/signed_trust.hpp. Y₀ = E_S is
// uploaded as a dense block rather than special-cased, so every step runs
// the same kernels.
#include "host/signed_trust.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "common/error.hpp"
#include "host/partition.hpp"
#include "host/resident_graph.hpp"
#include "host/result_room.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/memory_estimate.hpp"
#include "kernels/reduction.hpp"
#include "kernels/signed_trust.hpp"

namespace trustprop::host {

namespace {

// A host CSR matrix with float weights, before upload.
struct HostCsr {
  std::int64_t n = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
  std::vector<float> values;
};

// The entries of W whose weight `keep` accepts (columns stay sorted),
// counted first so that each array is allocated once at its size.
template <class Keep>
HostCsr entries_where(const io::Graph& g, Keep keep) {
  HostCsr m;
  m.n = g.n;
  m.indptr.assign(static_cast<std::size_t>(g.n) + 1, 0);
  for (std::int64_t i = 0; i < g.n; ++i) {
    std::int64_t kept = 0;
    for (auto e = g.indptr[i]; e < g.indptr[i + 1]; ++e) kept += keep(g.data[e]) ? 1 : 0;
    m.indptr[static_cast<std::size_t>(i) + 1] = m.indptr[static_cast<std::size_t>(i)] + kept;
  }
  m.indices.resize(static_cast<std::size_t>(m.indptr.back()));
  m.values.resize(m.indices.size());
  std::size_t at = 0;
  for (std::int64_t e = 0; e < g.nnz(); ++e) {
    if (!keep(g.data[e])) continue;
    m.indices[at] = g.indices[e];
    m.values[at++] = g.data[e];
  }
  return m;
}

// Mᵀ by counting sort: rows of M are visited in order, so each row of Mᵀ
// lists its columns ascending.
HostCsr transpose(const HostCsr& m) {
  HostCsr t;
  t.n = m.n;
  t.indptr.assign(static_cast<std::size_t>(m.n) + 1, 0);
  for (std::int32_t j : m.indices) ++t.indptr[static_cast<std::size_t>(j) + 1];
  for (std::size_t j = 0; j < static_cast<std::size_t>(m.n); ++j) t.indptr[j + 1] += t.indptr[j];
  t.indices.resize(m.indices.size());
  t.values.resize(m.values.size());
  std::vector<std::int64_t> cursor(t.indptr.begin(), t.indptr.end() - 1);
  for (std::int64_t i = 0; i < m.n; ++i) {
    for (auto e = m.indptr[static_cast<std::size_t>(i)]; e < m.indptr[static_cast<std::size_t>(i) + 1]; ++e) {
      const auto pos = cursor[static_cast<std::size_t>(m.indices[static_cast<std::size_t>(e)])]++;
      t.indices[static_cast<std::size_t>(pos)] = static_cast<std::int32_t>(i);
      t.values[static_cast<std::size_t>(pos)] = m.values[static_cast<std::size_t>(e)];
    }
  }
  return t;
}

// A host CSR matrix as the kernels see it (host/resident_graph.hpp): on
// the CPU the host arrays themselves, on a GPU a device copy, the host's
// freed.
class PlacedCsr {
 public:
  PlacedCsr(const std::shared_ptr<const kernels::Executor>& exec, HostCsr m)
      : host_(std::move(m)), indptr_(exec, host_.indptr), indices_(exec, host_.indices), values_(exec, host_.values),
        view_{host_.n, host_.n, static_cast<std::int64_t>(indices_.size()), indptr_.data(), indices_.data(),
              values_.data()} {
    if (exec->kind() != kernels::BackendKind::cpu) host_ = HostCsr{};
  }
  const kernels::CsrView& view() const { return view_; }

 private:
  HostCsr host_;
  Resident<std::int64_t> indptr_;
  Resident<std::int32_t> indices_;
  Resident<float> values_;
  kernels::CsrView view_;
};

}  // namespace

SignedMode parse_signed_mode(const std::string& text) {
  if (text == "trust-only") return SignedMode::trust_only;
  if (text == "one-step") return SignedMode::one_step;
  if (text == "propagated") return SignedMode::propagated;
  throw ConfigError("--mode " + text + ": must be trust-only, one-step or propagated");
}

SignedIteration parse_signed_iteration(const std::string& text) {
  if (text == "eventual") return SignedIteration::eventual;
  if (text == "weighted") return SignedIteration::weighted;
  throw ConfigError("--iteration " + text + ": must be eventual or weighted");
}

std::string to_string(SignedMode mode) {
  switch (mode) {
    case SignedMode::trust_only: return "trust-only";
    case SignedMode::one_step: return "one-step";
    case SignedMode::propagated: return "propagated";
  }
  return "?";
}

std::string to_string(SignedIteration iteration) {
  return iteration == SignedIteration::eventual ? "eventual" : "weighted";
}

void validate(const SignedTrustOptions& o) {
  double total = 0.0;
  for (double a : o.alpha) {
    if (!(a >= 0.0) || !std::isfinite(a))
      throw ConfigError("--alpha: every weight must be a finite number >= 0, got " + std::to_string(a));
    total += a;
  }
  if (!(total > 0.0)) throw ConfigError("--alpha: at least one weight must be positive");
  if (!(o.gamma > 0.0) || !std::isfinite(o.gamma))
    throw ConfigError("--gamma = " + std::to_string(o.gamma) + ": must be a positive number");
  if (o.steps < 1) throw ConfigError("--steps = " + std::to_string(o.steps) + ": must be at least 1");
  // The CUDA grid holds 32 sources per block row, at most 65535 block rows.
  if (o.batch < 1 || o.batch > 65535 * 32)
    throw ConfigError("--source-batch = " + std::to_string(o.batch) + ": must be in 1 .. 2097120");
}

std::size_t signed_trust_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t nnz, std::int64_t sources,
                               const SignedTrustOptions& o) {
  const double batch = static_cast<double>(std::max<std::int64_t>(1, std::min(sources, o.batch)));
  const double agents = static_cast<double>(n);
  const double operands = o.mode == SignedMode::one_step ? 3 : 2;  // B, Bᵀ (and Wᵀ)
  const double blocks = o.iteration == SignedIteration::weighted ? 4 : 3;
  const double norm_partials = std::ceil(agents / kernels::reduction_block + 1) * batch;
  const double backend = operands * (8.0 * (agents + 1) + 8.0 * static_cast<double>(nnz)) +
                         8.0 * (blocks * agents * batch + norm_partials);
  if (kind == kernels::BackendKind::cuda) return kernels::with_margin(kind, backend);
  return kernels::with_margin(kind, backend + 8.0 * agents * static_cast<double>(sources));
}

namespace {

// Refuses, before anything is allocated, a run of `sources` sources that
// the backend (and, on a GPU, the host for the result) cannot hold.
void require_signed_memory(const kernels::Executor& exec, const io::Graph& g, std::int64_t sources,
                           const SignedTrustOptions& o, const std::string& graph_name) {
  const std::string what = "signed trust for " + std::to_string(sources) + " sources on " + graph_name;
  kernels::require_memory(exec, signed_trust_bytes(exec.kind(), g.n, g.nnz(), sources, o),
                          what + " (" + std::to_string(g.n) + " agents, " + std::to_string(g.nnz()) +
                              " ties; the result takes 8 B per agent per source)");
  if (exec.kind() == kernels::BackendKind::cuda)
    require_result_room(g.n, sources, static_cast<std::size_t>(8 * g.n * std::min(sources, o.batch)), what, "source");
}

}  // namespace

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                   const std::vector<std::int64_t>& sources, const SignedTrustOptions& o,
                                   const std::string& graph_name) {
  validate(o);
  for (std::int64_t s : sources)
    TRUSTPROP_ASSERT(s >= 0 && s < g.n, "source agent " + std::to_string(s) + " out of range");
  const bool distrust = o.mode != SignedMode::trust_only;
  if (distrust && std::none_of(g.data.begin(), g.data.end(), [](float w) { return w < 0.0f; }))
    throw DataError(graph_name + ": signed --mode " + to_string(o.mode) +
                    " needs distrust ties (negative weights) and the graph has none; import the ratings with "
                    "--signed, or use --mode trust-only");

  const auto total = static_cast<std::int64_t>(sources.size());
  require_signed_memory(*exec, g, total, o, graph_name);

  const auto t0 = std::chrono::steady_clock::now();
  const auto nonzero = [](float w) { return w != 0.0f; };
  const auto positive = [](float w) { return w > 0.0f; };
  // B = T − D (the nonzero entries of W) or T (its positive entries).
  HostCsr b_host = o.mode == SignedMode::propagated ? entries_where(g, nonzero) : entries_where(g, positive);
  HostCsr bt_host = transpose(b_host);
  const PlacedCsr b(exec, std::move(b_host)), bt(exec, std::move(bt_host));
  std::optional<PlacedCsr> wt;  // (T − D)ᵀ, one-step distrust only
  if (o.mode == SignedMode::one_step) wt.emplace(exec, transpose(entries_where(g, nonzero)));
  const kernels::SignedAlpha alpha{o.alpha[0], o.alpha[1], o.alpha[2], o.alpha[3]};

  const std::int64_t n = g.n;
  SignedTrustResult r;
  r.belief.assign(static_cast<std::size_t>(total * n), 0.0);
  const std::int64_t batch = std::min(total, o.batch);
  const auto block = static_cast<std::size_t>(n * batch);
  kernels::Array<double> x(exec, block), u(exec, block), v(exec, block), f;
  if (o.iteration == SignedIteration::weighted) f = kernels::Array<double>(exec, block);
  // A GPU's batch passes through the host; on the CPU, x and the result are host memory.
  const bool on_host = exec->kind() == kernels::BackendKind::cpu;
  std::vector<double> staging(on_host ? 0 : block);

  for (std::int64_t first = 0; first < total; first += batch) {
    const std::int64_t k = std::min(batch, total - first);
    const auto cells = static_cast<std::size_t>(n * k);
    // Y₀ = E_S, agent-major: x[a·k + s] = 1 where a is source s; F = 0.
    double* y0 = on_host ? x.data() : staging.data();
    std::fill(y0, y0 + cells, 0.0);
    if (f.size() > 0) exec->copy_from_host(f.data(), y0, cells * sizeof(double));
    for (std::int64_t s = 0; s < k; ++s) y0[static_cast<std::size_t>(sources[first + s] * k + s)] = 1.0;
    if (!on_host) exec->copy_from_host(x.data(), y0, cells * sizeof(double));

    const double* result = x.data();  // F: Z_K, or the weighted sum
    double weight = 1.0;
    kernels::dispatch(*exec, [&](const auto& e) {
      for (int j = 1; j <= o.steps; ++j) {
        signed_multiply(e, bt.view(), x.data(), k, u.data());  // YB
        signed_multiply(e, b.view(), x.data(), k, v.data());   // YBᵀ
        signed_combine(e, b.view(), bt.view(), u.data(), v.data(), k, alpha, x.data());
        signed_normalize(e, n, k, x.data());
        const bool need_z = o.iteration == SignedIteration::weighted || j == o.steps;
        const double* z = x.data();
        if (o.mode == SignedMode::one_step && need_z) {
          signed_multiply(e, wt->view(), x.data(), k, u.data());  // Y·(T − D)
          z = u.data();
        }
        if (o.iteration == SignedIteration::weighted) {
          weight *= o.gamma;
          signed_accumulate(e, n * k, weight, z, f.data());
        } else if (j == o.steps) {
          result = z;
        }
      }
    });
    if (o.iteration == SignedIteration::weighted) result = f.data();
    if (!on_host) {
      exec->copy_to_host(staging.data(), result, cells * sizeof(double));
      result = staging.data();
    }
    for (std::int64_t a = 0; a < n; ++a)
      for (std::int64_t s = 0; s < k; ++s)
        r.belief[static_cast<std::size_t>((first + s) * n + a)] = result[static_cast<std::size_t>(a * k + s)];
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                   const io::Graph& g, const std::vector<std::int64_t>& sources,
                                   const SignedTrustOptions& o, const std::string& graph_name) {
  const std::vector<std::int64_t> b = even_bounds(static_cast<std::int64_t>(sources.size()), comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::vector<std::int64_t> mine(sources.begin() + b[me], sources.begin() + b[me + 1]);
  SignedTrustResult local;
  // Every process's checks before any propagates: process 0 gathers the
  // whole block beside its own run.
  const auto own = static_cast<std::int64_t>(mine.size());
  collectively(comm, [&] {
    validate(o);
    if (comm.rank() == 0)
      require_result_room(g.n, static_cast<std::int64_t>(sources.size()),
                          own == 0 ? 0
                          : exec->kind() == kernels::BackendKind::cpu
                              ? signed_trust_bytes(exec->kind(), g.n, g.nnz(), own, o)
                              : static_cast<std::size_t>(8 * g.n * (own + std::min(own, o.batch))),
                          "signed trust for " + std::to_string(sources.size()) + " sources on " + graph_name, "source");
    if (own > 0) require_signed_memory(*exec, g, own, o, graph_name);
  });
  collectively(comm, [&] {
    if (!mine.empty()) local = run_signed_trust(exec, g, mine, o, graph_name);
  });
  SignedTrustResult r;
  if (comm.rank() == 0) r.belief.resize(sources.size() * static_cast<std::size_t>(g.n));
  if (g.n > 0) comm.gatherv(local.belief.data(), r.belief.data(), b, static_cast<std::size_t>(g.n) * sizeof(double));
  const std::vector<double> seconds = comm.allgather(local.seconds);
  r.seconds = *std::max_element(seconds.begin(), seconds.end());
  return r;
}

}  // namespace trustprop::host
