// Checkpoint policy of simulate and rank runs (host/checkpointing.hpp).
#include "host/checkpointing.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/error.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

const std::regex kCheckpointName(R"(ckpt-([a-z])([0-9]{1,10})\.h5)");
const std::regex kTemporaryName(R"(.+\.tmp-([0-9]+))");

// Whether process `pid` may still write: it exists and is no zombie (a
// process killed but not yet reaped, e.g. by mpirun, has stopped writing).
bool process_may_write(long pid) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no procfs: trust kill()
  const auto name_end = line.rfind(')');       // "pid (name) state ...": the name may hold spaces
  return name_end == std::string::npos || line.compare(name_end + 1, 2, " Z") != 0;
}

// The configuration with the keys that do not decide the dynamics fixed.
std::string dynamics_text(SimulationConfig c) {
  c.name = "-";
  c.epochs = 1;
  c.checkpoint_every = 0;
  c.checkpoint_keep = 1;
  return resolved_toml(c);
}

// The first line in which a stored configuration's dynamics differ from a run's, for messages.
std::string dynamics_difference(const std::string& stored_text, const SimulationConfig& current) {
  std::string stored;
  try {
    stored = dynamics_text(parse_simulation_config(stored_text, "the checkpoint's configuration"));
  } catch (const Error&) {
    return "the checkpoint's configuration does not parse with this trustprop";
  }
  const std::string line = first_differing_line(stored, dynamics_text(current));
  return line.empty() ? "the configurations differ" : line;
}

void remove_file(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) throw IoError(p.string() + ": cannot delete: " + ec.message());
}

}  // namespace

const CheckpointSeries simulate_checkpoints{"simulate", 'e', "epoch"};

std::string checkpoint_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

std::string checkpoint_path(const std::string& run_dir, const CheckpointSeries& series, std::int64_t step) {
  return checkpoint_dir(run_dir) + "/ckpt-" + series.letter + std::to_string(step) + ".h5";
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& run_dir, const CheckpointSeries* series) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, kCheckpointName) && (!series || m[1].str()[0] == series->letter))
      out.push_back({e.path().string(), std::stoll(m[2].str()), m[1].str()[0]});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.epoch > b.epoch; });
  return out;
}

void prune_checkpoints(const std::string& run_dir, const CheckpointSeries& series, std::int64_t keep) {
  const auto all = list_checkpoints(run_dir, &series);
  for (std::size_t k = static_cast<std::size_t>(std::max<std::int64_t>(keep, 1)); k < all.size(); ++k)
    remove_file(all[k].path);
}

std::size_t remove_checkpoints(const std::string& run_dir, const CheckpointSeries& series) {
  const auto all = list_checkpoints(run_dir, &series);
  for (const auto& c : all) remove_file(c.path);
  return all.size();
}

namespace {

// Refuses a run directory that holds the run of another command.
void require_own_run_directory(const std::string& run_dir, const CheckpointSeries& series) {
  const std::string command = series.kind.substr(0, series.kind.find(' '));
  const auto refuse = [&](const std::string& what) {
    throw UsageError(run_dir + ": holds " + what + ", not a " + command + " run; give this run another --run-dir");
  };
  for (const CheckpointEntry& c : list_checkpoints(run_dir))
    if (c.letter != series.letter)
      refuse("the checkpoints of another kind of run (" + c.path + ")");
  std::error_code ec;
  if (&series != &simulate_checkpoints && fs::exists(run_dir + "/config.toml", ec))
    refuse("a simulation (config.toml)");
}

}  // namespace

RunDirectory::RunDirectory(const std::string& run_dir, const CheckpointSeries& series) : dir_(run_dir) {
  std::error_code ec;
  for (fs::path p = fs::path(run_dir).lexically_normal(); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_ = p.string();
    if (p == p.parent_path()) break;
  }
  if (created_.empty()) require_own_run_directory(run_dir, series);
  created_checkpoints_ = !fs::exists(checkpoint_dir(run_dir), ec);
  fs::create_directories(checkpoint_dir(run_dir), ec);
  if (ec) throw IoError(run_dir + ": cannot create the run directory: " + ec.message());
  const std::string path = run_dir + "/.lock";
  created_lock_ = !fs::exists(path, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path + ": cannot open the run directory's lock: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int e = errno;
  ::close(fd_);
  fd_ = -1;
  created_.clear();  // another run's: left alone
  created_checkpoints_ = created_lock_ = false;
  if (e == EWOULDBLOCK)
    throw StoppedError(run_dir + ": another trustprop run is using this run directory; run again once it has ended, "
                       "or give another --run-dir");
  throw IoError(path + ": cannot lock the run directory: " + std::strerror(e));
}

RunDirectory::~RunDirectory() {
  if (fd_ < 0) return;
  if (!started_ && std::uncaught_exceptions() > exceptions_) {
    // A refused run: what opening created goes (the lock file while still held).
    std::error_code ec;
    if (!created_.empty()) {
      fs::remove_all(created_, ec);
    } else {
      if (created_checkpoints_) fs::remove(checkpoint_dir(dir_), ec);  // only while empty
      if (created_lock_) fs::remove(dir_ + "/.lock", ec);
    }
  }
  ::close(fd_);  // releases the lock
}

void remove_stale_temporaries_of(const std::string& dir, const std::string& target_name) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir.empty() ? "." : dir, ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (!std::regex_match(name, m, kTemporaryName) || name.compare(0, target_name.size(), target_name) != 0) continue;
    const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
    if (pid > 0 && !process_may_write(pid)) {
      spdlog::info("removing {}, left by an interrupted write", e.path().string());
      remove_file(e.path());
    }
  }
}

void remove_stale_temporaries(const std::string& run_dir) {
  for (const std::string& dir : {run_dir, checkpoint_dir(run_dir)}) remove_stale_temporaries_of(dir, "");
}

std::string hash_bytes(const void* data, std::size_t size) {
  return fmt::format("xxh3:{:016x}", static_cast<unsigned long long>(XXH3_64bits(data, size)));
}

std::string first_differing_line(const std::string& checkpoint_text, const std::string& run_text) {
  std::istringstream a(checkpoint_text), b(run_text);
  std::string section, la, lb;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la)), more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "";
    if (!more_a) la.clear();
    if (!more_b) lb.clear();
    if (la != lb) return fmt::format("{}checkpoint has '{}', this run '{}'", section, la, lb);
    if (!la.empty() && la.front() == '[') section = la + " ";
  }
}

namespace {

// Opens and verifies a checkpoint, refusing one of another kind of run.
io::CheckpointReader open_verified(const std::string& path, const CheckpointSeries& series) {
  io::CheckpointReader r(path);
  if (r.header().kind != series.kind)
    throw DataError(path + ": a checkpoint of " + r.header().kind + " (root attribute trustprop.checkpoint_kind), "
                    "not of " + series.kind);
  r.verify();
  return r;
}

}  // namespace

std::optional<io::CheckpointReader> select_checkpoint(const std::string& resume, const std::string& run_dir,
                                                      const CheckpointSeries& series) {
  if (resume != "auto") return open_verified(resume, series);
  const auto all = list_checkpoints(run_dir, &series);
  std::string problems;
  for (const auto& c : all) {
    try {
      io::CheckpointReader r = open_verified(c.path, series);
      if (r.header().epoch != c.epoch)
        throw DataError(c.path + ": root attribute epoch is " + std::to_string(r.header().epoch) +
                        ", but the file is named for " + series.step + " " + std::to_string(c.epoch));
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

void check_compatible(const io::CheckpointHeader& h, const std::string& path, const RunIdentity& run,
                      bool allow_change) {
  // The graph first: inputs derived from it (a pre-trust distribution) are
  // part of the configuration's hash and differ with it.
  if (h.graph_hash != run.graph_hash) {
    const std::string what = path + ": the graph differs from the checkpoint's (content hash " + run.graph_hash +
                             ", the checkpoint's " + h.graph_hash + ": " + h.graph + ")";
    if (!allow_change) throw DataError(what + "; pass --allow-config-change to continue on this graph");
    spdlog::warn("{}; continuing on this graph (--allow-config-change)", what);
  }
  if (h.config_hash != run.config_hash) {
    const std::string what =
        path + ": the configuration differs from the checkpoint's (" + run.difference(h.config_text) + ")";
    if (!allow_change)
      throw ConfigError(what + "; pass --allow-config-change to continue under the new configuration");
    spdlog::warn("{}; continuing under the new configuration (--allow-config-change)", what);
  }
  if (h.epoch > run.steps)
    throw ConfigError(path + ": the checkpoint is at " + run.step + " " + std::to_string(h.epoch) +
                      ", beyond the run's " + std::to_string(run.steps) + " " + run.step + "s; " + run.raise_steps);
  if (h.backend != run.backend)
    spdlog::warn("{}: the checkpoint was written on {} ({}), this run is on {}: the continuation agrees within the "
                 "CPU/GPU tolerance, not bit for bit",
                 path, h.backend, h.device, run.backend);
}

RunIdentity simulation_identity(const SimulationConfig& c, const std::string& graph_hash, const std::string& backend) {
  const std::string text = dynamics_text(c);
  RunIdentity id;
  id.config_hash = hash_bytes(text.data(), text.size());
  id.difference = [c](const std::string& stored) { return dynamics_difference(stored, c); };
  id.graph_hash = graph_hash;
  id.backend = backend;
  id.step = "epoch";
  id.steps = c.epochs;
  id.raise_steps = "raise --epochs or [run] epochs";
  return id;
}

bool walltime_allows_another_step(double limit_seconds, double elapsed, double longest_step,
                                  double checkpoint_seconds) {
  return elapsed + longest_step + checkpoint_seconds <= limit_seconds;
}

}  // namespace trustprop::host
