#include "kernels/executor.hpp"

#include <cstdlib>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"

namespace trustprop::kernels {

std::shared_ptr<const Executor> make_executor(const std::string& spec, int threads) {
  if (spec == "cpu") return std::make_shared<cpu::CpuExecutor>(threads);
  if (spec == "auto") {
    if (cuda_device_count() > 0) return cuda::make_cuda_executor(0);
    return std::make_shared<cpu::CpuExecutor>(threads);
  }
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    int device = 0;
    if (spec.size() > 5) {
      char* end = nullptr;
      const long d = std::strtol(spec.c_str() + 5, &end, 10);
      if (*end != '\0' || d < 0) throw UsageError("--device " + spec + ": expected cuda:N with N >= 0");
      device = static_cast<int>(d);
    }
    return cuda::make_cuda_executor(device);
  }
  throw UsageError("--device " + spec + ": expected auto, cpu, cuda or cuda:N");
}

}  // namespace trustprop::kernels
