// Batched personalized trust across the processes of an MPI launch, split
// by seed sets (host/personalized.hpp, docs/distributed.md). Each process
// holds the whole graph and iterates its own columns of the [k, n] block;
// the columns never meet, so the only communication is the gather at the
// end. This suits the model's memory: the block (16 B per agent per seed
// set while iterating) outgrows Cᵀ (8 B per tie) from a few dozen seed sets
// on, and a split by seed sets divides the block where a split by rows
// would divide only Cᵀ and leave every process the whole block to gather
// from.
#include <algorithm>
#include <numeric>

#include "host/partition.hpp"
#include "host/personalized.hpp"

namespace trustprop::host {

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
                                    const std::string& graph_name, const PersonalizedObserver& observe) {
  const std::int64_t k = seeds.count(), n = g.n;
  const int processes = comm.size();
  const auto me = static_cast<std::size_t>(comm.rank());
  const std::vector<std::int64_t> sets = even_bounds(k, processes);
  const SeedSets mine = slice(seeds, sets[me], sets[me + 1]);
  PersonalizedResult local;
  collectively(comm, [&] {
    validate(options);  // before a process without seed sets waits for the others
    if (mine.count() > 0) local = run_personalized(exec, g, mine, options, graph_name, observe);
  });

  // Process 0 assembles what one process would have computed.
  PersonalizedResult r;
  r.n = n;
  r.k = k;
  if (comm.rank() == 0) r.trust.resize(static_cast<std::size_t>(k * n));
  if (n > 0) comm.gatherv(local.trust.data(), r.trust.data(), sets, static_cast<std::size_t>(n) * sizeof(double));
  r.column_iterations = comm.gatherv(local.column_iterations, sets);
  r.column_residuals = comm.gatherv(local.column_residuals, sets);

  // The residual history: at iteration i, the largest residual of the sets
  // still iterating, i.e. the largest of the processes' own histories there.
  std::vector<std::int64_t> each(static_cast<std::size_t>(processes)), lengths(each.size(), 0);
  std::iota(each.begin(), each.end(), 0);
  each.push_back(processes);
  lengths[me] = static_cast<std::int64_t>(local.convergence.residuals.size());
  comm.allgatherv(lengths, each);
  std::vector<std::int64_t> at{0};
  for (const std::int64_t length : lengths) at.push_back(at.back() + length);
  const std::vector<double> histories = comm.gatherv(local.convergence.residuals, at);
  const bool converged = comm.all(mine.count() == 0 || local.convergence.converged);
  const std::vector<double> setup = comm.allgather(local.setup_seconds);
  const std::vector<double> iterate = comm.allgather(local.iterate_seconds);
  if (comm.rank() != 0) return {};

  Convergence& c = r.convergence;
  const std::int64_t iterations = *std::max_element(lengths.begin(), lengths.end());
  c.iterations = static_cast<int>(iterations);
  c.residuals.assign(static_cast<std::size_t>(iterations), 0.0);
  for (int p = 0; p < processes; ++p)
    for (std::int64_t i = 0; i < lengths[static_cast<std::size_t>(p)]; ++i) {
      double& largest = c.residuals[static_cast<std::size_t>(i)];
      largest = std::max(largest, histories[static_cast<std::size_t>(at[static_cast<std::size_t>(p)] + i)]);
    }
  c.converged = converged;
  c.residual = *std::max_element(r.column_residuals.begin(), r.column_residuals.end());
  r.setup_seconds = *std::max_element(setup.begin(), setup.end());
  r.iterate_seconds = *std::max_element(iterate.begin(), iterate.end());
  return r;
}

}  // namespace trustprop::host
