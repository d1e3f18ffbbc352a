// CPU signed trust kernels (equations in kernels/signed_trust.hpp), the
// reference for kernels/cuda/signed_trust.cu. Rows of the output are
// independent (OpenMP over rows); within a row every sum runs over the CSR
// row in order, and column norms over fixed agent blocks added in order, so
// the bits do not depend on the number of threads. The expressions are the
// ones the CUDA twin evaluates with __dmul_rn / __dadd_rn.
#include "kernels/signed_trust.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/executor.hpp"
#include "kernels/reduction.hpp"

namespace trustprop::kernels::cpu {

namespace {

// Below this many cells (rows × sources) a kernel runs on one thread: the
// order of every sum is fixed either way, and tiny batches are dominated by
// the cost of waking the OpenMP team.
constexpr std::int64_t parallel_cells = std::int64_t{1} << 16;

// out[s] = Σ over row r of m of value · x[column, s]  (out has k entries).
void row_product(const CsrView& m, std::int64_t r, const double* x, std::int64_t k, double* out) {
  std::fill(out, out + k, 0.0);
  for (std::int64_t e = m.indptr[r]; e < m.indptr[r + 1]; ++e) {
    const double v = m.values[e];
    const double* in = x + static_cast<std::int64_t>(m.indices[e]) * k;
    for (std::int64_t s = 0; s < k; ++s) out[s] = out[s] + v * in[s];
  }
}

}  // namespace

void signed_multiply(const CpuExecutor&, const CsrView& m, const double* x, std::int64_t k, double* y) {
#pragma omp parallel for schedule(dynamic, 64) if (m.rows * k >= parallel_cells)
  for (std::int64_t r = 0; r < m.rows; ++r) row_product(m, r, x, k, y + r * k);
}

void signed_combine(const CpuExecutor&, const CsrView& b, const CsrView& bt, const double* u, const double* v,
                    std::int64_t k, const SignedAlpha& alpha, double* x) {
#pragma omp parallel if (b.rows * k >= parallel_cells)
  {
    std::vector<double> cocitation(static_cast<std::size_t>(k)), coupling(static_cast<std::size_t>(k));
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t r = 0; r < b.rows; ++r) {
      row_product(bt, r, v, k, cocitation.data());
      row_product(b, r, u, k, coupling.data());
      for (std::int64_t s = 0; s < k; ++s) {
        const std::int64_t i = r * k + s;
        x[i] = alpha.direct * u[i] + alpha.cocitation * cocitation[static_cast<std::size_t>(s)] +
               alpha.transpose * v[i] + alpha.coupling * coupling[static_cast<std::size_t>(s)];
      }
    }
  }
}

void signed_normalize(const CpuExecutor&, std::int64_t n, std::int64_t k, double* x) {
  const std::int64_t blocks = (n + reduction_block - 1) / reduction_block;
  std::vector<double> partial(static_cast<std::size_t>(blocks * k), 0.0);
#pragma omp parallel for schedule(dynamic, 1) if (n * k >= parallel_cells)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    double* p = partial.data() + blk * k;
    const std::int64_t end = std::min(n, (blk + 1) * reduction_block);
    for (std::int64_t a = blk * reduction_block; a < end; ++a)
      for (std::int64_t s = 0; s < k; ++s) p[s] = p[s] + std::fabs(x[a * k + s]);
  }
  std::vector<double> norm(static_cast<std::size_t>(k), 0.0);
  for (std::int64_t blk = 0; blk < blocks; ++blk)
    for (std::int64_t s = 0; s < k; ++s) norm[static_cast<std::size_t>(s)] += partial[static_cast<std::size_t>(blk * k + s)];
#pragma omp parallel for schedule(static) if (n * k >= parallel_cells)
  for (std::int64_t a = 0; a < n; ++a)
    for (std::int64_t s = 0; s < k; ++s)
      if (norm[static_cast<std::size_t>(s)] > 0.0) x[a * k + s] /= norm[static_cast<std::size_t>(s)];
}

void signed_accumulate(const CpuExecutor&, std::int64_t count, double scale, const double* z, double* f) {
#pragma omp parallel for schedule(static) if (count >= parallel_cells)
  for (std::int64_t i = 0; i < count; ++i) f[i] = f[i] + scale * z[i];
}

}  // namespace trustprop::kernels::cpu
