#include <spdlog/spdlog.h>

#include <string>

#include "host/commands.hpp"
#include "host/world.hpp"

namespace trustprop::host {

std::shared_ptr<const kernels::Executor> GlobalOptions::executor() const {
  // Under MPI, "auto" and "cuda" give each process of a node its own GPU
  // (round robin over the node's GPUs); "cuda:N" is taken as it is.
  std::string spec = device;
  const Communicator& processes = world();
  const int gpus = processes.size() > 1 && (device == "auto" || device == "cuda") ? kernels::cuda_device_count() : 0;
  if (gpus > 0) spec = "cuda:" + std::to_string(processes.local_rank() % gpus);
  auto exec = kernels::make_executor(spec, threads);
  if (device == "auto" && exec->kind() == kernels::BackendKind::cpu)
    spdlog::info("no GPU found: running on the CPU fallback");
  spdlog::info("device: {}", exec->description());
  return exec;
}

}  // namespace trustprop::host
