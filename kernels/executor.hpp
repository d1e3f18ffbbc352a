// Where kernels run and where their memory lives. An Executor owns a device
// (the host CPU with its OpenMP threads, or one CUDA GPU with a stream and a
// cuSPARSE handle) and moves bytes to and from it. Host code holds a
// `const Executor&` and never names a backend; kernels::dispatch (dispatch.hpp)
// is the one place that turns it into the concrete type.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace trustprop::kernels {

enum class BackendKind { cpu, cuda };

class Executor : public std::enable_shared_from_this<Executor> {
 public:
  virtual ~Executor() = default;
  virtual BackendKind kind() const = 0;
  // One line for logs and provenance: "cpu (2 threads)", "cuda:0 NVIDIA H100 ...".
  virtual std::string description() const = 0;
  // Short name for results files: "cpu" or "cuda:N".
  virtual std::string name() const = 0;
  virtual std::string device_name() const = 0;

  virtual void* allocate(std::size_t bytes) const = 0;
  virtual void deallocate(void* ptr) const noexcept = 0;
  virtual void copy_from_host(void* dst, const void* src, std::size_t bytes) const = 0;
  virtual void copy_to_host(void* dst, const void* src, std::size_t bytes) const = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) const = 0;
  virtual void synchronize() const = 0;
  // Bytes this executor can still allocate (device memory, or host memory).
  virtual std::size_t available_memory() const = 0;
};

// Why `spec` is not one of "auto", "cpu", "cuda" or "cuda:N" (N a device
// number, 0 to 9999); "" when it is one.
std::string device_spec_problem(const std::string& spec);

// Chooses a backend from "auto", "cpu", "cuda" or "cuda:N" (DESIGN §1).
// "auto" takes GPU 0 when one is present, else the CPU. Throws UsageError for
// an unknown spec, InternalError (exit 70) when CUDA is asked for but this
// build has no CUDA backend or no GPU is present. `threads` <= 0 keeps the
// OpenMP default.
std::shared_ptr<const Executor> make_executor(const std::string& spec, int threads = 0);

// Number of usable CUDA devices (0 in a build without CUDA).
int cuda_device_count();

}  // namespace trustprop::kernels
