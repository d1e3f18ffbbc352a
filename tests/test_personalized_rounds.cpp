// Personalized trust in rounds (host::run_personalized_rounds): seed sets
// past what memory holds run a batch at a time on one Cᵀ, and give the bits
// of one batch of them all — every column, and the whole run's record
// (residual history, per-set iterations and residuals, convergence) — for
// any round size; the round size is the most seed sets that fit; a round
// that does not fit is refused before anything is allocated.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "host/personalized.hpp"
#include "personalized_test_support.hpp"

using namespace trustprop;
using namespace trustprop::testing::personalized;

namespace {

struct Rounds {
  host::PersonalizedResult record;
  std::vector<std::int64_t> firsts, sizes;  // of each round handed to the sink
  std::vector<double> trust;                // the rounds' blocks, in order: [k, n]
};

Rounds run_rounds(const io::Graph& g, const host::SeedSets& sets, const host::EigenTrustOptions& o,
                  std::int64_t round_size) {
  Rounds r;
  r.record = host::run_personalized_rounds(cpu_exec(), g, sets, o, round_size, "g.h5",
                                           [&](std::int64_t first, const host::PersonalizedResult& round) {
                                             r.firsts.push_back(first);
                                             r.sizes.push_back(round.k);
                                             EXPECT_EQ(round.trust.size(), static_cast<std::size_t>(round.k * g.n));
                                             r.trust.insert(r.trust.end(), round.trust.begin(), round.trust.end());
                                           });
  return r;
}

}  // namespace

TEST(PersonalizedRounds, AnyRoundSizeGivesTheBitsOfOneBatch) {
  const io::Graph g = random_graph();
  const host::SeedSets sets = varied_sets(20, g.n);
  for (const int max_iterations : {1000, 6}) {  // all converge; none does
    SCOPED_TRACE(max_iterations);
    host::EigenTrustOptions o;
    o.max_iterations = max_iterations;
    const host::PersonalizedResult one = host::run_personalized(cpu_exec(), g, sets, o);
    for (const std::int64_t size : {1, 3, 7, 19, 20}) {
      SCOPED_TRACE(size);
      const Rounds r = run_rounds(g, sets, o, size);
      std::vector<std::int64_t> firsts;
      for (std::int64_t first = 0; first < 20; first += size) firsts.push_back(first);
      EXPECT_EQ(r.firsts, firsts);
      EXPECT_EQ(r.sizes.back(), 20 - firsts.back());
      EXPECT_EQ(r.trust, one.trust);
      EXPECT_TRUE(r.record.trust.empty());
      EXPECT_EQ(r.record.k, 20);
      EXPECT_EQ(r.record.column_iterations, one.column_iterations);
      EXPECT_EQ(r.record.column_residuals, one.column_residuals);
      EXPECT_EQ(r.record.convergence.residuals, one.convergence.residuals);
      EXPECT_EQ(r.record.convergence.iterations, one.convergence.iterations);
      EXPECT_EQ(r.record.convergence.residual, one.convergence.residual);
      EXPECT_EQ(r.record.convergence.converged, one.convergence.converged);
    }
    EXPECT_EQ(one.convergence.converged, max_iterations == 1000);
  }
}

TEST(PersonalizedRounds, ARoundIsTheMostSeedSetsThatFit) {
  // Large enough that the blocks, not building Cᵀ, set the peak.
  const std::int64_t n = 1000000, nnz = 20000000, k = 60, seeds = 100;
  for (const auto kind : {kernels::BackendKind::cpu, kernels::BackendKind::cuda}) {
    SCOPED_TRACE(static_cast<int>(kind));
    for (const std::int64_t fit : {30, 45, 59}) {
      const std::size_t room = host::personalized_bytes(kind, n, nnz, fit, seeds);
      EXPECT_EQ(host::personalized_round_size(kind, room, n, nnz, k, seeds), fit);
      EXPECT_EQ(host::personalized_round_size(kind, room - 1, n, nnz, k, seeds), fit - 1);
    }
    EXPECT_EQ(host::personalized_round_size(kind, std::size_t{1} << 40, n, nnz, k, seeds), k);
  }
}

// Runs the rounds on `exec` and expects the refusal before any round (exit
// 70) with `what` in its message; `accepted` says what was let through.
void expect_rounds_refused(const std::shared_ptr<FakeExecutor>& exec, const io::Graph& g, const host::SeedSets& sets,
                           std::int64_t round_size, const std::string& what, const std::string& accepted) {
  const auto never = [](std::int64_t, const host::PersonalizedResult&) { ADD_FAILURE() << "a round ran"; };
  try {
    host::run_personalized_rounds(exec, g, sets, {}, round_size, "g.h5", never);
    ADD_FAILURE() << accepted << " accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::software) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(PersonalizedRounds, ARoundThatDoesNotFitIsRefusedBeforeAllocating) {
  const io::Graph g = random_graph();
  const host::SeedSets sets = varied_sets(20, g.n);
  const auto kind = kernels::BackendKind::cpu;
  // Room for 10 seed sets with all the seeds: rounds of 15 do not fit.
  expect_rounds_refused(std::make_shared<FakeExecutor>(kind, host::personalized_bytes(kind, g.n, g.nnz(), 10, sets.entries())),
                        g, sets, 15, "personalized trust for 15 seed sets on g.h5", "rounds larger than memory were");
  // Room for less than one seed set: the whole run's refusal, which says so.
  expect_rounds_refused(std::make_shared<FakeExecutor>(kind, host::personalized_bytes(kind, g.n, g.nnz(), 1, 1) - 1), g,
                        sets, 0, "not even one seed set fits", "a run where no seed set fits was");
}
