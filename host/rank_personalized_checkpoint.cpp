// Personalized rank checkpoints (host/rank_personalized_checkpoint.hpp).
#include "host/rank_personalized_checkpoint.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/error.hpp"
#include "host/checkpoint_arrays.hpp"
#include "host/rank_checkpoint.hpp"

namespace trustprop::host {

const CheckpointSeries personalized_checkpoints{"rank personalized", 'i', "iteration"};

namespace {

void save(const std::string& path, io::CheckpointHeader header, io::DatasetSource trust,
          const std::vector<std::uint8_t>& active, const std::vector<std::int64_t>& column_iterations,
          const std::vector<double>& column_residuals, const Convergence& convergence) {
  header.kind = personalized_checkpoints.kind;
  header.epoch = convergence.iterations;
  io::write_checkpoint(path, header,
                       {std::move(trust), from_vector("/state/active", active),
                        from_vector("/record/column_iterations", column_iterations),
                        from_vector("/record/column_residuals", column_residuals),
                        from_vector("/record/residuals", convergence.residuals)});
}

}  // namespace

void save_personalized_checkpoint(const std::string& path, io::CheckpointHeader header, const PersonalizedState& s) {
  save(path, std::move(header), from_array("/state/trust", s.trust), s.active, s.column_iterations,
       s.column_residuals, s.convergence);
}

void save_personalized_checkpoint(const std::string& path, io::CheckpointHeader header, const PersonalizedResume& s) {
  save(path, std::move(header), from_vector("/state/trust", s.trust), s.active, s.column_iterations,
       s.column_residuals, s.convergence);
}

PersonalizedResume restore_personalized_checkpoint(const io::CheckpointReader& r, std::int64_t n, std::int64_t k,
                                                   double tolerance) {
  const Convergence record = restore_rank_record(r, "personalized");
  const std::int64_t iterations = record.iterations;
  const auto refuse = [&](const std::string& name, std::int64_t c, const std::string& problem) {
    throw DataError(r.path() + ": dataset " + name + ": element " + std::to_string(c) + " " + problem);
  };
  PersonalizedResume s;
  s.trust = to_vector<double>(r, "/state/trust", n * k);
  check_nonnegative(r, "/state/trust", s.trust, "personalized");
  check_distributions(r, "/state/trust", s.trust, k, "personalized");
  s.active = to_vector<std::uint8_t>(r, "/state/active", k);
  s.column_iterations = to_vector<std::int64_t>(r, "/record/column_iterations", k);
  s.column_residuals = to_vector<double>(r, "/record/column_residuals", k);
  check_nonnegative(r, "/record/column_residuals", s.column_residuals, "personalized");
  for (std::int64_t c = 0; c < k; ++c) {
    const auto i = static_cast<std::size_t>(c);
    if (s.active[i] > 1) refuse("/state/active", c, "is " + std::to_string(s.active[i]) + " (expected 0 or 1)");
    const std::int64_t at = s.column_iterations[i];
    if (at < 0 || at > iterations)
      refuse("/record/column_iterations", c,
             "is " + std::to_string(at) + " (expected 0 to the checkpoint's " + std::to_string(iterations) +
                 " iterations)");
    if (s.active[i] == 1 && at != iterations)
      refuse("/record/column_iterations", c,
             "is " + std::to_string(at) + ", but the column is still active (/state/active) and so iterated all " +
                 std::to_string(iterations) + " iterations");
  }
  // Each column that has iterated is judged by this run's tolerance, as an
  // EigenTrust resume is: one frozen above it iterates again, one still active
  // below it is frozen (they differ only under --allow-config-change).
  std::int64_t rejudged = 0;
  for (std::int64_t c = 0; c < k; ++c) {
    const auto i = static_cast<std::size_t>(c);
    const std::uint8_t active = s.column_iterations[i] == 0 || s.column_residuals[i] >= tolerance ? 1 : 0;
    rejudged += active != s.active[i];
    s.active[i] = active;
  }
  if (rejudged > 0)
    spdlog::warn("{}: {} of {} seed sets change state under --tolerance {}: those above it iterate again, those "
                 "below it are converged",
                 r.path(), rejudged, k, tolerance);
  s.convergence = record;
  return s;
}

}  // namespace trustprop::host
