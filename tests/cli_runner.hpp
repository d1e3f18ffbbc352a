// Runs the real `trustprop` binary for end-to-end tests: exit codes,
// messages, and what is (not) left on disk. The binary and the test data
// are the build's, unless TRUSTPROP_BINARY / TRUSTPROP_TEST_DATA name others
// (a relocated GPU bundle).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

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

inline const std::string kData = setting("TRUSTPROP_TEST_DATA", TRUSTPROP_TEST_DATA);

// Writes DIR/limited.sh, which runs its arguments with at most `kib` KiB of
// address space (ulimit -v, as a job scheduler sets it), and returns the
// shell words that start trustprop under it: "'DIR/limited.sh' trustprop".
inline std::string under_ulimit(const fs::path& dir, int kib) {
  const fs::path script = dir / "limited.sh";
  std::ofstream(script) << "#!/bin/sh\nulimit -v " << kib << "\nexec \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  return shell_quoted(script.string()) + " " + kBinary;
}

}  // namespace trustprop::testing::cli
