// The fixture of the CPU-versus-GPU equivalence tests: a CPU executor and
// the first GPU, or the test skipped with the reason shown (no device, or a
// build without CUDA), so that CI without a GPU still compiles them.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "common/error.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"
#include "kernels/executor.hpp"

namespace trustprop::testing {

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int devices = kernels::cuda_device_count();
    try {
      gpu = kernels::cuda::make_cuda_executor(0);
    } catch (const Error& e) {
      GTEST_SKIP() << "no CUDA device: " << e.what() << " (cuda_device_count() = " << devices << ")";
    }
    cpu = std::make_shared<kernels::cpu::CpuExecutor>();
  }
  std::shared_ptr<const kernels::Executor> gpu, cpu;
};

}  // namespace trustprop::testing
