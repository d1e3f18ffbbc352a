// An Executor of either kind with a fixed amount of free memory, for the
// memory checks: it copies nothing, and allocating throws (a run that got
// past every check reaches it).
#pragma once

#include <cstddef>
#include <string>

#include "common/error.hpp"
#include "kernels/executor.hpp"

namespace trustprop::testing {

class FakeExecutor final : public kernels::Executor {
 public:
  FakeExecutor(kernels::BackendKind kind, std::size_t free_bytes) : kind_(kind), free_(free_bytes) {}
  kernels::BackendKind kind() const override { return kind_; }
  std::string description() const override { return name() + " fake"; }
  std::string name() const override { return kind_ == kernels::BackendKind::cuda ? "cuda:0" : "cpu"; }
  std::string device_name() const override { return "fake"; }
  void* allocate(std::size_t) const override { throw InternalError("the fake executor allocates nothing"); }
  void deallocate(void*) const noexcept override {}
  void copy_from_host(void*, const void*, std::size_t) const override {}
  void copy_to_host(void*, const void*, std::size_t) const override {}
  void copy(void*, const void*, std::size_t) const override {}
  void synchronize() const override {}
  std::size_t available_memory() const override { return free_; }

 private:
  kernels::BackendKind kind_;
  std::size_t free_;
};

}  // namespace trustprop::testing
