// The host memory this process may still take (kernels/cpu/host_memory.hpp).
#include "kernels/cpu/host_memory.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

namespace trustprop::kernels::cpu {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

std::optional<std::uint64_t> number(const std::string& text) {
  std::istringstream in(text);
  std::uint64_t v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

// The value of `key` in a memory.stat text ("key value" lines); 0 when absent.
std::uint64_t stat_value(const std::string& stat, const std::string& key) {
  std::istringstream in(stat);
  for (std::string name; in >> name;) {
    std::uint64_t v = 0;
    if (!(in >> v)) break;
    if (name == key) return v;
  }
  return 0;
}

// This process's memory cgroup directory, from /proc/self/cgroup ("0::/path"
// for v2, "N:...memory...:/path" for v1); inside a container the path may
// not exist under /sys/fs/cgroup, whose top is then the container's own.
std::optional<std::size_t> own_cgroup_room() {
  std::istringstream lines(read_text("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    const bool v2 = line.compare(0, a, "0") == 0 && controllers.empty();
    std::istringstream names(controllers);
    bool memory = false;
    for (std::string c; std::getline(names, c, ',');) memory = memory || c == "memory";
    if (!v2 && !memory) continue;
    const std::string top = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    for (const std::string& dir : {top + path, top}) {
      const std::string limit = read_text(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"));
      if (limit.empty()) continue;
      return cgroup_room(limit, read_text(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes")),
                         read_text(dir + "/memory.stat"), v2);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> cgroup_room(const std::string& limit, const std::string& usage, const std::string& stat,
                                       bool v2) {
  const auto max = number(limit), used = number(usage);
  if (!max || !used) return std::nullopt;  // v2's "max", or unreadable
  const std::uint64_t cache = stat_value(stat, v2 ? "inactive_file" : "total_inactive_file");
  const std::uint64_t working = *used - std::min(*used, cache);
  return static_cast<std::size_t>(*max - std::min(*max, working));
}

std::optional<std::size_t> meminfo_available(const std::string& meminfo) {
  std::istringstream in(meminfo);
  for (std::string key; in >> key;) {
    std::uint64_t kib = 0;
    if (!(in >> kib)) break;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');  // the unit, "kB"
    if (key == "MemAvailable:") return static_cast<std::size_t>(kib) * 1024;
  }
  return std::nullopt;
}

std::size_t host_memory_available() {
  // MemAvailable counts the page cache the kernel would reclaim (a graph
  // file just read stays cached); kernels before 3.14 lack it: free pages.
  std::size_t room = meminfo_available(read_text("/proc/meminfo"))
                         .value_or(static_cast<std::size_t>(sysconf(_SC_AVPHYS_PAGES)) *
                                   static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    // /proc/self/statm: the pages mapped now, first.
    const std::size_t mapped = number(read_text("/proc/self/statm")).value_or(0) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    room = std::min<std::size_t>(room, as.rlim_cur - std::min<std::size_t>(as.rlim_cur, mapped));
  }
  if (const auto cgroup = own_cgroup_room()) room = std::min(room, *cgroup);
  return room;
}

}  // namespace trustprop::kernels::cpu
