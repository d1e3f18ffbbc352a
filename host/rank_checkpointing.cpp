// The checkpoint policy of rank runs in a run directory (host/rank_checkpointing.hpp).
#include "host/rank_checkpointing.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/rank_model.hpp"
#include "host/world.hpp"
#include "io/graph_file.hpp"

namespace trustprop::host {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The resolved rank configuration without the keys that do not decide the
// iterates: the graph's path (its content hash is checked instead),
// max_iterations (so that a run can be extended) and the model's output keys.
std::string iteration_text(const std::string& config, const std::vector<std::string>& output_keys) {
  std::vector<std::string> skipped{"graph", "max_iterations"};
  skipped.insert(skipped.end(), output_keys.begin(), output_keys.end());
  std::istringstream in(config);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const auto is_key = [&](const std::string& key) { return line.rfind(key + " = ", 0) == 0; };
    if (std::none_of(skipped.begin(), skipped.end(), is_key)) out += line + "\n";
  }
  return out;
}

RunIdentity identity(const RankRun& run, const RankCheckpointModel& m) {
  const std::string current = iteration_text(run.config, m.output_keys);
  RunIdentity id;
  id.config_hash = hash_bytes(current.data(), current.size()) + "+" + m.data_hash;
  id.difference = [current, m](const std::string& stored) {
    const std::string line = first_differing_line(iteration_text(stored, m.output_keys), current);
    return line.empty() ? m.data_changed : line;
  };
  if (run.share && run.graph.content_hash.empty())  // no process holds the whole graph to hash
    throw DataError(run.settings.graph + ": the file has no trustprop.content_hash attribute, which checkpoints of "
                    "a distributed run need; rewrite it with trustprop import or generate, or run one process");
  id.graph_hash = run.graph.content_hash.empty() ? io::compute_content_hash(run.graph) : run.graph.content_hash;
  id.backend = run.exec->name();
  id.step = "iteration";
  id.steps = m.max_iterations;
  id.raise_steps = "raise --max-iterations";
  return id;
}

}  // namespace

RankCheckpoints::RankCheckpoints(const RankRun& run, const RankCheckpointModel& model, const Restore& restore)
    : settings_(run.settings.checkpoint), series_(*model.series), max_iterations_(model.max_iterations),
      comm_(run.processes()), started_(std::chrono::steady_clock::now()), last_iteration_(started_) {
  collectively(comm_, [&] {
    if (comm_.rank() == 0) prepare(run, model, restore);
  });
}

void RankCheckpoints::prepare(const RankRun& run, const RankCheckpointModel& model, const Restore& restore) {
  if (!settings_.max_walltime.empty()) walltime_ = parse_duration(settings_.max_walltime, "--max-walltime");
  const std::string& dir = settings_.run_dir;
  directory_.emplace(dir, series_);
  remove_stale_temporaries(dir);
  const std::filesystem::path output(run.settings.output);  // a killed run's unfinished results file
  remove_stale_temporaries_of(output.parent_path().string(), output.filename().string() + ".tmp-");
  const RunIdentity id = identity(run, model);
  Convergence restored;  // the record of the iterations the run starts after
  if (settings_.resume == "never") {
    if (const std::size_t removed = remove_checkpoints(dir, series_))
      spdlog::warn("--resume never: deleted the {} checkpoints of an earlier run in {}", removed, checkpoint_dir(dir));
  } else if (auto c = select_checkpoint(settings_.resume, dir, series_)) {
    check_compatible(c->header(), c->path(), id, settings_.allow_config_change);
    restored = restore(*c);
    spdlog::info("resumed from {} after iteration {}", c->path(), restored.iterations);
  }
  start_metrics(restored.residuals);
  header_.config_text = run.config;
  header_.config_hash = id.config_hash;
  header_.graph = run.settings.graph;
  header_.graph_hash = id.graph_hash;
  header_.backend = id.backend;
  header_.device = run.exec->device_name();
}

void RankCheckpoints::start_metrics(const std::vector<double>& residuals) {
  // The lines of the iterations the checkpoint holds, kept where the file
  // has them with the same residual (a killed run may have gone further:
  // those lines go), rebuilt from the checkpoint where not; written whole
  // under a temporary name, then appended to.
  const std::string path = settings_.run_dir + "/metrics.jsonl";
  std::vector<std::string> lines(residuals.size());
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("iteration") || !j.contains("residual") ||
          !j["iteration"].is_number_integer() || !j["residual"].is_number())
        continue;  // not a line this log writes: rebuilt from the checkpoint
      const std::int64_t i = j["iteration"].get<std::int64_t>();
      if (i >= 1 && i <= static_cast<std::int64_t>(residuals.size()) &&
          j["residual"].get<double>() == residuals[static_cast<std::size_t>(i - 1)])
        lines[static_cast<std::size_t>(i - 1)] = line;
    }
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (std::size_t i = 0; i < lines.size(); ++i)
      out << (lines[i].empty() ? nlohmann::json{{"iteration", i + 1}, {"residual", residuals[i]}}.dump() : lines[i])
          << "\n";
    if (!out.flush()) throw IoError(temp + ": cannot write the metrics log");
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw IoError(path + ": cannot replace the metrics log: " + ec.message());
  metrics_.open(path, std::ios::app);
  if (!metrics_) throw IoError(path + ": cannot open the metrics log");
}

void RankCheckpoints::write(std::int64_t iterations, const Save& save) {
  const auto t = std::chrono::steady_clock::now();
  last_path_ = checkpoint_path(settings_.run_dir, series_, iterations);
  save(last_path_, header_);
  prune_checkpoints(settings_.run_dir, series_, settings_.keep);
  checkpoint_seconds_ = seconds_since(t);
  spdlog::debug("checkpoint {} ({:.3f} s)", last_path_, checkpoint_seconds_);
}

void RankCheckpoints::after_iteration(std::int64_t iterations, double residual, bool last, const Save& save,
                                      const std::function<void()>& gather) {
  const double seconds = seconds_since(last_iteration_);
  longest_iteration_ = std::max(longest_iteration_, seconds);
  if (comm_.rank() == 0) {
    directory_->started();
    metrics_ << nlohmann::json{{"iteration", iterations}, {"residual", residual}, {"seconds", seconds}}.dump() << "\n";
    metrics_.flush();
  }
  int signal = last ? 0 : signals_.requested();
  bool out_of_time = !last && walltime_ > 0 &&
                     !walltime_allows_another_step(walltime_, seconds_since(started_), longest_iteration_,
                                                   checkpoint_seconds_);
  // Every process stops at the same iteration (process 0 keeps the time).
  signal = comm_.max(signal);
  out_of_time = comm_.max(out_of_time ? 1 : 0) != 0;
  if (last || signal || out_of_time || (settings_.every > 0 && iterations % settings_.every == 0)) {
    if (gather) gather();
    collectively(comm_, [&] {
      if (comm_.rank() == 0) write(iterations, save);
    });
  }
  last_iteration_ = std::chrono::steady_clock::now();
  if (!signal && !out_of_time) return;
  const std::string message = fmt::format(
      "stopped after iteration {} of at most {} ({}); checkpoint {}; resume with --resume auto", iterations,
      max_iterations_,
      signal ? std::string("received ") + StopSignals::name(signal)
             : fmt::format("--max-walltime {} would be exceeded by another iteration", settings_.max_walltime),
      last_path_);
  if (comm_.size() > 1) throw CollectiveError(ExitCode::temp_fail, message, comm_.rank() == 0);
  throw StoppedError(message);
}

}  // namespace trustprop::host
