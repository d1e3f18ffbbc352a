// The CUDA executor: one GPU, one non-blocking stream, one cuSPARSE handle
// bound to that stream, and a memory pool of the executor's own.
//
// Why a pool (cudaMallocFromPoolAsync) rather than cudaMalloc: kernels take
// small per-call workspaces (reduction partials, CUB temporary storage) on
// every iteration; a stream-ordered pool that keeps freed memory makes those
// allocations free of device-wide synchronisation and of driver calls. The
// pool keeps what is freed (release threshold = max), so available_memory()
// counts the pool's reserved-but-unused bytes as free, and an allocation that
// fails is retried once after trimming the pool (freed pieces may be too small
// for a large request). Destroying the executor releases the pool.
//
// Host copies are synchronous with respect to the host buffer (the caller may
// reuse or free it on return); device-to-device copies and kernels are
// ordered on the stream. Every kernel and library call that touches this
// executor's memory must go on stream(): allocations and frees are ordered
// on that stream, not on the legacy default stream.
#include "kernels/cuda/executor.hpp"

#include <cuda_runtime.h>
#include <cusparse.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "common/error.hpp"
#include "kernels/cuda/check.cuh"

namespace trustprop::kernels {

namespace {

struct DeviceCount {
  int count = 0;
  std::string reason;  // why there is none, when count == 0
};

// cudaGetDeviceCount fails (cudaErrorNoDevice, cudaErrorInsufficientDriver,
// ...) on machines without a GPU or driver: that is an answer, not an error.
DeviceCount query_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    static_cast<void>(cudaGetLastError());  // the failure is reported below; clear it from the runtime's state
    return {0, std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status)};
  }
  if (count == 0) return {0, "the CUDA runtime reports 0 devices"};
  return {count, {}};
}

std::string gib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / double(1ull << 30));
  return buf;
}

// For destructors and noexcept paths, which cannot throw: say what failed.
// A runtime that is already unloading (static destruction at exit) is not
// worth a warning.
void warn_if_failed(cudaError_t status, const char* call) noexcept {
  if (status == cudaSuccess || status == cudaErrorCudartUnloading) return;
  std::fprintf(stderr, "trustprop: warning: %s failed: %s (%s)\n", call, cudaGetErrorName(status),
               cudaGetErrorString(status));
}

}  // namespace

int cuda_device_count() { return query_device_count().count; }

namespace cuda {

struct CudaExecutor::State {
  cudaDeviceProp properties{};
  cudaStream_t stream = nullptr;
  cusparseHandle_t cusparse = nullptr;
  cudaMemPool_t pool = nullptr;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Also runs when the constructor throws half-way: releases what exists.
  ~State() {
    if (stream) warn_if_failed(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    if (cusparse) {
      const cusparseStatus_t status = cusparseDestroy(cusparse);
      if (status != CUSPARSE_STATUS_SUCCESS)
        std::fprintf(stderr, "trustprop: warning: cusparseDestroy failed: %s\n", cusparseGetErrorString(status));
    }
    if (pool) warn_if_failed(cudaMemPoolDestroy(pool), "cudaMemPoolDestroy");
    if (stream) warn_if_failed(cudaStreamDestroy(stream), "cudaStreamDestroy");
  }
};

CudaExecutor::CudaExecutor(int device) : device_(device), state_(std::make_unique<State>()) {
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(device));
  TRUSTPROP_CUDA_CHECK(cudaGetDeviceProperties(&state_->properties, device));
  TRUSTPROP_CUDA_CHECK(cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking));
  TRUSTPROP_CUSPARSE_CHECK(cusparseCreate(&state_->cusparse));
  TRUSTPROP_CUSPARSE_CHECK(cusparseSetStream(state_->cusparse, state_->stream));

  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  TRUSTPROP_CUDA_CHECK(cudaMemPoolCreate(&state_->pool, &props));
  std::uint64_t keep_all = std::numeric_limits<std::uint64_t>::max();
  TRUSTPROP_CUDA_CHECK(cudaMemPoolSetAttribute(state_->pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
}

CudaExecutor::~CudaExecutor() = default;

void* CudaExecutor::stream() const { return state_->stream; }
void* CudaExecutor::cusparse_handle() const { return state_->cusparse; }

std::string CudaExecutor::device_name() const { return state_->properties.name; }

std::string CudaExecutor::description() const {
  const cudaDeviceProp& p = state_->properties;
  return name() + " " + p.name + " (" + gib(p.totalGlobalMem) + ", cc " + std::to_string(p.major) + "." +
         std::to_string(p.minor) + ")";
}

void* CudaExecutor::allocate(std::size_t bytes) const {
  if (bytes == 0) return nullptr;
  void* ptr = nullptr;
  cudaError_t status = cudaMallocFromPoolAsync(&ptr, bytes, state_->pool, state_->stream);
  if (status == cudaErrorMemoryAllocation) {
    static_cast<void>(cudaGetLastError());  // handled here: clear it
    TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
    TRUSTPROP_CUDA_CHECK(cudaMemPoolTrimTo(state_->pool, 0));
    status = cudaMallocFromPoolAsync(&ptr, bytes, state_->pool, state_->stream);
  }
  if (status == cudaErrorMemoryAllocation) {
    static_cast<void>(cudaGetLastError());
    throw InternalError(name() + ": cannot allocate " + gib(bytes) + " (" + std::to_string(bytes) +
                        " bytes) of device memory; " + gib(available_memory()) + " free");
  }
  if (status != cudaSuccess)
    detail::throw_cuda_error(status, "cudaMallocFromPoolAsync(&ptr, bytes, pool, stream)", __FILE__, __LINE__);
  return ptr;
}

void CudaExecutor::deallocate(void* ptr) const noexcept {
  if (ptr) warn_if_failed(cudaFreeAsync(ptr, state_->stream), "cudaFreeAsync");
}

void CudaExecutor::copy_from_host(void* dst, const void* src, std::size_t bytes) const {
  if (bytes == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, state_->stream));
  TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
}

void CudaExecutor::copy_to_host(void* dst, const void* src, std::size_t bytes) const {
  if (bytes == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, state_->stream));
  TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
}

void CudaExecutor::copy(void* dst, const void* src, std::size_t bytes) const {
  if (bytes == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, state_->stream));
}

void CudaExecutor::synchronize() const { TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(state_->stream)); }

std::size_t CudaExecutor::available_memory() const {
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(device_));
  std::size_t free_bytes = 0, total_bytes = 0;
  TRUSTPROP_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  std::uint64_t reserved = 0, used = 0;
  TRUSTPROP_CUDA_CHECK(cudaMemPoolGetAttribute(state_->pool, cudaMemPoolAttrReservedMemCurrent, &reserved));
  TRUSTPROP_CUDA_CHECK(cudaMemPoolGetAttribute(state_->pool, cudaMemPoolAttrUsedMemCurrent, &used));
  return free_bytes + static_cast<std::size_t>(reserved - used);
}

std::shared_ptr<const Executor> make_cuda_executor(int device) {
  const DeviceCount devices = query_device_count();
  if (devices.count == 0)
    throw InternalError("cuda:" + std::to_string(device) + " was asked for, but no CUDA device is usable (" +
                        devices.reason + "); use --device cpu or --device auto");
  if (device < 0 || device >= devices.count)
    throw InternalError("cuda:" + std::to_string(device) + " was asked for, but this machine has " +
                        std::to_string(devices.count) + " CUDA device" + (devices.count == 1 ? "" : "s") +
                        " (cuda:0" + (devices.count > 1 ? "..cuda:" + std::to_string(devices.count - 1) : "") +
                        ")");
  return std::make_shared<CudaExecutor>(device);
}

}  // namespace cuda
}  // namespace trustprop::kernels
