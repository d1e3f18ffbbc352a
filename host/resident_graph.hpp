// Host arrays as the kernels see them. On a GPU: a copy in device memory.
// On the CPU, where executor memory is host memory: the host array itself,
// so a run never holds its inputs twice (issue 7: resident bytes per edge).
#pragma once

#include <memory>
#include <vector>

#include "io/graph.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

// One array; `host` must outlive this object on the CPU backend.
template <class T>
class Resident {
 public:
  Resident() = default;
  Resident(const std::shared_ptr<const kernels::Executor>& exec, const std::vector<T>& host) : size_(host.size()) {
    if (exec->kind() == kernels::BackendKind::cpu) {
      data_ = host.data();
      return;
    }
    copy_ = kernels::Array<T>::from_host(exec, host);
    data_ = copy_.data();
  }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  kernels::Array<T> copy_;  // empty on the CPU
  const T* data_ = nullptr;
  std::size_t size_ = 0;
};

// W; `graph` must outlive this object on the CPU backend.
class ResidentGraph {
 public:
  ResidentGraph(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph)
      : indptr_(exec, graph.indptr), indices_(exec, graph.indices), values_(exec, graph.data),
        view_{graph.n, graph.n, graph.nnz(), indptr_.data(), indices_.data(), values_.data()} {}
  const kernels::CsrView& view() const { return view_; }

 private:
  Resident<std::int64_t> indptr_;
  Resident<std::int32_t> indices_;
  Resident<float> values_;
  kernels::CsrView view_;
};

}  // namespace trustprop::host
