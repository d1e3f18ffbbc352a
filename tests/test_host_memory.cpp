// The CPU backend's memory room (kernels/cpu/host_memory.hpp): a memory
// cgroup's limit less its working set, and the address-space limit less
// what the process has mapped, both below the machine's available memory
// (MemAvailable, which counts reclaimable file cache).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "kernels/cpu/host_memory.hpp"

using trustprop::kernels::cpu::cgroup_room;
using trustprop::kernels::cpu::host_memory_available;
using trustprop::kernels::cpu::meminfo_available;

TEST(HostMemory, CgroupRoomIsTheLimitLessTheWorkingSet) {
  // v2: 1000 allowed, 700 charged of which 300 inactive file cache: 600 left.
  EXPECT_EQ(cgroup_room("1000\n", "700\n", "anon 400\nfile 300\ninactive_file 300\nactive_file 0\n", true), 600u);
  // v1 names the cache total_inactive_file (inactive_file is the cgroup's own, without children).
  EXPECT_EQ(cgroup_room("1000\n", "700\n", "inactive_file 10\ntotal_inactive_file 200\n", false), 500u);
  // No statistics: all usage counts.
  EXPECT_EQ(cgroup_room("1000", "700", "", true), 300u);
  // Charged beyond the limit (reclaim pending): nothing left, not a wrapped-around number.
  EXPECT_EQ(cgroup_room("1000", "1500", "", true), 0u);
  // Cache larger than the usage read a moment earlier: the whole limit.
  EXPECT_EQ(cgroup_room("1000", "100", "inactive_file 300", true), 1000u);
}

TEST(HostMemory, MachineRoomIsMemAvailableNotMemFree) {
  // A node that has read a large graph: little free, much cache to reclaim.
  const std::string meminfo =
      "MemTotal:       24683784 kB\nMemFree:          411868 kB\nMemAvailable:   20950848 kB\n"
      "Buffers:           1000 kB\nCached:         20000000 kB\n";
  EXPECT_EQ(meminfo_available(meminfo), std::size_t{20950848} * 1024);
  EXPECT_FALSE(meminfo_available("MemTotal: 100 kB\nMemFree: 50 kB\n"));  // kernels before 3.14
  EXPECT_FALSE(meminfo_available(""));
}

TEST(HostMemory, NoCgroupLimitIsNoRoomToSay) {
  EXPECT_FALSE(cgroup_room("max\n", "700\n", "", true));
  EXPECT_FALSE(cgroup_room("", "", "", false));
}

TEST(HostMemory, AnAddressSpaceLimitBoundsTheRoom) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_AS, &before), 0);
  const std::size_t free_now = host_memory_available();
  ASSERT_GT(free_now, std::size_t{64} << 20);
  // Allow 64 MiB more than is mapped now (read from /proc/self/statm as the code does).
  long pages = 0;
  {
    FILE* f = std::fopen("/proc/self/statm", "r");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fscanf(f, "%ld", &pages), 1);
    std::fclose(f);
  }
  const rlim_t mapped = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
  rlimit lower = before;
  lower.rlim_cur = mapped + (rlim_t{64} << 20);
  if (before.rlim_max != RLIM_INFINITY && lower.rlim_cur > before.rlim_max) GTEST_SKIP() << "hard limit too low";
  ASSERT_EQ(setrlimit(RLIMIT_AS, &lower), 0);
  const std::size_t room = host_memory_available();
  ASSERT_EQ(setrlimit(RLIMIT_AS, &before), 0);
  EXPECT_LE(room, std::size_t{64} << 20);
  EXPECT_GT(room, std::size_t{32} << 20);  // what the test itself mapped meanwhile is far less
}
