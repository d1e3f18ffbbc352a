#include "kernels/executor.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"

namespace trustprop::kernels {

std::string device_spec_problem(const std::string& spec) {
  if (spec == "auto" || spec == "cpu" || spec == "cuda") return "";
  const std::size_t digits = spec.size() - std::min<std::size_t>(spec.size(), 5);
  if (spec.rfind("cuda:", 0) == 0 && digits >= 1 && digits <= 4 &&
      std::all_of(spec.begin() + 5, spec.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "";
  return "'" + spec + "' is not a backend: expected auto, cpu, cuda or cuda:N (N the GPU's number)";
}

std::shared_ptr<const Executor> make_executor(const std::string& spec, int threads) {
  if (const std::string problem = device_spec_problem(spec); !problem.empty())
    throw UsageError("--device: " + problem);
  if (spec == "cpu") return std::make_shared<cpu::CpuExecutor>(threads);
  if (spec == "auto") {
    if (cuda_device_count() > 0) return cuda::make_cuda_executor(0);
    return std::make_shared<cpu::CpuExecutor>(threads);
  }
  return cuda::make_cuda_executor(spec == "cuda" ? 0 : std::stoi(spec.substr(5)));
}

}  // namespace trustprop::kernels
