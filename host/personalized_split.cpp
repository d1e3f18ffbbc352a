// Batched personalized trust across the processes of an MPI launch, split
// by seed sets (host/personalized.hpp, docs/distributed.md). Each process
// holds the whole graph and iterates its own columns of the [k, n] block;
// the columns never meet, so without checkpoints the only communication is
// the gather at the end. This suits the model's memory: the block (16 B per
// agent per seed set while iterating) outgrows Cᵀ (8 B per tie) from a few
// dozen seed sets on, and a split by seed sets divides the block where a
// split by rows would divide only Cᵀ and leave every process the whole block
// to gather from.
//
// With an observer (checkpoints) the processes meet once per iteration of
// the whole run: a process whose columns have all stopped keeps offering
// its last state until the last process's columns stop, so that a
// checkpoint after iteration i holds every column as one process has it
// after iteration i (a stopped column is carried over unchanged). The block
// moves between processes in stripes of agents, agent-major as in the
// checkpoint file, so no process holds more than the whole block once.
#include <algorithm>
#include <exception>
#include <numeric>
#include <optional>

#include "host/partition.hpp"
#include "host/personalized.hpp"

namespace trustprop::host {

namespace {

// Agents per stripe when the block moves between processes: 64 MiB of the whole block.
std::int64_t stripe_agents(std::int64_t k) {
  return std::max<std::int64_t>(1, (std::int64_t{8} << 20) / std::max<std::int64_t>(k, 1));
}

// Writes rows [first, last) of this process's n × own agent-major block to dst.
using OwnRows = std::function<void(std::int64_t first, std::int64_t last, double* dst)>;

// Process 0: the residual history of the whole run, at each iteration the
// largest of the processes' own histories there (the largest residual of
// the seed sets still iterating); the others: empty. Collective.
std::vector<double> merged_residuals(const Communicator& comm, const std::vector<double>& own) {
  const int processes = comm.size();
  std::vector<std::int64_t> each(static_cast<std::size_t>(processes)), lengths(each.size(), 0);
  std::iota(each.begin(), each.end(), 0);
  each.push_back(processes);
  lengths[static_cast<std::size_t>(comm.rank())] = static_cast<std::int64_t>(own.size());
  comm.allgatherv(lengths, each);
  std::vector<std::int64_t> at{0};
  for (const std::int64_t length : lengths) at.push_back(at.back() + length);
  const std::vector<double> histories = comm.gatherv(own, at);
  if (comm.rank() != 0) return {};
  std::vector<double> merged(static_cast<std::size_t>(*std::max_element(lengths.begin(), lengths.end())), 0.0);
  for (int p = 0; p < processes; ++p)
    for (std::int64_t i = 0; i < lengths[static_cast<std::size_t>(p)]; ++i) {
      double& largest = merged[static_cast<std::size_t>(i)];
      largest = std::max(largest, histories[static_cast<std::size_t>(at[static_cast<std::size_t>(p)] + i)]);
    }
  return merged;
}

// Process 0: the state of the whole run after `iterations`, from every
// process's own columns (sets: their bounds), as one process holds it; the
// others: empty. Collective.
PersonalizedResume gather_state(const Communicator& comm, const std::vector<std::int64_t>& sets, std::int64_t n,
                                std::int64_t iterations, const OwnRows& rows, const std::vector<std::uint8_t>& active,
                                const std::vector<std::int64_t>& column_iterations,
                                const std::vector<double>& column_residuals, const std::vector<double>& residuals) {
  const std::int64_t k = sets.back();
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::int64_t own = sets[me + 1] - sets[me];
  PersonalizedResume whole;
  whole.active = comm.gatherv(active, sets);
  whole.column_iterations = comm.gatherv(column_iterations, sets);
  whole.column_residuals = comm.gatherv(column_residuals, sets);
  whole.convergence.residuals = merged_residuals(comm, residuals);
  whole.convergence.iterations = static_cast<int>(iterations);
  if (comm.rank() == 0) whole.trust.resize(static_cast<std::size_t>(n * k));
  const std::int64_t stripe = stripe_agents(k);
  std::vector<double> mine, got;
  for (std::int64_t a = 0; a < n; a += stripe) {
    const std::int64_t b = std::min(n, a + stripe), agents = b - a;
    mine.resize(static_cast<std::size_t>(agents * own));
    if (own > 0) rows(a, b, mine.data());
    std::vector<std::int64_t> bounds(sets);  // process p sends its columns of these agents
    for (auto& bound : bounds) bound *= agents;
    got = comm.gatherv(mine, bounds);
    if (comm.rank() != 0) continue;
    for (std::size_t p = 0; p + 1 < sets.size(); ++p) {
      const std::int64_t first = sets[p], width = sets[p + 1] - sets[p];
      const double* from = got.data() + bounds[p];
#pragma omp parallel for schedule(static)
      for (std::int64_t j = 0; j < agents; ++j)
        std::copy_n(from + j * width, width, whole.trust.data() + (a + j) * k + first);
    }
  }
  return whole;
}

// Every process: its own columns of process 0's `whole` state (whose block
// is released as it goes). Collective.
PersonalizedResume share_state(const Communicator& comm, const std::vector<std::int64_t>& sets, std::int64_t n,
                               PersonalizedResume* whole) {
  const std::int64_t k = sets.back();
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::int64_t first = sets[me], own = sets[me + 1] - first;
  PersonalizedResume all;
  if (comm.rank() == 0) {
    all.active = whole->active;
    all.column_iterations = whole->column_iterations;
    all.column_residuals = whole->column_residuals;
    all.convergence = whole->convergence;
  }
  comm.broadcast(all.active);
  comm.broadcast(all.column_iterations);
  comm.broadcast(all.column_residuals);
  comm.broadcast(all.convergence.residuals);
  comm.broadcast(&all.convergence.iterations, sizeof all.convergence.iterations);

  PersonalizedResume mine;
  const auto own_of = [&](const auto& v) { return std::vector(v.begin() + first, v.begin() + first + own); };
  mine.active = own_of(all.active);
  mine.column_iterations = own_of(all.column_iterations);
  mine.column_residuals = own_of(all.column_residuals);
  mine.convergence = all.convergence;
  mine.trust.resize(static_cast<std::size_t>(n * own));
  const std::int64_t stripe = stripe_agents(k);
  std::vector<double> buffer;
  for (std::int64_t a = 0; a < n; a += stripe) {
    const std::int64_t b = std::min(n, a + stripe), agents = b - a;
    if (comm.rank() != 0) buffer.resize(static_cast<std::size_t>(agents * k));
    double* rows = comm.rank() == 0 ? whole->trust.data() + a * k : buffer.data();
    comm.broadcast(rows, agents * k * static_cast<std::int64_t>(sizeof(double)));
    for (std::int64_t j = 0; j < agents; ++j) std::copy_n(rows + j * k + first, own, mine.trust.data() + (a + j) * own);
  }
  if (comm.rank() == 0) std::vector<double>().swap(whole->trust);
  return mine;
}

}  // namespace

SeedSets slice(const SeedSets& seeds, std::int64_t first, std::int64_t last) {
  TRUSTPROP_ASSERT(0 <= first && first <= last && last <= seeds.count(), "slice: seed sets out of range");
  SeedSets s;
  const std::int64_t base = seeds.offsets[static_cast<std::size_t>(first)];
  s.offsets.clear();
  for (std::int64_t c = first; c <= last; ++c) s.offsets.push_back(seeds.offsets[static_cast<std::size_t>(c)] - base);
  s.agents.assign(seeds.agents.begin() + base, seeds.agents.begin() + seeds.offsets[static_cast<std::size_t>(last)]);
  s.description = seeds.description;
  return s;
}

PersonalizedResult run_personalized(const std::shared_ptr<const kernels::Executor>& exec, const Communicator& comm,
                                    const io::Graph& g, const SeedSets& seeds, const EigenTrustOptions& options,
                                    const std::string& graph_name, const SplitObserver& observe,
                                    PersonalizedResume* resume, const PersonalizedRoundSink& sink) {
  const std::int64_t k = seeds.count(), n = g.n;
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::vector<std::int64_t> sets = even_bounds(k, comm.size());
  const SeedSets mine = slice(seeds, sets[me], sets[me + 1]);
  const std::int64_t own = mine.count();
  std::int64_t widest = 0;  // the most seed sets a process has
  for (std::size_t p = 0; p + 1 < sets.size(); ++p) widest = std::max(widest, sets[p + 1] - sets[p]);
  collectively(comm, [&] {  // before a process without seed sets waits for the others
    validate(options);
    // Process 0 receives the result one process's columns at a time (for
    // checkpoints, or without a sink, the whole block) beside its own run.
    if (comm.rank() == 0)
      require_result_room(n, observe || !sink ? k : widest,
                          own == 0 ? 0
                          : exec->kind() == kernels::BackendKind::cpu
                              ? personalized_bytes(exec->kind(), n, g.nnz(), own, mine.entries())
                              : static_cast<std::size_t>(8 * n * own),
                          graph_name);
  });
  std::optional<PersonalizedResume> own_resume;
  if (comm.max(resume ? 1 : 0) == 1) own_resume = share_state(comm, sets, n, resume);

  // The rounds: one per iteration of the whole run, while any process iterates.
  const std::int64_t start = own_resume ? own_resume->convergence.iterations : 0;
  const bool iterates =
      own > 0 && start < options.max_iterations &&
      (!own_resume || std::count(own_resume->active.begin(), own_resume->active.end(), std::uint8_t{1}) > 0);
  std::int64_t iteration = start;
  bool last = !(observe && comm.max(iterates ? 1 : 0) == 1);
  std::exception_ptr failure;  // this process's error, shared with the others at the next round
  const auto round = [&](std::int64_t iterations, bool done_here, const OwnRows& rows,
                         const std::vector<std::uint8_t>& active, const std::vector<std::int64_t>& column_iterations,
                         const std::vector<double>& column_residuals, const std::vector<double>& residuals) {
    collectively(comm, [&] {
      if (failure) std::rethrow_exception(failure);
    });
    last = comm.all(done_here);
    iteration = iterations;
    // The iteration's residual: the largest over the processes that iterated at it.
    double residual = 0.0;
    for (const double r : comm.allgather(static_cast<std::int64_t>(residuals.size()) >= iterations && iterations > 0
                                             ? residuals[static_cast<std::size_t>(iterations - 1)]
                                             : 0.0))
      residual = std::max(residual, r);
    observe(iterations, residual, last, [&] {
      return gather_state(comm, sets, n, iterations, rows, active, column_iterations, column_residuals, residuals);
    });
  };

  PersonalizedObserver own_observe;
  if (!last)
    own_observe = [&](const PersonalizedState& s) {
      const bool done_here = std::count(s.active.begin(), s.active.end(), std::uint8_t{1}) == 0 ||
                             s.convergence.iterations >= options.max_iterations;
      const OwnRows rows = [&](std::int64_t a, std::int64_t b, double* dst) {
        s.trust.executor()->copy_to_host(dst, s.trust.data() + a * own, static_cast<std::size_t>((b - a) * own) * sizeof(double));
      };
      round(s.convergence.iterations, done_here, rows, s.active, s.column_iterations, s.column_residuals,
            s.convergence.residuals);
    };
  PersonalizedResult local;
  try {
    if (own > 0) local = run_personalized(exec, g, mine, options, graph_name, own_observe, own_resume ? &*own_resume : nullptr);
  } catch (const CollectiveError&) {
    throw;  // every process is throwing it already
  } catch (const Error&) {
    failure = std::current_exception();
  }
  // This process's columns have all stopped: it offers their last state until the others' have.
  const std::vector<std::uint8_t> stopped(static_cast<std::size_t>(own), 0);
  const OwnRows final_rows = [&](std::int64_t a, std::int64_t b, double* dst) {
    for (std::int64_t j = a; j < b; ++j)
      for (std::int64_t c = 0; c < own; ++c) dst[(j - a) * own + c] = local.trust[static_cast<std::size_t>(c * n + j)];
  };
  while (!last)
    round(iteration + 1, true, final_rows, stopped, local.column_iterations, local.column_residuals,
          local.convergence.residuals);
  collectively(comm, [&] {
    if (failure) std::rethrow_exception(failure);
  });

  // Process 0 assembles what one process would have computed, the columns
  // handed to `sink` one process's at a time (or put in r.trust).
  PersonalizedResult r;
  r.n = n;
  r.k = k;
  const PersonalizedRoundSink whole = [&](std::int64_t first, const PersonalizedResult& part) {
    if (r.trust.empty()) r.trust.resize(static_cast<std::size_t>(k * n));
    std::copy(part.trust.begin(), part.trust.end(), r.trust.begin() + first * n);
  };
  const PersonalizedRoundSink& deliver = sink ? sink : whole;
  PersonalizedResult part;  // process 0: another process's columns
  part.n = n;
  for (int p = 0; p < comm.size(); ++p) {
    const std::int64_t first = sets[static_cast<std::size_t>(p)], count = sets[static_cast<std::size_t>(p) + 1] - first;
    if (count == 0) continue;
    if (p > 0 && n > 0) {
      std::vector<std::int64_t> bounds(static_cast<std::size_t>(comm.size()) + 1, 0);
      for (int q = p + 1; q <= comm.size(); ++q) bounds[static_cast<std::size_t>(q)] = count;
      part.k = count;
      if (comm.rank() == 0) part.trust.resize(static_cast<std::size_t>(count * n));
      comm.gatherv(comm.rank() == p ? local.trust.data() : nullptr, part.trust.data(), bounds,
                   static_cast<std::size_t>(n) * sizeof(double));
    }
    collectively(comm, [&] {
      if (comm.rank() == 0) deliver(first, p == 0 ? local : part);
    });
  }
  part = PersonalizedResult();
  r.column_iterations = comm.gatherv(local.column_iterations, sets);
  r.column_residuals = comm.gatherv(local.column_residuals, sets);
  const std::vector<double> residuals = merged_residuals(comm, local.convergence.residuals);
  const bool converged = comm.all(own == 0 || local.convergence.converged);
  const std::vector<double> setup = comm.allgather(local.setup_seconds);
  const std::vector<double> iterate = comm.allgather(local.iterate_seconds);
  if (comm.rank() != 0) return {};

  Convergence& c = r.convergence;
  c.residuals = residuals;
  c.iterations = static_cast<int>(residuals.size());
  c.converged = converged;
  c.residual = *std::max_element(r.column_residuals.begin(), r.column_residuals.end());
  r.setup_seconds = *std::max_element(setup.begin(), setup.end());
  r.iterate_seconds = *std::max_element(iterate.begin(), iterate.end());
  return r;
}

}  // namespace trustprop::host
