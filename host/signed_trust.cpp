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

#include <fmt/format.h>

#include "common/error.hpp"
#include "host/partition.hpp"
#include "host/resident_graph.hpp"
#include "host/result_room.hpp"
#include "kernels/cpu/host_memory.hpp"
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
  // Every weighted term is a unit row times γʲ: past 1e300 the sum is no longer a float64.
  if (o.iteration == SignedIteration::weighted && static_cast<double>(o.steps) * std::log10(o.gamma) > 300.0)
    throw ConfigError("--gamma = " + fmt::format("{:g}", o.gamma) + " with --steps = " + std::to_string(o.steps) +
                      ": gamma^steps = 1e" + fmt::format("{:.0f}", static_cast<double>(o.steps) * std::log10(o.gamma)) +
                      " is past float64's range (the weighted sum would be infinite); choose gamma^steps <= 1e300");
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
  return kernels::with_margin(kind, backend + 8.0 * agents * batch);  // and the batch's belief rows
}

namespace {

// The weights times the power of two that brings the largest into
// [0.5, 1). Every row is normalised after each step, so a common positive
// factor changes nothing, and a power of two not even a bit; without it,
// weights near float64's limits (4e307, or 4e-324) overflow or vanish in
// C's products, and the beliefs come out NaN or zero.
kernels::SignedAlpha scaled_alpha(const std::array<double, 4>& a) {
  int exponent = 0;
  std::frexp(*std::max_element(a.begin(), a.end()), &exponent);
  return {std::ldexp(a[0], -exponent), std::ldexp(a[1], -exponent), std::ldexp(a[2], -exponent),
          std::ldexp(a[3], -exponent)};
}

// Refuses a GPU batch whose host staging (the agent-major block from the
// device and its belief rows, 16 B per agent per source) the host cannot
// take beside `beside` bytes.
void require_host_staging(std::int64_t n, std::int64_t batch, std::size_t beside, const std::string& what) {
  const double staging = 16.0 * 1.05 * static_cast<double>(n) * static_cast<double>(batch);
  const std::size_t need = static_cast<std::size_t>(staging) + beside, available = kernels::cpu::host_memory_available();
  if (need <= available) return;
  throw InternalError(what + " needs " + kernels::size_text(static_cast<double>(need)) +
                      " of host memory (a batch of " + std::to_string(batch) +
                      " sources staged from the device, 16 B per agent per source" +
                      (beside > 0 ? ", beside " + kernels::size_text(static_cast<double>(beside)) : std::string()) +
                      "), " + kernels::size_text(static_cast<double>(available)) +
                      " available; give a smaller --source-batch");
}

std::string signed_what(std::int64_t sources, const std::string& graph_name) {
  return "signed trust for " + std::to_string(sources) + " sources on " + graph_name;
}

// Refuses, before anything is allocated, a run of `sources` sources that
// the backend (and, on a GPU, the host for a batch's staging) cannot hold.
void require_signed_memory(const kernels::Executor& exec, const io::Graph& g, std::int64_t sources,
                           const SignedTrustOptions& o, const std::string& graph_name) {
  const std::string what = signed_what(sources, graph_name);
  kernels::require_memory(exec, signed_trust_bytes(exec.kind(), g.n, g.nnz(), sources, o),
                          what + " (" + std::to_string(g.n) + " agents, " + std::to_string(g.nnz()) +
                              " ties; a batch takes 8 B per agent per source in each of its blocks)");
  if (exec.kind() == kernels::BackendKind::cuda) require_host_staging(g.n, std::min(sources, o.batch), 0, what);
}

// The checks every run makes first: options, sources in range, and
// distrust ties where the mode needs them.
void check_signed_input(const io::Graph& g, const std::vector<std::int64_t>& sources, const SignedTrustOptions& o,
                        const std::string& graph_name) {
  validate(o);
  for (std::int64_t s : sources)
    TRUSTPROP_ASSERT(s >= 0 && s < g.n, "source agent " + std::to_string(s) + " out of range");
  const bool distrust = o.mode != SignedMode::trust_only;
  if (distrust && std::none_of(g.data.begin(), g.data.end(), [](float w) { return w < 0.0f; }))
    throw DataError(graph_name + ": signed --mode " + to_string(o.mode) +
                    " needs distrust ties (negative weights) and the graph has none; import the ratings with "
                    "--signed, or use --mode trust-only");
  // One-step terms are unit rows times T − D, not normalised: each belief of
  // term j is at most γʲ·max|w|, which validate()'s bound on γᴷ leaves out.
  if (o.mode == SignedMode::one_step && o.iteration == SignedIteration::weighted) {
    double largest = 0.0;
    for (const float w : g.data) largest = std::max(largest, std::abs(static_cast<double>(w)));
    const double exponent = std::max(0.0, static_cast<double>(o.steps) * std::log10(o.gamma)) + std::log10(largest);
    if (largest > 0.0 && exponent > 300.0)
      throw ConfigError(fmt::format(
          "{}: --mode one-step --iteration weighted with --gamma = {:g} and --steps = {}: the graph's largest |weight| "
          "{:g} times gamma^steps is 1e{:.0f}, past float64's range (the beliefs would be infinite); choose "
          "gamma^steps * |weight| <= 1e300, or scale the weights",
          graph_name, o.gamma, o.steps, largest, exponent));
  }
}

// The operands B, Bᵀ (and, one-step distrust, (T − D)ᵀ) on the backend and
// the blocks of a batch of up to `batch` sources: the belief rows of any
// batch, one after another.
class SignedBatches {
 public:
  SignedBatches(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g, const SignedTrustOptions& o,
                std::int64_t batch)
      : exec_(exec), o_(o), n_(g.n), on_host_(exec->kind() == kernels::BackendKind::cpu) {
    const auto nonzero = [](float w) { return w != 0.0f; };
    const auto positive = [](float w) { return w > 0.0f; };
    // B = T − D (the nonzero entries of W) or T (its positive entries).
    HostCsr b_host = o.mode == SignedMode::propagated ? entries_where(g, nonzero) : entries_where(g, positive);
    HostCsr bt_host = transpose(b_host);
    b_.emplace(exec, std::move(b_host));
    bt_.emplace(exec, std::move(bt_host));
    if (o.mode == SignedMode::one_step) wt_.emplace(exec, transpose(entries_where(g, nonzero)));
    const auto block = static_cast<std::size_t>(n_ * batch);
    x_ = kernels::Array<double>(exec, block);
    u_ = kernels::Array<double>(exec, block);
    v_ = kernels::Array<double>(exec, block);
    if (o.iteration == SignedIteration::weighted) f_ = kernels::Array<double>(exec, block);
    // A GPU's batch passes through the host; on the CPU, x is host memory.
    if (!on_host_) staging_.resize(block);
  }

  // Belief rows of the k sources at `sources` into rows[s·n + a].
  void compute(const std::int64_t* sources, std::int64_t k, double* rows) {
    const std::int64_t n = n_;
    const auto cells = static_cast<std::size_t>(n * k);
    // Y₀ = E_S, agent-major: x[a·k + s] = 1 where a is source s; F = 0.
    double* y0 = on_host_ ? x_.data() : staging_.data();
    std::fill(y0, y0 + cells, 0.0);
    if (f_.size() > 0) exec_->copy_from_host(f_.data(), y0, cells * sizeof(double));
    for (std::int64_t s = 0; s < k; ++s) y0[static_cast<std::size_t>(sources[s] * k + s)] = 1.0;
    if (!on_host_) exec_->copy_from_host(x_.data(), y0, cells * sizeof(double));

    const SignedTrustOptions& o = o_;
    const kernels::SignedAlpha alpha = scaled_alpha(o.alpha);
    const double* result = x_.data();  // F: Z_K, or the weighted sum
    double weight = 1.0;
    kernels::dispatch(*exec_, [&](const auto& e) {
      for (int j = 1; j <= o.steps; ++j) {
        signed_multiply(e, bt_->view(), x_.data(), k, u_.data());  // YB
        signed_multiply(e, b_->view(), x_.data(), k, v_.data());   // YBᵀ
        signed_combine(e, b_->view(), bt_->view(), u_.data(), v_.data(), k, alpha, x_.data());
        signed_normalize(e, n, k, x_.data());
        const bool need_z = o.iteration == SignedIteration::weighted || j == o.steps;
        const double* z = x_.data();
        if (o.mode == SignedMode::one_step && need_z) {
          signed_multiply(e, wt_->view(), x_.data(), k, u_.data());  // Y·(T − D)
          z = u_.data();
        }
        if (o.iteration == SignedIteration::weighted) {
          weight *= o.gamma;
          signed_accumulate(e, n * k, weight, z, f_.data());
        } else if (j == o.steps) {
          result = z;
        }
      }
    });
    if (o.iteration == SignedIteration::weighted) result = f_.data();
    if (!on_host_) {
      exec_->copy_to_host(staging_.data(), result, cells * sizeof(double));
      result = staging_.data();
    }
    constexpr std::int64_t tile = 256;  // agents at a time: both sides stay in cache
    for (std::int64_t a0 = 0; a0 < n; a0 += tile)
      for (std::int64_t s = 0; s < k; ++s)
        for (std::int64_t a = a0; a < std::min(n, a0 + tile); ++a)
          rows[static_cast<std::size_t>(s * n + a)] = result[static_cast<std::size_t>(a * k + s)];
  }

 private:
  std::shared_ptr<const kernels::Executor> exec_;
  SignedTrustOptions o_;
  std::int64_t n_;
  bool on_host_;
  std::optional<PlacedCsr> b_, bt_, wt_;
  kernels::Array<double> x_, u_, v_, f_;
  std::vector<double> staging_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                   const std::vector<std::int64_t>& sources, const SignedTrustOptions& o,
                                   const std::string& graph_name, const SignedRowSink& sink) {
  check_signed_input(g, sources, o, graph_name);
  const auto total = static_cast<std::int64_t>(sources.size());
  require_signed_memory(*exec, g, total, o, graph_name);
  SignedTrustResult r;
  if (total == 0) return r;
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t batch = std::min(total, o.batch);
  SignedBatches batches(exec, g, o, batch);
  std::vector<double> rows(static_cast<std::size_t>(g.n * batch));
  for (std::int64_t first = 0; first < total; first += batch) {
    const std::int64_t k = std::min(batch, total - first);
    batches.compute(sources.data() + first, k, rows.data());
    sink(first, k, rows.data());
  }
  r.seconds = seconds_since(t0);
  return r;
}

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                   const std::vector<std::int64_t>& sources, const SignedTrustOptions& o,
                                   const std::string& graph_name) {
  const auto total = static_cast<std::int64_t>(sources.size());
  validate(o);
  // The whole block, beside the run (on a GPU: beside its host staging).
  const std::int64_t batch = std::min(total, o.batch);
  require_result_room(g.n, total,
                      exec->kind() == kernels::BackendKind::cpu
                          ? signed_trust_bytes(exec->kind(), g.n, g.nnz(), total, o)
                          : static_cast<std::size_t>(16 * g.n * batch),
                      signed_what(total, graph_name), "source");
  SignedTrustResult r;
  const SignedTrustResult run = run_signed_trust(exec, g, sources, o, graph_name,
                                                 [&](std::int64_t first, std::int64_t k, const double* rows) {
                                                   if (r.belief.empty()) r.belief.resize(static_cast<std::size_t>(total * g.n));
                                                   std::copy(rows, rows + k * g.n, r.belief.begin() + first * g.n);
                                                 });
  r.seconds = run.seconds;
  return r;
}

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                   const io::Graph& g, const std::vector<std::int64_t>& sources,
                                   const SignedTrustOptions& o, const std::string& graph_name,
                                   const SignedRowSink& sink) {
  const int processes = comm.size();
  const std::vector<std::int64_t> b = even_bounds(static_cast<std::int64_t>(sources.size()), processes);
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::int64_t own = b[me + 1] - b[me];
  std::int64_t widest = 0;  // the largest share
  for (int p = 0; p < processes; ++p) widest = std::max(widest, b[static_cast<std::size_t>(p) + 1] - b[static_cast<std::size_t>(p)]);
  const std::int64_t batch = std::max<std::int64_t>(1, std::min(widest, o.batch));
  // Process 0 receives each other process's batch in its own rows buffer
  // (a share smaller than a batch: in one of that size).
  const std::int64_t held = comm.rank() == 0 ? batch : std::min(own, o.batch);
  std::optional<SignedBatches> batches;
  std::vector<double> rows;
  // Every process's checks before any propagates.
  collectively(comm, [&] {
    check_signed_input(g, sources, o, graph_name);
    if (own > 0) require_signed_memory(*exec, g, own, o, graph_name);
    if (comm.rank() == 0 && held > std::min(own, o.batch))
      require_result_room(g.n, held, own > 0 ? signed_trust_bytes(exec->kind(), g.n, g.nnz(), own, o) : 0,
                          signed_what(static_cast<std::int64_t>(sources.size()), graph_name) + ", receiving " +
                              std::to_string(held) + " sources' rows at a time on process 0",
                          "source");
  });
  const auto t0 = std::chrono::steady_clock::now();
  collectively(comm, [&] {
    if (own > 0) batches.emplace(exec, g, o, std::min(own, o.batch));
    rows.resize(static_cast<std::size_t>(g.n * held));
  });
  const auto rows_of = [&](int p, std::int64_t first) {
    return std::clamp(b[static_cast<std::size_t>(p) + 1] - b[static_cast<std::size_t>(p)] - first, std::int64_t{0}, batch);
  };
  // Round j: every process computes its j-th batch; process 0 writes its
  // own, then receives and writes each other process's in turn.
  for (std::int64_t first = 0; first < widest; first += batch) {
    collectively(comm, [&] {
      const std::int64_t k = rows_of(comm.rank(), first);
      if (k > 0) batches->compute(sources.data() + b[me] + first, k, rows.data());
      if (comm.rank() == 0 && k > 0) sink(b[0] + first, k, rows.data());
    });
    for (int p = 1; p < processes; ++p) {
      const std::int64_t k = rows_of(p, first);
      if (k == 0 || g.n == 0) continue;
      std::vector<std::int64_t> bounds(static_cast<std::size_t>(processes) + 1, 0);
      for (int q = p + 1; q <= processes; ++q) bounds[static_cast<std::size_t>(q)] = k;
      comm.gatherv(comm.rank() == p ? rows.data() : nullptr, rows.data(), bounds, static_cast<std::size_t>(g.n) * sizeof(double));
      collectively(comm, [&] {
        if (comm.rank() == 0) sink(b[static_cast<std::size_t>(p)] + first, k, rows.data());
      });
    }
  }
  SignedTrustResult r;
  const std::vector<double> seconds = comm.allgather(seconds_since(t0));
  r.seconds = *std::max_element(seconds.begin(), seconds.end());
  return r;
}

SignedTrustResult run_signed_trust(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                   const io::Graph& g, const std::vector<std::int64_t>& sources,
                                   const SignedTrustOptions& o, const std::string& graph_name) {
  const auto total = static_cast<std::int64_t>(sources.size());
  SignedTrustResult r;
  collectively(comm, [&] {
    if (comm.rank() == 0) {
      require_result_room(g.n, total, 0, signed_what(total, graph_name), "source");
      r.belief.resize(static_cast<std::size_t>(total * g.n));
    }
  });
  r.seconds = run_signed_trust(exec, comm, g, sources, o, graph_name,
                               [&](std::int64_t first, std::int64_t k, const double* rows) {
                                 std::copy(rows, rows + k * g.n, r.belief.begin() + first * g.n);
                               })
                  .seconds;
  return r;
}

}  // namespace trustprop::host
