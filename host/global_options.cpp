#include <spdlog/spdlog.h>

#include "host/commands.hpp"

namespace trustprop::host {

std::shared_ptr<const kernels::Executor> GlobalOptions::executor() const {
  auto exec = kernels::make_executor(device, threads);
  if (device == "auto" && exec->kind() == kernels::BackendKind::cpu)
    spdlog::info("no GPU found: running on the CPU fallback");
  spdlog::info("device: {}", exec->description());
  return exec;
}

}  // namespace trustprop::host
