// The CUDA backend's executor: one GPU, one stream, one cuSPARSE handle.
// This header is plain C++ (no CUDA types), so host code compiled by the
// C++ compiler can hold and dispatch on it.
#pragma once

#include <memory>

#include "kernels/executor.hpp"

namespace trustprop::kernels::cuda {

class CudaExecutor final : public Executor {
 public:
  explicit CudaExecutor(int device);
  ~CudaExecutor() override;
  int device() const { return device_; }
  void* stream() const;            // cudaStream_t
  void* cusparse_handle() const;   // cusparseHandle_t

  BackendKind kind() const override { return BackendKind::cuda; }
  std::string description() const override;
  std::string name() const override { return "cuda:" + std::to_string(device_); }
  std::string device_name() const override;
  void* allocate(std::size_t bytes) const override;
  void deallocate(void* ptr) const noexcept override;
  void copy_from_host(void* dst, const void* src, std::size_t bytes) const override;
  void copy_to_host(void* dst, const void* src, std::size_t bytes) const override;
  void copy(void* dst, const void* src, std::size_t bytes) const override;
  void synchronize() const override;
  std::size_t available_memory() const override;

 private:
  struct State;
  int device_;
  std::unique_ptr<State> state_;
};

// Creates the executor for GPU `device`; throws InternalError (exit 70) in a
// build without CUDA or when the device does not exist.
std::shared_ptr<const Executor> make_cuda_executor(int device);

}  // namespace trustprop::kernels::cuda
