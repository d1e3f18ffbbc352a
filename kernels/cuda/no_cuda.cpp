// Compiled instead of the CUDA backend when the build has no CUDA toolkit:
// the product is complete on the CPU, and asking for a GPU says why not.
#include "common/error.hpp"
#include "kernels/cuda/executor.hpp"

namespace trustprop::kernels {

int cuda_device_count() { return 0; }

namespace cuda {

std::shared_ptr<const Executor> make_cuda_executor(int) {
  throw InternalError(
      "this build of trustprop has no CUDA backend (configure on a machine with the CUDA toolkit, "
      "or use --device cpu)");
}

}  // namespace cuda
}  // namespace trustprop::kernels
