// An owning, typed, move-only buffer in an Executor's memory, and the CSR
// matrix built from three of them. Views (raw pointers) go to kernels.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/executor.hpp"

namespace trustprop::kernels {

template <class T>
class Array {
 public:
  Array() = default;
  Array(std::shared_ptr<const Executor> exec, std::size_t size) : exec_(std::move(exec)), size_(size) {
    if (size_ > 0) ptr_ = static_cast<T*>(exec_->allocate(size_ * sizeof(T)));
  }
  static Array from_host(std::shared_ptr<const Executor> exec, const T* src, std::size_t size) {
    Array a(std::move(exec), size);
    if (size > 0) a.exec_->copy_from_host(a.ptr_, src, size * sizeof(T));
    return a;
  }
  static Array from_host(std::shared_ptr<const Executor> exec, const std::vector<T>& src) {
    return from_host(std::move(exec), src.data(), src.size());
  }
  ~Array() { release(); }
  Array(Array&& o) noexcept : exec_(std::move(o.exec_)), ptr_(std::exchange(o.ptr_, nullptr)),
                              size_(std::exchange(o.size_, 0)) {}
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      release();
      exec_ = std::move(o.exec_);
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  std::size_t size() const { return size_; }
  const std::shared_ptr<const Executor>& executor() const { return exec_; }

  std::vector<T> to_host() const {
    std::vector<T> v(size_);
    if (size_ > 0) exec_->copy_to_host(v.data(), ptr_, size_ * sizeof(T));
    return v;
  }
  void copy_from(const Array& other) {  // same size, same executor
    if (size_ > 0) exec_->copy(ptr_, other.ptr_, size_ * sizeof(T));
  }

 private:
  void release() {
    if (ptr_) exec_->deallocate(ptr_);
    ptr_ = nullptr;
  }
  std::shared_ptr<const Executor> exec_;
  T* ptr_ = nullptr;
  std::size_t size_ = 0;
};

// Non-owning CSR view handed to kernels; the pointers live in the kernel's
// executor memory. Row i lists (column, value) pairs with columns ascending.
struct CsrView {
  std::int64_t rows = 0, cols = 0, nnz = 0;
  const std::int64_t* indptr = nullptr;
  const std::int32_t* indices = nullptr;
  const float* values = nullptr;
};

struct CsrMatrix {
  std::int64_t rows = 0, cols = 0;
  Array<std::int64_t> indptr;
  Array<std::int32_t> indices;
  Array<float> values;

  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
  CsrView view() const { return {rows, cols, nnz(), indptr.data(), indices.data(), values.data()}; }
};

}  // namespace trustprop::kernels
