#include "kernels/cpu/executor.hpp"

#include <omp.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

#include "common/error.hpp"
#include "kernels/cpu/host_memory.hpp"

namespace trustprop::kernels::cpu {

CpuExecutor::CpuExecutor(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {
  omp_set_num_threads(threads_);
}

std::string CpuExecutor::device_name() const {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "CPU";
}

std::string CpuExecutor::description() const {
  return "cpu (" + std::to_string(threads_) + " OpenMP thread" + (threads_ == 1 ? "" : "s") + ", " + device_name() +
         ")";
}

void* CpuExecutor::allocate(std::size_t bytes) const {
  // 64-byte alignment: one cache line, and room for AVX-512 loads. Arrays of
  // 2 MiB and more are aligned to 2 MiB and offered to transparent huge
  // pages (where the kernel allows them only on request, MADV_HUGEPAGE): the
  // random gathers of an SpMV then miss the TLB far less often. A refusal
  // (no THP) changes nothing but the page size.
  constexpr std::size_t huge_page = std::size_t{2} << 20;
  const std::size_t alignment = bytes >= huge_page ? huge_page : 64;
  const std::size_t size = (bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, size);
  if (!p) throw InternalError("cpu: cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  if (alignment == huge_page) madvise(p, size, MADV_HUGEPAGE);
  return p;
}

void CpuExecutor::deallocate(void* ptr) const noexcept { std::free(ptr); }

void CpuExecutor::copy_from_host(void* dst, const void* src, std::size_t bytes) const { std::memcpy(dst, src, bytes); }
void CpuExecutor::copy_to_host(void* dst, const void* src, std::size_t bytes) const { std::memcpy(dst, src, bytes); }
void CpuExecutor::copy(void* dst, const void* src, std::size_t bytes) const { std::memcpy(dst, src, bytes); }

std::size_t CpuExecutor::available_memory() const { return host_memory_available(); }

}  // namespace trustprop::kernels::cpu
