// Helpers of the checkpoint tests (tests/test_checkpoint*.cpp): a small
// simulation configuration, running the binary as a child process that can
// be killed, and comparing run directories field by field.
#pragma once

#include <hdf5.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"

namespace trustprop::testing::ckpt {

namespace fs = std::filesystem;

// A generated city small enough that an epoch takes milliseconds.
inline fs::path write_config(const fs::path& dir, std::int64_t epochs, std::int64_t every = 1,
                             const std::string& extra = "") {
  const fs::path p = dir / "city.toml";
  std::ofstream(p) << "[run]\nname = \"ckpt\"\nepochs = " << epochs
                   << "\nseed = 7\n[graph]\nagents = 3000\nmean_degree = 12.0\n[output]\ntrust_every = 3\n"
                   << "[checkpoint]\nevery = " << every << "\nkeep = 3\n"
                   << extra;
  return p;
}

// The trustprop binary as a child process, its output in scratch/child.{out,err}.
// `file_size_limit` > 0 caps the size of every file it writes (RLIMIT_FSIZE: a
// write past it fails with EFBIG, as on a full disk).
inline pid_t spawn(const std::vector<std::string>& args, const fs::path& scratch, rlim_t file_size_limit = 0) {
  std::vector<std::string> argv{cli::kBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string out = (scratch / "child.out").string(), err = (scratch / "child.err").string();
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen(err.c_str(), "w", stderr);
    // The stop signals as a batch job gets them, even under a test runner started with nohup.
    for (const int stop : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) signal(stop, SIG_DFL);
    if (file_size_limit > 0) {
      signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
      const rlimit lim{file_size_limit, file_size_limit};
      setrlimit(RLIMIT_FSIZE, &lim);
    }
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  return pid;
}

// Waits for the child: its exit code, or -signal when a signal ended it.
inline int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Whether the child is still running; when it has ended, collects it and sets `rc` as wait_for does.
inline bool running(pid_t pid, int& rc) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == 0) return true;
  rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return false;
}

// Whether `dir` holds a checkpoint being written (a temporary, *.tmp-<pid>).
inline bool has_temporary(const fs::path& dir) {
  std::error_code none;  // the directory may not exist yet
  for (const auto& e : fs::directory_iterator(dir, none))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

inline int run_child(const std::vector<std::string>& args, const fs::path& scratch, rlim_t file_size_limit = 0) {
  return wait_for(spawn(args, scratch, file_size_limit));
}

inline std::string child_stderr(const fs::path& scratch) { return cli::slurp(scratch / "child.err"); }

inline std::vector<std::string> simulate_args(const fs::path& config, const fs::path& run_dir,
                                              std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--device", "cpu", "--threads", "2", "--log-level", "warn",
                             "simulate", config.string(), "--run-dir", run_dir.string()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// How many checkpoint files (complete or not) the run directory holds.
inline std::size_t list_size(const fs::path& run_dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(run_dir / "checkpoints")) n += e.path().extension() == ".h5";
  return n;
}

// metrics.jsonl without the fields that measure time (seconds*): everything
// else is deterministic and must match bit for bit.
inline std::vector<std::string> deterministic_metrics(const fs::path& run_dir) {
  std::vector<std::string> lines;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    for (auto it = j.begin(); it != j.end();) it = it.key().rfind("seconds", 0) == 0 ? j.erase(it) : std::next(it);
    lines.push_back(j.dump());
  }
  return lines;
}

// Every dataset of an HDF5 file with its raw bytes, except time measurements
// (/metrics/seconds*).
inline std::map<std::string, std::vector<unsigned char>> deterministic_datasets(const fs::path& file) {
  std::map<std::string, std::vector<unsigned char>> out;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return out;
  std::vector<std::string> names;
  H5Lvisit(
      f, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  for (const std::string& name : names) {
    if (name.rfind("metrics/seconds", 0) == 0) continue;
    const hid_t ds = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
    if (ds < 0) continue;  // a group
    const hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type));
    H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    out[name] = std::move(bytes);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(ds);
  }
  H5Fclose(f);
  return out;
}

}  // namespace trustprop::testing::ckpt
