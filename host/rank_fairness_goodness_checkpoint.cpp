// Fairness–goodness rank checkpoints (host/rank_fairness_goodness_checkpoint.hpp).
#include "host/rank_fairness_goodness_checkpoint.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "host/checkpoint_arrays.hpp"
#include "host/rank_checkpoint.hpp"

namespace trustprop::host {

const CheckpointSeries fairness_goodness_checkpoints{"rank fairness-goodness", 'i', "iteration"};

void save_fairness_goodness_checkpoint(const std::string& path, io::CheckpointHeader header,
                                       const FairnessGoodnessState& s) {
  header.kind = fairness_goodness_checkpoints.kind;
  header.epoch = s.convergence.iterations;
  io::write_checkpoint(path, header,
                       {from_array("/state/fairness", s.fairness), from_array("/state/goodness", s.goodness),
                        from_vector("/record/fairness_change", s.fairness_change),
                        from_vector("/record/goodness_change", s.goodness_change),
                        from_vector("/record/residuals", s.convergence.residuals)});
}

namespace {

// Every element of `name` in [lo, hi]; DataError naming the file, dataset and element otherwise.
void check_range(const io::CheckpointReader& r, const std::string& name, const std::vector<double>& v, double lo,
                 double hi) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!(v[k] >= lo && v[k] <= hi))
      throw DataError(r.path() + ": dataset " + name + ": element " + std::to_string(k) + " is " +
                      std::to_string(v[k]) + ", which no fairness-goodness iteration produces (expected " +
                      std::to_string(lo) + " .. " + std::to_string(hi) + ")");
}

}  // namespace

FairnessGoodnessResume restore_fairness_goodness_checkpoint(const io::CheckpointReader& r, std::int64_t n) {
  FairnessGoodnessResume s;
  s.convergence = restore_rank_record(r, "fairness-goodness");
  const std::int64_t iterations = s.convergence.iterations;
  s.fairness_change = to_vector<double>(r, "/record/fairness_change", iterations);
  s.goodness_change = to_vector<double>(r, "/record/goodness_change", iterations);
  check_nonnegative(r, "/record/fairness_change", s.fairness_change, "fairness-goodness");
  check_nonnegative(r, "/record/goodness_change", s.goodness_change, "fairness-goodness");
  for (std::size_t i = 0; i < s.convergence.residuals.size(); ++i)
    if (s.convergence.residuals[i] != std::max(s.fairness_change[i], s.goodness_change[i]))
      throw DataError(r.path() + ": dataset /record/residuals: element " + std::to_string(i) +
                      " is not the larger of that iteration's fairness and goodness changes");
  s.fairness = to_vector<double>(r, "/state/fairness", n);
  s.goodness = to_vector<double>(r, "/state/goodness", n);
  check_range(r, "/state/fairness", s.fairness, 0.0, 1.0);
  check_range(r, "/state/goodness", s.goodness, -1.0, 1.0);
  return s;
}

void broadcast_resume(const Communicator& comm, std::optional<FairnessGoodnessResume>& resume) {
  if (comm.max(resume ? 1 : 0) == 0) return;
  if (!resume) resume.emplace();
  comm.broadcast(resume->fairness);
  comm.broadcast(resume->goodness);
  comm.broadcast(resume->fairness_change);
  comm.broadcast(resume->goodness_change);
  Convergence& c = resume->convergence;
  comm.broadcast(c.residuals);
  c.iterations = static_cast<int>(c.residuals.size());
  c.residual = c.residuals.empty() ? 0.0 : c.residuals.back();
}

}  // namespace trustprop::host
