// How much host memory this process may still take: the least of the
// machine's available memory (/proc/meminfo's MemAvailable: free pages and
// the cache the kernel would reclaim), what its address-space limit (ulimit -v,
// RLIMIT_AS) leaves beside what it has mapped, and what its memory cgroup
// (a batch system's job limit: Slurm's --mem, a container's) leaves beside
// the cgroup's working set (usage less the inactive file cache, which the
// kernel reclaims first). The CPU backend's memory checks read it, so that
// a run refuses up front what the job's limit would kill it for later.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace trustprop::kernels::cpu {

std::size_t host_memory_available();

// The memory cgroup's room from its files' contents (for the tests): cgroup
// v2's memory.max ("max": none), memory.current and memory.stat's
// inactive_file, or v1's memory.limit_in_bytes, memory.usage_in_bytes and
// memory.stat's total_inactive_file. No limit, or unreadable: nullopt.
// MemAvailable of a /proc/meminfo text, in bytes; nullopt when absent.
std::optional<std::size_t> meminfo_available(const std::string& meminfo);

std::optional<std::size_t> cgroup_room(const std::string& limit, const std::string& usage, const std::string& stat,
                                       bool v2);

}  // namespace trustprop::kernels::cpu
