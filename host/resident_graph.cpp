#include "host/resident_graph.hpp"

namespace trustprop::host {

ResidentGraph::ResidentGraph(const std::shared_ptr<const kernels::Executor>& exec, const io::Graph& g) {
  if (exec->kind() == kernels::BackendKind::cpu) {
    view_ = {g.n, g.n, g.nnz(), g.indptr.data(), g.indices.data(), g.data.data()};
    return;
  }
  copy_.rows = copy_.cols = g.n;
  copy_.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  copy_.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  copy_.values = kernels::Array<float>::from_host(exec, g.data);
  view_ = copy_.view();
}

}  // namespace trustprop::host
