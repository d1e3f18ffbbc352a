// Error checks for CUDA runtime and cuSPARSE calls. Every call into either
// goes through one of these macros; a failure throws trustprop::InternalError
// (exit 70, DESIGN §5) whose message names the call as written, the file and
// line, and the library's own error name and text, e.g.
//   CUDA error: cudaMalloc(&p, bytes) at kernels/cuda/executor.cu:42:
//   cudaErrorMemoryAllocation (out of memory)
// TRUSTPROP_CUDA_CHECK_LAUNCH() goes right after every kernel launch: it
// reports a bad launch configuration at the launch, not at a later call.
#pragma once

#include <cuda_runtime.h>
#include <cusparse.h>

#include <string>

#include "common/error.hpp"

namespace trustprop::kernels::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  throw InternalError(std::string("CUDA error: ") + call + " at " + file + ":" + std::to_string(line) + ": " +
                      cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

[[noreturn]] inline void throw_cusparse_error(cusparseStatus_t status, const char* call, const char* file, int line) {
  throw InternalError(std::string("cuSPARSE error: ") + call + " at " + file + ":" + std::to_string(line) + ": " +
                      cusparseGetErrorName(status) + " (" + cusparseGetErrorString(status) + ")");
}

}  // namespace trustprop::kernels::cuda::detail

#define TRUSTPROP_CUDA_CHECK(call)                                                                 \
  do {                                                                                             \
    const cudaError_t trustprop_status_ = (call);                                                  \
    if (trustprop_status_ != cudaSuccess)                                                          \
      ::trustprop::kernels::cuda::detail::throw_cuda_error(trustprop_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define TRUSTPROP_CUSPARSE_CHECK(call)                                                             \
  do {                                                                                             \
    const cusparseStatus_t trustprop_status_ = (call);                                             \
    if (trustprop_status_ != CUSPARSE_STATUS_SUCCESS)                                              \
      ::trustprop::kernels::cuda::detail::throw_cusparse_error(trustprop_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After each kernel launch: a launch error (bad configuration, too many
// resources) is reported here; errors inside the kernel surface at the next
// synchronising call, which is checked as well.
#define TRUSTPROP_CUDA_CHECK_LAUNCH() TRUSTPROP_CUDA_CHECK(cudaGetLastError())
