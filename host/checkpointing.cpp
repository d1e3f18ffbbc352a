// Checkpoint policy (host/checkpointing.hpp).
#include "host/checkpointing.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "common/error.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

const std::regex kCheckpointName(R"(ckpt-e([0-9]{1,10})\.h5)");
const std::regex kTemporaryName(R"(.+\.tmp-([0-9]+))");

// The configuration with the keys that do not decide the dynamics fixed.
std::string dynamics_text(SimulationConfig c) {
  c.name = "-";
  c.epochs = 1;
  c.checkpoint_every = 0;
  c.checkpoint_keep = 1;
  return resolved_toml(c);
}

// The first line in which two configurations' dynamics differ, for messages.
std::string first_difference(const std::string& stored_text, const SimulationConfig& current) {
  std::string stored;
  try {
    stored = dynamics_text(parse_simulation_config(stored_text, "the checkpoint's configuration"));
  } catch (const Error&) {
    return "the checkpoint's configuration does not parse with this trustprop";
  }
  std::istringstream a(stored), b(dynamics_text(current));
  std::string section, la, lb;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la)), more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "the configurations differ";
    if (la != lb) return fmt::format("{}checkpoint has '{}', this run '{}'", section, la, lb);
    if (!la.empty() && la.front() == '[') section = la + " ";
  }
}

void remove_file(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) throw IoError(p.string() + ": cannot delete: " + ec.message());
}

}  // namespace

std::string checkpoint_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

std::string checkpoint_path(const std::string& run_dir, std::int64_t epoch) {
  return checkpoint_dir(run_dir) + "/ckpt-e" + std::to_string(epoch) + ".h5";
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, kCheckpointName)) out.push_back({e.path().string(), std::stoll(m[1].str())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.epoch > b.epoch; });
  return out;
}

void prune_checkpoints(const std::string& run_dir, std::int64_t keep) {
  const auto all = list_checkpoints(run_dir);
  for (std::size_t k = static_cast<std::size_t>(std::max<std::int64_t>(keep, 1)); k < all.size(); ++k)
    remove_file(all[k].path);
}

std::size_t remove_checkpoints(const std::string& run_dir) {
  const auto all = list_checkpoints(run_dir);
  for (const auto& c : all) remove_file(c.path);
  return all.size();
}

void remove_stale_temporaries(const std::string& run_dir) {
  for (const std::string& dir : {run_dir, checkpoint_dir(run_dir)}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::smatch m;
      const std::string name = e.path().filename().string();
      if (!std::regex_match(name, m, kTemporaryName)) continue;
      const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        spdlog::info("removing {}, left by an interrupted write", e.path().string());
        remove_file(e.path());
      }
    }
  }
}

std::string config_hash(const SimulationConfig& c) {
  const std::string text = dynamics_text(c);
  return fmt::format("xxh3:{:016x}", static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
}

std::optional<io::CheckpointReader> select_checkpoint(const std::string& resume, const std::string& run_dir) {
  if (resume != "auto") {
    io::CheckpointReader r(resume);
    r.verify();
    return std::optional<io::CheckpointReader>(std::move(r));
  }
  const auto all = list_checkpoints(run_dir);
  std::string problems;
  for (const auto& c : all) {
    try {
      io::CheckpointReader r(c.path);
      r.verify();
      if (r.header().epoch != c.epoch)
        throw DataError(c.path + ": root attribute epoch is " + std::to_string(r.header().epoch) +
                        ", but the file is named for epoch " + std::to_string(c.epoch));
      return std::optional<io::CheckpointReader>(std::move(r));
    } catch (const Error& e) {
      if (e.code() != ExitCode::data && e.code() != ExitCode::no_input) throw;
      spdlog::warn("--resume auto: skipping {}", e.what());
      problems += std::string("\n  ") + e.what();
    }
  }
  if (!all.empty())
    throw DataError(fmt::format("--resume auto: none of the {} checkpoints in {} is valid:{}\nmove them away, or "
                                "start afresh with --resume never (which deletes them)",
                                all.size(), checkpoint_dir(run_dir), problems));
  return std::nullopt;
}

void check_compatible(const io::CheckpointHeader& h, const std::string& path, const SimulationConfig& c,
                      const std::string& graph_hash, const std::string& backend, bool allow_change) {
  if (h.config_hash != config_hash(c)) {
    const std::string what = path + ": the configuration differs from the checkpoint's (" +
                             first_difference(h.config_text, c) + ")";
    if (!allow_change)
      throw ConfigError(what + "; pass --allow-config-change to continue under the new configuration");
    spdlog::warn("{}; continuing under the new configuration (--allow-config-change)", what);
  }
  if (h.graph_hash != graph_hash) {
    const std::string what = path + ": the graph differs from the checkpoint's (content hash " + graph_hash +
                             ", the checkpoint's " + h.graph_hash + ": " + h.graph + ")";
    if (!allow_change) throw DataError(what + "; pass --allow-config-change to continue on this graph");
    spdlog::warn("{}; continuing on this graph (--allow-config-change)", what);
  }
  if (h.epoch > c.epochs)
    throw ConfigError(path + ": the checkpoint is at epoch " + std::to_string(h.epoch) + ", beyond the run's " +
                      std::to_string(c.epochs) + " epochs; raise --epochs or [run] epochs");
  if (h.backend != backend)
    spdlog::warn("{}: the checkpoint was written on {} ({}), this run is on {}: the continuation agrees within the "
                 "CPU/GPU tolerance, not bit for bit",
                 path, h.backend, h.device, backend);
}

double parse_duration(const std::string& text, const std::string& option) {
  static const std::regex form(R"(\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*([smhd]?)\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw UsageError(option + " " + text + ": expected a duration: seconds, or a number with unit s, m, h or d "
                     "(e.g. 3600, 90m, 1.5h)");
  const double value = std::strtod(m[1].str().c_str(), nullptr);
  const std::string unit = m[3].str();
  const double scale = unit == "m" ? 60.0 : unit == "h" ? 3600.0 : unit == "d" ? 86400.0 : 1.0;
  if (!(value > 0)) throw UsageError(option + " " + text + ": must be positive");
  return value * scale;
}

bool walltime_allows_another_epoch(double limit_seconds, double elapsed, double longest_epoch,
                                   double checkpoint_seconds) {
  return elapsed + longest_epoch + checkpoint_seconds <= limit_seconds;
}

}  // namespace trustprop::host
