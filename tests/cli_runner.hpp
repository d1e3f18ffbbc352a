// Runs the real `trustprop` binary for end-to-end tests: exit codes,
// messages, and what is (not) left on disk. The binary and the test data
// are the build's, unless TRUSTPROP_BINARY / TRUSTPROP_TEST_DATA name others
// (a relocated GPU bundle).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "io/graph.hpp"

namespace trustprop::testing::cli {

namespace fs = std::filesystem;

// The build's paths, unless the environment names others (a relocated bundle).
inline std::string setting(const char* name, const char* built_in) {
  const char* v = std::getenv(name);
  return v && *v ? v : built_in;
}
inline const std::string kBinary = setting("TRUSTPROP_BINARY", TRUSTPROP_BINARY);
inline const std::string kBad = setting("TRUSTPROP_TEST_DATA", TRUSTPROP_TEST_DATA) + "/bad";

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "trustprop-bad-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  // Files in the directory other than the given ones.
  std::set<std::string> entries() const {
    std::set<std::string> s;
    for (const auto& e : fs::directory_iterator(path_)) s.insert(e.path().filename().string());
    return s;
  }

 private:
  fs::path path_;
};

struct RunResult {
  int rc = -1;
  std::string out, err;
};

// Runs `trustprop ARGS` (or, prefix_binary false, the shell command ARGS)
// with stdout and stderr captured in `scratch`.
inline RunResult run(const std::string& args, const fs::path& scratch, bool prefix_binary = true) {
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string cmd = (prefix_binary ? kBinary + " " : "") + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

inline std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// "0,S,2S,...": `count` agent ids `stride` apart, for --seeds and --sources.
inline std::string id_list(int count, int stride) {
  std::string ids;
  for (int s = 0; s < count; ++s) ids += (s > 0 ? "," : "") + std::to_string(s * stride);
  return ids;
}

inline const std::string kData = setting("TRUSTPROP_TEST_DATA", TRUSTPROP_TEST_DATA);

// Writes DIR/limited-KIB.sh, which runs its arguments with at most `kib`
// KiB of address space (ulimit -v, as a job scheduler sets it), and returns
// the shell words that start trustprop under it: "'DIR/limited-KIB.sh' trustprop".
inline std::string under_ulimit(const fs::path& dir, std::int64_t kib) {
  const fs::path script = dir / ("limited-" + std::to_string(kib) + ".sh");
  std::ofstream(script) << "#!/bin/sh\nulimit -v " << kib << "\nexec \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  return shell_quoted(script.string()) + " " + kBinary;
}

// What a job's address-space limit must allow for: `dry_run(start)` is the
// shell command of a --dry-run whose printing process is started by the
// words `start`. Run under a 2 GiB ulimit, its memory_bytes_available is
// what it had not mapped (libraries, CUDA's included, MPI's); `plan` is the
// plan. nullopt where 2 GiB is not the tightest bound (little free memory).
struct DryRunRoom {
  double mapped = 0;  // bytes mapped when the process checks its memory, before the graph
  nlohmann::json plan;

  // The ulimit -v (KiB) that leaves the process what it maps at the start,
  // the plan's graph (io::graph_bytes) and `beside` bytes more.
  std::int64_t limit_kib(double beside) const {
    const double graph = static_cast<double>(io::graph_bytes(plan["agents"].get<std::int64_t>(), plan["edges"].get<std::int64_t>()));
    return static_cast<std::int64_t>((mapped + graph + beside) / 1024);
  }
};
inline std::optional<DryRunRoom> dry_run_room(const fs::path& dir,
                                              const std::function<std::string(const std::string& start)>& dry_run) {
  constexpr std::int64_t probe_kib = std::int64_t{2} << 20;
  const auto plan_of = [&](const std::string& start) {
    const RunResult r = run(dry_run(start), dir, false);
    return r.rc == 0 ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
  };
  const nlohmann::json free = plan_of(kBinary), limited = plan_of(under_ulimit(dir, probe_kib));
  if (!free.contains("memory_bytes_available") || !limited.contains("memory_bytes_available") ||
      free["memory_bytes_available"].get<double>() < 3.0 * double(probe_kib) * 1024)
    return std::nullopt;
  return DryRunRoom{double(probe_kib) * 1024 - limited["memory_bytes_available"].get<double>(), limited};
}

}  // namespace trustprop::testing::cli
