// W as the kernels see it. On a GPU: a copy in device memory. On the CPU,
// where executor memory is host memory: a view of the arrays io read, so a
// run never holds the graph twice (issue 7: resident bytes per edge).
#pragma once

#include <memory>

#include "io/graph.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

class ResidentGraph {
 public:
  // `graph` must outlive this object on the CPU backend.
  ResidentGraph(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& graph);
  const kernels::CsrView& view() const { return view_; }

 private:
  kernels::CsrMatrix copy_;  // empty on the CPU
  kernels::CsrView view_;
};

}  // namespace trustprop::host
