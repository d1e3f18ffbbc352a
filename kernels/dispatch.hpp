// The one place where an Executor becomes a concrete backend. Host code
// writes `dispatch(exec, [&](const auto& e) { some_kernel(e, ...); })`; the
// unqualified call finds cpu::some_kernel or cuda::some_kernel by the
// argument's namespace. A build without CUDA compiles no CUDA branch.
#pragma once

#include <utility>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"
#include "kernels/executor.hpp"

namespace trustprop::kernels {

template <class F>
decltype(auto) dispatch(const Executor& exec, F&& f) {
  switch (exec.kind()) {
    case BackendKind::cpu:
      return std::forward<F>(f)(static_cast<const cpu::CpuExecutor&>(exec));
    case BackendKind::cuda:
#if TRUSTPROP_HAVE_CUDA
      return std::forward<F>(f)(static_cast<const cuda::CudaExecutor&>(exec));
#else
      break;
#endif
  }
  throw InternalError("this build of trustprop has no CUDA backend");
}

}  // namespace trustprop::kernels
