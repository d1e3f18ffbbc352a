// EigenTrust rank checkpoints in a run directory (host/rank_checkpointing.hpp).
#include "host/rank_checkpointing.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/error.hpp"
#include "host/checkpointing.hpp"
#include "host/rank_checkpoint.hpp"
#include "host/rank_model.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

namespace {

const CheckpointSeries kSeries{eigentrust_checkpoint_kind, 'i', "iteration"};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The resolved rank configuration without the keys that do not decide the
// iterates: the graph's path (its content hash is checked instead) and
// max_iterations (so that a run can be extended).
std::string iteration_text(const std::string& config) {
  std::istringstream in(config);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("graph = ", 0) != 0 && line.rfind("max_iterations = ", 0) != 0) out += line + "\n";
  return out;
}

RunIdentity identity(const RankRun& run, const std::vector<double>& pretrust, int max_iterations) {
  const std::string p = hash_bytes(pretrust.data(), pretrust.size() * sizeof(double));
  const std::string current = iteration_text(run.config);
  RunIdentity id;
  id.config_hash = hash_bytes(current.data(), current.size()) + "+" + p;
  id.difference = [current](const std::string& stored) {
    const std::string line = first_differing_line(iteration_text(stored), current);
    return line.empty() ? std::string("the pre-trust distribution differs: the --pretrust file has changed") : line;
  };
  id.graph_hash = run.graph.content_hash.empty() ? io::compute_content_hash(run.graph) : run.graph.content_hash;
  id.backend = run.exec->name();
  id.step = "iteration";
  id.steps = max_iterations;
  id.raise_steps = "raise --max-iterations";
  return id;
}

}  // namespace

EigenTrustCheckpoints::EigenTrustCheckpoints(const RankRun& run, const std::vector<double>& pretrust,
                                             const EigenTrustOptions& options)
    : settings_(run.settings.checkpoint), options_(options), started_(std::chrono::steady_clock::now()),
      last_iteration_(started_) {
  if (!settings_.max_walltime.empty()) walltime_ = parse_duration(settings_.max_walltime, "--max-walltime");
  const std::string& dir = settings_.run_dir;
  std::error_code ec;
  std::filesystem::create_directories(checkpoint_dir(dir), ec);
  if (ec) throw IoError(dir + ": cannot create the run directory: " + ec.message());
  remove_stale_temporaries(dir);
  const std::filesystem::path output(run.settings.output);  // a killed run's unfinished results file
  remove_stale_temporaries_of(output.parent_path().string(), output.filename().string() + ".tmp-");
  const RunIdentity id = identity(run, pretrust, options.max_iterations);
  if (settings_.resume == "never") {
    if (const std::size_t removed = remove_checkpoints(dir, kSeries))
      spdlog::warn("--resume never: deleted the {} checkpoints of an earlier run in {}", removed, checkpoint_dir(dir));
  } else if (auto c = select_checkpoint(settings_.resume, dir, kSeries)) {
    check_compatible(c->header(), c->path(), id, settings_.allow_config_change);
    resume_ = restore_eigentrust_checkpoint(*c, run.graph.n);
    spdlog::info("resumed from {} after iteration {}", c->path(), resume_->convergence.iterations);
  }
  header_.config_text = run.config;
  header_.config_hash = id.config_hash;
  header_.graph = run.settings.graph;
  header_.graph_hash = id.graph_hash;
  header_.backend = id.backend;
  header_.device = run.exec->device_name();
}

void EigenTrustCheckpoints::write(const EigenTrustState& s) {
  const auto t = std::chrono::steady_clock::now();
  last_path_ = checkpoint_path(settings_.run_dir, kSeries, s.convergence.iterations);
  save_eigentrust_checkpoint(last_path_, header_, s);
  prune_checkpoints(settings_.run_dir, kSeries, settings_.keep);
  checkpoint_seconds_ = seconds_since(t);
  spdlog::debug("checkpoint {} ({:.3f} s)", last_path_, checkpoint_seconds_);
}

void EigenTrustCheckpoints::after_iteration(const EigenTrustState& s) {
  const Convergence& c = s.convergence;
  longest_iteration_ = std::max(longest_iteration_, seconds_since(last_iteration_));
  const bool last = c.residual < options_.tolerance || c.iterations >= options_.max_iterations;
  const int signal = last ? 0 : signals_.requested();
  const bool out_of_time = !last && walltime_ > 0 &&
                           !walltime_allows_another_step(walltime_, seconds_since(started_), longest_iteration_,
                                                         checkpoint_seconds_);
  if (last || signal || out_of_time || (settings_.every > 0 && c.iterations % settings_.every == 0)) write(s);
  last_iteration_ = std::chrono::steady_clock::now();
  if (signal || out_of_time)
    throw StoppedError(fmt::format(
        "stopped after iteration {} of at most {} ({}); checkpoint {}; resume with --resume auto", c.iterations,
        options_.max_iterations,
        signal ? std::string("received ") + StopSignals::name(signal)
               : fmt::format("--max-walltime {} would be exceeded by another iteration", settings_.max_walltime),
        last_path_));
}

}  // namespace trustprop::host
