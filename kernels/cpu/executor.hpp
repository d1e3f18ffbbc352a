// The CPU backend: host memory and OpenMP threads. It is the reference every
// GPU kernel is tested against, and the fallback on machines without a GPU.
#pragma once

#include "kernels/executor.hpp"

namespace trustprop::kernels::cpu {

class CpuExecutor final : public Executor {
 public:
  explicit CpuExecutor(int threads = 0);  // <= 0: OpenMP's default
  int threads() const { return threads_; }

  BackendKind kind() const override { return BackendKind::cpu; }
  std::string description() const override;
  std::string name() const override { return "cpu"; }
  std::string device_name() const override;
  void* allocate(std::size_t bytes) const override;
  void deallocate(void* ptr) const noexcept override;
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override;
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override;
  void copy(void* dst, const void* src, std::size_t bytes) const override;
  void synchronize() const override {}
  std::size_t available_memory() const override;

 private:
  int threads_;
};

}  // namespace trustprop::kernels::cpu
