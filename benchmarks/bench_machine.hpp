// What every benchmark records about the machine it ran on, and how busy
// other processes kept it, and how it reads its count lists and writes its
// JSON: one copy for every benchmarks/bench_* program (docs/benchmarks.md).
#pragma once

#include <omp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace trustprop::bench {

// stdout of a shell command, without its trailing newlines.
inline std::string run_command(const char* cmd) {
  std::string out;
  if (FILE* p = popen(cmd, "r")) {
    char buf[4096];
    std::size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The value of "key:" in lscpu's output, or "".
inline std::string lscpu_field(const std::string& lscpu, const std::string& key) {
  std::istringstream in(lscpu);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

inline std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

inline std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// CPU seconds spent by the whole machine (all CPUs, user+nice+system+irq+
// softirq+steal) and by this process, to tell how much of the machine other
// processes took while a measurement ran.
inline double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double self_busy_seconds() {
  std::ifstream in("/proc/self/stat");
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(content.substr(content.rfind(')') + 2));  // fields from 3 (state) on
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The share of all cores that other processes used since it was made, in
// [0, 1]: the machine's busy CPU time less this process's, over the wall
// time times the cores. /proc counts in ticks of 1/CLK_TCK s, so a short
// measurement can come out above 1: it is clamped.
class BackgroundMeter {
 public:
  BackgroundMeter() : machine0_(machine_busy_seconds()), self0_(self_busy_seconds()) {}
  double wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  double share() const {
    const double wall = wall_seconds();
    const double others = std::max(0.0, (machine_busy_seconds() - machine0_) - (self_busy_seconds() - self0_));
    return wall > 0 ? std::min(1.0, others / (wall * omp_get_num_procs())) : 0.0;
  }

 private:
  double machine0_, self0_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

inline nlohmann::ordered_json machine_info() {
  const std::string lscpu = run_command("LC_ALL=C lscpu 2>/dev/null");
  utsname u{};
  uname(&u);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (meminfo >> key) {
    if (key == "MemTotal:") {
      meminfo >> kb;
      break;
    }
    meminfo.ignore(1 << 12, '\n');
  }
  nlohmann::ordered_json m;
  m["cpu_model"] = lscpu_field(lscpu, "Model name");
  m["cores"] = omp_get_num_procs();
  m["sockets"] = lscpu_field(lscpu, "Socket(s)");
  m["threads_per_core"] = lscpu_field(lscpu, "Thread(s) per core");
  m["l2_cache"] = lscpu_field(lscpu, "L2 cache");
  m["l3_cache"] = lscpu_field(lscpu, "L3 cache");
  m["hypervisor"] = lscpu_field(lscpu, "Hypervisor vendor");
  m["memory_gib"] = std::round(kb / (1024.0 * 1024.0) * 10.0) / 10.0;
  m["kernel"] = std::string(u.sysname) + " " + u.release;
  m["compiler"] = fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
  return m;
}

// A comma-separated list of positive integers (--threads 1,2, --ks 8,32);
// anything else is a usage error naming the option.
inline std::vector<std::int64_t> parse_counts(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < 1) throw UsageError(option + ": '" + item + "' is not a positive integer");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError(option + ": give at least one value");
  return out;
}

// The result document, indented, or an I/O error naming the file.
inline void write_json(const std::string& path, const nlohmann::ordered_json& doc) {
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  f << doc.dump(2) << "\n";
  if (!f) throw IoError("error writing " + path);
}

}  // namespace trustprop::bench
