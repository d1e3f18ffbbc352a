// EigenTrust rank checkpoints (host/rank_checkpoint.hpp).
#include "host/rank_checkpoint.hpp"

#include <limits>

#include "common/error.hpp"
#include "host/checkpoint_arrays.hpp"

namespace trustprop::host {

const CheckpointSeries eigentrust_checkpoints{"rank eigentrust", 'i', "iteration"};

void save_eigentrust_checkpoint(const std::string& path, io::CheckpointHeader header, const EigenTrustState& s) {
  header.kind = eigentrust_checkpoints.kind;
  header.epoch = s.convergence.iterations;
  const std::vector<std::uint8_t> flag{static_cast<std::uint8_t>(s.float32_gather)};
  io::write_checkpoint(path, header,
                       {from_array("/state/trust", s.trust), from_vector("/state/float32_gather", flag),
                        from_vector("/record/residuals", s.convergence.residuals)});
}

Convergence restore_rank_record(const io::CheckpointReader& r, const std::string& producer) {
  const std::int64_t iterations = r.header().epoch;
  if (iterations > std::numeric_limits<int>::max())
    throw DataError(r.path() + ": root attribute epoch (iterations) " + std::to_string(iterations) +
                    " is beyond 2^31 - 1");
  Convergence c;
  c.residuals = to_vector<double>(r, "/record/residuals", iterations);
  check_nonnegative(r, "/record/residuals", c.residuals, producer);
  c.iterations = static_cast<int>(iterations);
  c.residual = c.residuals.empty() ? 0.0 : c.residuals.back();
  return c;
}

EigenTrustResume restore_eigentrust_checkpoint(const io::CheckpointReader& r, std::int64_t n) {
  EigenTrustResume s;
  s.convergence = restore_rank_record(r, "EigenTrust");
  s.trust = to_vector<double>(r, "/state/trust", n);
  check_nonnegative(r, "/state/trust", s.trust, "EigenTrust");
  check_distributions(r, "/state/trust", s.trust, 1, "EigenTrust");
  const auto flag = to_vector<std::uint8_t>(r, "/state/float32_gather", 1);
  if (flag[0] > 1)
    throw DataError(r.path() + ": dataset /state/float32_gather: element 0 is " + std::to_string(flag[0]) +
                    " (expected 0 or 1)");
  s.float32_gather = flag[0] == 1;
  return s;
}

void broadcast_resume(const Communicator& comm, std::optional<EigenTrustResume>& resume) {
  if (comm.max(resume ? 1 : 0) == 0) return;
  if (!resume) resume.emplace();
  comm.broadcast(resume->trust);
  Convergence& c = resume->convergence;
  comm.broadcast(c.residuals);
  std::vector<std::int64_t> scalars{c.iterations, resume->float32_gather ? 1 : 0};
  comm.broadcast(scalars);
  c.iterations = static_cast<int>(scalars[0]);
  c.residual = c.residuals.empty() ? 0.0 : c.residuals.back();
  resume->float32_gather = scalars[1] == 1;
}

}  // namespace trustprop::host
