// The batched personalized-trust driver and seed-set parsing
// (host/personalized.hpp; kernels in kernels/personalized.hpp).
#include "host/personalized.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "host/pretrust.hpp"
#include "host/resident_graph.hpp"
#include "host/result_room.hpp"
#include "io/text_input.hpp"
#include "kernels/cpu/host_memory.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/memory_estimate.hpp"
#include "kernels/personalized.hpp"

namespace trustprop::host {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<std::int64_t> parse_id(const std::string& token) {
  std::int64_t id = 0;
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, id);
  if (token.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return id;
}

// The sets of a seed file as written: ids per set, and the line of each set.
struct SeedFile {
  std::vector<std::vector<std::int64_t>> sets;
  std::vector<std::int64_t> lines;
};

SeedFile parse_seed_file(const std::string& path) {
  io::TextInput in(path, 1u << 20);
  SeedFile f;
  std::string_view text;
  while (in.next_line(text)) {
    const std::int64_t lineno = in.line_number();
    const std::string line(text.substr(0, text.find('#')));
    std::vector<std::int64_t> ids;
    std::size_t pos = 0;
    while (true) {
      pos = line.find_first_not_of(" \t,", pos);
      if (pos == std::string::npos) break;
      const std::size_t end = std::min(line.find_first_of(" \t,", pos), line.size());
      const std::string token = line.substr(pos, end - pos);
      const auto id = parse_id(token);
      if (!id) throw DataError(path + ":" + std::to_string(lineno) + ": '" + token + "' is not an agent id");
      ids.push_back(*id);
      pos = end;
    }
    if (ids.empty()) continue;
    f.sets.push_back(std::move(ids));
    f.lines.push_back(lineno);
  }
  return f;
}

// The ids of `--seeds`, in order; UsageError for an empty or malformed one.
std::vector<std::int64_t> parse_seed_list(const std::string& list) {
  std::vector<std::int64_t> ids;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    std::string token = list.substr(pos, comma - pos);
    const auto first = token.find_first_not_of(" \t");
    token = first == std::string::npos ? std::string() : token.substr(first, token.find_last_not_of(" \t") - first + 1);
    const auto id = parse_id(token);
    if (!id) throw UsageError("--seeds " + list + ": '" + token + "' is not an agent id (give ids separated by commas, or institutions)");
    ids.push_back(*id);
    if (comma == list.size()) break;
    pos = comma + 1;
  }
  return ids;
}

SeedSets institution_seeds(const io::Graph& g, const std::string& graph_name) {
  SeedSets s;
  for (std::size_t i = 0; i < g.kind.size(); ++i) {
    if (g.kind[i] != static_cast<std::uint8_t>(io::AgentKind::institution)) continue;
    s.agents.push_back(static_cast<std::int64_t>(i));
    s.offsets.push_back(s.entries());
  }
  if (s.count() == 0)
    throw UsageError(graph_name + ": the graph has no institutions" + (g.kind.empty() ? " (no /agents/kind)" : "") +
                    " to make seed sets of (one set per institution is the default: give --seeds or --seeds-file)");
  s.description = "one set per institution";
  return s;
}

// Adds one set (agents in any order, repeats allowed) to `s`.
void add_set(SeedSets& s, std::vector<std::int64_t> agents) {
  std::sort(agents.begin(), agents.end());
  agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
  s.agents.insert(s.agents.end(), agents.begin(), agents.end());
  s.offsets.push_back(s.entries());
}

// Refuses, before anything is allocated, a batch the backend cannot hold.
void require_batch_memory(const kernels::Executor& exec, const io::Graph& g, const SeedSets& seeds,
                          const std::string& graph_name) {
  const std::int64_t k = seeds.count(), entries = seeds.entries();
  const std::size_t need = personalized_bytes(exec.kind(), g.n, g.nnz(), k, entries);
  const std::size_t available = exec.available_memory();
  if (exec.kind() == kernels::BackendKind::cuda && need <= available) require_result_room(g.n, k, 0, graph_name);
  if (need <= available) return;
  // The most seed sets (of the same mean size) that fit.
  std::int64_t fit = 0, hi = k;
  while (fit < hi) {
    const std::int64_t mid = fit + (hi - fit + 1) / 2;
    if (personalized_bytes(exec.kind(), g.n, g.nnz(), mid, entries * mid / k) <= available)
      fit = mid;
    else
      hi = mid - 1;
  }
  const std::string what = "personalized trust for " + std::to_string(k) + " seed sets on " + graph_name +
                           " (16 B per agent per seed set; " +
                           (fit > 0 ? "at most " + std::to_string(fit) + " seed sets fit: run them in rounds with --seed-batch " +
                                          std::to_string(fit) + " on one process without --run-dir"
                                    : "not even one seed set fits") +
                           ")";
  kernels::require_memory(exec, need, what);
}

}  // namespace

void require_result_room(std::int64_t n, std::int64_t k, std::size_t beside, const std::string& graph_name) {
  host::require_result_room(n, k, beside, "personalized trust for " + std::to_string(k) + " seed sets on " + graph_name,
                            "seed set");
}

SeedSets seeds_from_list(const io::Graph& g, const std::string& list, const std::string& graph_name) {
  if (list == "institutions") return institution_seeds(g, graph_name);
  const std::vector<std::int64_t> ids = parse_seed_list(list);
  const std::vector<std::int64_t> agents = agents_of_ids(g, ids);
  SeedSets s;
  for (std::size_t c = 0; c < ids.size(); ++c) {
    if (agents[c] < 0)
      throw UsageError("--seeds: agent id " + std::to_string(ids[c]) + " is not in the graph " + graph_name);
    add_set(s, {agents[c]});
  }
  s.description = "one set per id given with --seeds";
  return s;
}

SeedSets seeds_from_file(const io::Graph& g, const std::string& path) {
  const SeedFile f = parse_seed_file(path);
  if (f.sets.empty()) throw UsageError("--seeds-file " + path + ": the file lists no seed sets");
  std::vector<std::int64_t> ids;
  for (const auto& set : f.sets) ids.insert(ids.end(), set.begin(), set.end());
  const std::vector<std::int64_t> agents = agents_of_ids(g, ids);
  SeedSets s;
  std::size_t at = 0;
  for (std::size_t c = 0; c < f.sets.size(); ++c) {
    std::vector<std::int64_t> set;
    for (std::size_t i = 0; i < f.sets[c].size(); ++i, ++at) {
      if (agents[at] < 0)
        throw DataError(path + ":" + std::to_string(f.lines[c]) + ": agent id " + std::to_string(ids[at]) +
                        " is not in the graph");
      set.push_back(agents[at]);
    }
    add_set(s, std::move(set));
  }
  s.description = "one set per line of " + path;
  return s;
}

std::vector<std::int64_t> seed_set_sizes_of_list(const std::string& list) {
  return std::vector<std::int64_t>(parse_seed_list(list).size(), 1);
}

std::vector<std::int64_t> seed_set_sizes_of_file(const std::string& path) {
  std::vector<std::int64_t> sizes;
  for (const auto& set : parse_seed_file(path).sets) sizes.push_back(static_cast<std::int64_t>(set.size()));
  return sizes;
}

std::size_t personalized_bytes(kernels::BackendKind kind, std::int64_t n, std::int64_t nnz, std::int64_t k,
                               std::int64_t seed_entries) {
  const double agents = static_cast<double>(std::max<std::int64_t>(n, 0));
  const double entries = static_cast<double>(std::max<std::int64_t>(nnz, 0));
  const double columns = static_cast<double>(std::max<std::int64_t>(k, 0));
  const double seeds = static_cast<double>(std::max<std::int64_t>(seed_entries, 0));
  if (kind == kernels::BackendKind::cpu) {
    // Building Cᵀ: EigenTrust's host terms (kernels/memory_estimate.hpp).
    // Iterating: Cᵀ in CSR (8 B per entry, 8 per row), 1/d and the dangling
    // list, the seed matrix and bitmap, and T and T'.
    const double setup = 10.0 * entries + 80.0 * agents;
    const double iterate = 8.5 * entries + 24.0 * agents + 16.0 * seeds + 16.0 * agents * columns;
    return kernels::with_margin(kind, std::max(setup, iterate));
  }
  const double block = static_cast<double>(kernels::reduction_block);
  // Building Cᵀ: as EigenTrust (W, Cᵀ, the sort's second buffer, scratch).
  const double setup = 24.0 * entries + 32.0 * agents;
  // Iterating: Cᵀ (8 B per entry and per row), the dangling list (4 B per
  // agent), the seed bitmap, the seed matrix (16 B per seed), and per column
  // T and T' (16 B per agent) with the CUDA step's workspace: block partials
  // (8 B per reduction block of agents), chunk heads and tails (16 B per 4096
  // entries), m and ‖Δ‖₁, the active flag.
  const double per_column = 16.0 * agents + 8.0 * std::ceil(agents / block) + 16.0 * std::ceil(entries / 4096.0) + 17.0;
  const double iterate = 8.0 * entries + 12.0 * agents + agents / 8.0 + 16.0 * seeds + columns * per_column;
  return kernels::with_margin(kind, std::max(setup, iterate));
}

namespace {

// Cᵀ and the dangling list, built once for every round (kernels::build_transition).
kernels::Transition build_ct(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g) {
  // W lives on the backend only while Cᵀ is built (on the CPU: in place).
  const ResidentGraph w(exec, g);
  return kernels::dispatch(*exec, [&](const auto& e) { return build_transition(e, w.view()); });
}

// Iterates the seed sets on Cᵀ (the run's memory checked by the caller).
PersonalizedResult iterate(const std::shared_ptr<const kernels::Executor>& exec, const kernels::Transition& tr,
                           std::int64_t n, const SeedSets& seeds, const EigenTrustOptions& options,
                           const PersonalizedObserver& observe, PersonalizedResume* resume) {
  const std::int64_t k = seeds.count();
  const auto columns = static_cast<std::size_t>(k);
  PersonalizedResult r;
  r.n = n;
  r.k = k;
  const auto t0 = std::chrono::steady_clock::now();
  // P as (agent, column, 1/|S_c|) sorted by agent then column, and the bitmap of seeded agents.
  struct Seed {
    std::int32_t agent, column;
    double weight;
  };
  std::vector<Seed> p;
  p.reserve(static_cast<std::size_t>(seeds.entries()));
  for (std::int64_t c = 0; c < k; ++c) {
    const std::int64_t b = seeds.offsets[static_cast<std::size_t>(c)], e = seeds.offsets[static_cast<std::size_t>(c) + 1];
    TRUSTPROP_ASSERT(e > b, "seed set " + std::to_string(c) + " is empty");
    for (std::int64_t s = b; s < e; ++s) {
      const std::int64_t agent = seeds.agents[static_cast<std::size_t>(s)];
      TRUSTPROP_ASSERT(agent >= 0 && agent < n, "seed agent out of range");
      p.push_back({static_cast<std::int32_t>(agent), static_cast<std::int32_t>(c), 1.0 / static_cast<double>(e - b)});
    }
  }
  std::sort(p.begin(), p.end(),
            [](const Seed& a, const Seed& b) { return a.agent < b.agent || (a.agent == b.agent && a.column < b.column); });
  std::vector<std::int32_t> p_agent(p.size()), p_column(p.size());
  std::vector<double> p_weight(p.size());
  std::vector<std::uint32_t> seeded(static_cast<std::size_t>((n + 31) / 32), 0u);
  for (std::size_t s = 0; s < p.size(); ++s) {
    p_agent[s] = p[s].agent;
    p_column[s] = p[s].column;
    p_weight[s] = p[s].weight;
    seeded[static_cast<std::size_t>(p[s].agent / 32)] |= 1u << (p[s].agent % 32);
  }
  const auto d_agent = kernels::Array<std::int32_t>::from_host(exec, p_agent);
  const auto d_column = kernels::Array<std::int32_t>::from_host(exec, p_column);
  const auto d_weight = kernels::Array<double>::from_host(exec, p_weight);
  const auto d_seeded = kernels::Array<std::uint32_t>::from_host(exec, seeded);
  const kernels::SeedMatrixView pv{static_cast<std::int64_t>(p.size()), d_agent.data(), d_column.data(),
                                   d_weight.data(), d_seeded.data()};

  kernels::Array<double> t(exec, static_cast<std::size_t>(n) * columns);
  std::vector<std::uint8_t> active(columns, 1);
  Convergence& c = r.convergence;
  r.column_iterations.assign(columns, 0);
  r.column_residuals.assign(columns, 0.0);
  if (resume) {
    TRUSTPROP_ASSERT(resume->trust.size() == t.size() && resume->active.size() == columns &&
                         resume->column_iterations.size() == columns && resume->column_residuals.size() == columns,
                     "the personalized resume state does not match the graph and the seed sets");
    exec->copy_from_host(t.data(), resume->trust.data(), t.size() * sizeof(double));
    std::vector<double>().swap(resume->trust);
    active = resume->active;
    r.column_iterations = resume->column_iterations;
    r.column_residuals = resume->column_residuals;
    c = resume->convergence;
  } else {
    kernels::dispatch(*exec, [&](const auto& e) { personalized_start(e, n, k, pv, t.data()); });
  }
  kernels::Array<double> t_next(exec, t.size());  // after the resume's host copy is freed: no third block
  auto d_active = kernels::Array<std::uint8_t>::from_host(exec, active);
  exec->synchronize();
  r.setup_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  const kernels::CsrView ct = tr.ct.view();
  const auto n_dangling = static_cast<std::int64_t>(tr.dangling.size());
  std::int64_t remaining = std::count(active.begin(), active.end(), std::uint8_t{1});
  while (remaining > 0 && c.iterations < options.max_iterations) {
    const std::vector<double> change = kernels::dispatch(*exec, [&](const auto& e) {
      return personalized_step(e, ct, tr.dangling.data(), n_dangling, pv, k, d_active.data(), options.restart,
                               t.data(), t_next.data());
    });
    std::swap(t, t_next);
    ++c.iterations;
    double largest = 0.0;
    bool frozen = false;
    for (std::size_t col = 0; col < columns; ++col) {
      if (!active[col]) continue;
      const double res = change[col];
      if (!std::isfinite(res))
        throw InternalError("personalized trust: seed set " + std::to_string(col) + " produced a non-finite residual");
      r.column_iterations[col] = c.iterations;
      r.column_residuals[col] = res;
      largest = std::max(largest, res);
      if (res < options.tolerance) {
        active[col] = 0;
        --remaining;
        frozen = true;
      }
    }
    c.residuals.push_back(largest);
    if (frozen && remaining > 0) exec->copy_from_host(d_active.data(), active.data(), columns);
    if (observe) observe({t, active, r.column_iterations, r.column_residuals, c});
  }
  c.converged = remaining == 0;
  c.residual = *std::max_element(r.column_residuals.begin(), r.column_residuals.end());
  r.iterate_seconds = seconds_since(t1);

  // Free T' first: the [k, n] result then needs no more memory than the
  // iteration did. On the CPU, T is host memory and is read where it lies;
  // from a GPU it comes band by band of agents (a band of the agent-major T
  // is contiguous) through a staging buffer of at most 64 MiB and 4% of
  // the result, within the 5% the host checks allow beside it.
  t_next = kernels::Array<double>();
  r.trust.resize(static_cast<std::size_t>(n) * columns);
  const bool on_host = exec->kind() == kernels::BackendKind::cpu;
  const std::int64_t band =
      on_host ? n
              : std::max<std::int64_t>(1, std::min<std::int64_t>((std::int64_t{64} << 20) / (8 * static_cast<std::int64_t>(columns)), n / 25));
  std::vector<double> staging(on_host ? 0 : static_cast<std::size_t>(std::min(band, n)) * columns);
  for (std::int64_t b0 = 0; b0 < n; b0 += band) {
    const std::int64_t b1 = std::min(n, b0 + band);
    const double* agent_major = t.data() + static_cast<std::size_t>(b0) * columns;
    if (!on_host) {
      exec->copy_to_host(staging.data(), agent_major, static_cast<std::size_t>(b1 - b0) * columns * sizeof(double));
      agent_major = staging.data();
    }
    constexpr std::int64_t tile = 256;
#pragma omp parallel for schedule(static)
    for (std::int64_t j0 = b0; j0 < b1; j0 += tile) {
      const std::int64_t j1 = std::min(b1, j0 + tile);
      for (std::size_t col = 0; col < columns; ++col)
        for (std::int64_t j = j0; j < j1; ++j)
          r.trust[col * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)] =
              agent_major[static_cast<std::size_t>(j - b0) * columns + col];
    }
  }
  return r;
}

// Adds a round's record to the whole run's: at each iteration the largest
// residual over the seed sets iterated at it, as one batch of all of them.
void merge_round(PersonalizedResult& whole, const PersonalizedResult& round) {
  Convergence& c = whole.convergence;
  const Convergence& rc = round.convergence;
  if (c.residuals.size() < rc.residuals.size()) c.residuals.resize(rc.residuals.size(), 0.0);
  for (std::size_t i = 0; i < rc.residuals.size(); ++i) c.residuals[i] = std::max(c.residuals[i], rc.residuals[i]);
  c.iterations = std::max(c.iterations, rc.iterations);
  c.converged = (whole.k == 0 || c.converged) && rc.converged;
  c.residual = whole.k == 0 ? rc.residual : std::max(c.residual, rc.residual);
  whole.k += round.k;
  whole.column_iterations.insert(whole.column_iterations.end(), round.column_iterations.begin(),
                                 round.column_iterations.end());
  whole.column_residuals.insert(whole.column_residuals.end(), round.column_residuals.begin(),
                                round.column_residuals.end());
  whole.iterate_seconds += round.iterate_seconds;
}

void check_seed_sets(const SeedSets& seeds) {
  TRUSTPROP_ASSERT(seeds.count() >= 1, "personalized trust needs at least one seed set");
  TRUSTPROP_ASSERT(seeds.offsets.back() == seeds.entries(), "seed set offsets do not match the seeds");
}

}  // namespace

PersonalizedResult run_personalized(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                    const SeedSets& seeds, const EigenTrustOptions& options,
                                    const std::string& graph_name, const PersonalizedObserver& observe,
                                    PersonalizedResume* resume) {
  validate(options);
  check_seed_sets(seeds);
  require_batch_memory(*exec, g, seeds, graph_name);
  const auto t0 = std::chrono::steady_clock::now();
  const kernels::Transition tr = build_ct(exec, g);
  const double build_seconds = seconds_since(t0);
  PersonalizedResult r = iterate(exec, tr, g.n, seeds, options, observe, resume);
  r.setup_seconds += build_seconds;
  return r;
}

std::int64_t personalized_round_size(kernels::BackendKind kind, std::size_t available, std::int64_t n, std::int64_t nnz,
                                     std::int64_t k, std::int64_t entries) {
  const bool gpu = kind == kernels::BackendKind::cuda;
  // A GPU round's [k, n] result is held on the host: 8 B per agent per set,
  // plus 5% (the staging of its copy from the device, host/personalized.cpp).
  const std::size_t host = gpu ? kernels::cpu::host_memory_available() : 0;
  const auto fits = [&](std::int64_t sets) {
    return personalized_bytes(kind, n, nnz, sets, entries) <= available &&
           (!gpu || 8.0 * 1.05 * static_cast<double>(n) * static_cast<double>(sets) <= static_cast<double>(host));
  };
  if (fits(k)) return k;
  std::int64_t fit = 0, hi = k;
  while (fit < hi) {
    const std::int64_t mid = fit + (hi - fit + 1) / 2;
    if (fits(mid))
      fit = mid;
    else
      hi = mid - 1;
  }
  return fit;
}

PersonalizedResult run_personalized_rounds(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g,
                                           const SeedSets& seeds, const EigenTrustOptions& options,
                                           std::int64_t round_size, const std::string& graph_name,
                                           const PersonalizedRoundSink& sink) {
  validate(options);
  check_seed_sets(seeds);
  const std::int64_t k = seeds.count();
  if (round_size < 1)
    round_size = personalized_round_size(exec->kind(), exec->available_memory(), g.n, g.nnz(), k, seeds.entries());
  // Every round's check before Cᵀ is built (none fitting: the whole run's
  // message, which says so).
  if (round_size < 1) require_batch_memory(*exec, g, seeds, graph_name);
  round_size = std::min(round_size, k);
  for (std::int64_t first = 0; first < k; first += round_size)
    require_batch_memory(*exec, g, slice(seeds, first, std::min(k, first + round_size)), graph_name);

  const auto t0 = std::chrono::steady_clock::now();
  const kernels::Transition tr = build_ct(exec, g);
  PersonalizedResult whole;
  whole.n = g.n;
  whole.setup_seconds = seconds_since(t0);
  for (std::int64_t first = 0; first < k; first += round_size) {
    const std::int64_t last = std::min(k, first + round_size);
    const PersonalizedResult round = iterate(exec, tr, g.n, slice(seeds, first, last), options, {}, nullptr);
    if (round_size < k)
      spdlog::info("personalized trust: seed sets {}..{} of {} in {} iterations, {:.3f} s", first, last - 1, k,
                   round.convergence.iterations, round.setup_seconds + round.iterate_seconds);
    whole.setup_seconds += round.setup_seconds;
    merge_round(whole, round);
    sink(first, round);
  }
  return whole;
}

}  // namespace trustprop::host
