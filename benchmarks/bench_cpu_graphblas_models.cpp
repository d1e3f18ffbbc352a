// bench_cpu_graphblas_models: the personalized (SpMM) and fairness–goodness
// iterations of trustprop's CPU backend next to SuiteSparse:GraphBLAS doing
// the same iterations on the same graph, in the same process, with a STREAM
// triad probe and each iteration's compulsory-bytes floor (issue 7, item 5;
// docs/benchmarks.md).
//
//   bench_cpu_graphblas_models GRAPH.h5 -o result.json [--label NAME]
//                              [--ks 8,32] [--repeats 8] [--rounds 2]
//                              [--threads 1,2] [--restart 0.15]
//                              [--weight-divisor 1] [--skip-fairness-goodness]
//
// Personalized trust, k seed columns (seed c = agent ⌊c·n/k⌋, p_c = e_seed):
//   trustprop         kernels::cpu::personalized_step as `trustprop rank
//                     --model personalized` runs it: one pass over the
//                     weighted Cᵀ for all k columns, T agent-major n × k
//                     doubles, per-column dangling mass and ‖Δ‖₁
//   graphblas_fp64    the same iteration in GraphBLAS, T a full n × k matrix
//                     by row (trustprop's layout), Cᵀ with (1 − a) folded in:
//                       R  = Cᵀ T                     GrB_mxm PLUS_TIMES
//                       m  = Tᵀ d                     GrB_mxv (d: dangling indicator)
//                       s  = (1 − a)·m + a            GrB_assign, GrB_apply
//                       R += P·diag(s)                GrB_Matrix_diag, GrB_mxm accum PLUS
//                       Δ  = colsums |R − T|          eWiseAdd MINUS, apply ABS, reduce
//   graphblas_fp32    the same in FP32
// Fairness–goodness (Kumar et al. 2016; weights / divisor in [−1, 1]):
//   trustprop         kernels::cpu::fg_goodness_step then fg_fairness_step,
//                     float64 weights in both directions, Σ|Δg| and Σ|Δf|
//   graphblas_fp64    gsum = W_in f (PLUS_TIMES); g⟨has raters⟩ = gsum ./ indeg;
//                     fsum = W_out ⊕.|−| g (PLUS monoid, user op |w − g|);
//                     f⟨rates⟩ = 1 − fsum ./ (2·outdeg); Σ|Δ| of each by
//                     eWiseAdd MINUS, ABS, reduce
//
// Timing as bench_cpu_graphblas: two warm-up iterations per system, then
// `rounds` rounds in which every system in turn does one untimed and
// repeats/rounds timed iterations; medians of the timed ones. Every system
// starts from the same state and does the same number of iterations, and
// the JSON's agreement gives the distance between trustprop's vectors and
// GraphBLAS's at the end.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_graphblas.hpp"
#include "benchmarks/bench_machine.hpp"
#include "benchmarks/bench_main.hpp"
#include "common/error.hpp"
#include "common/version.hpp"
#include "host/fairness_goodness.hpp"
#include "host/resident_graph.hpp"
#include "io/graph_file.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/fairness_goodness.hpp"
#include "kernels/personalized.hpp"

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
namespace tk = trustprop::kernels;

namespace {

using trustprop::bench::BackgroundMeter;
using trustprop::bench::machine_info;
using trustprop::bench::read_first_line;
using trustprop::bench::seconds;
using trustprop::bench::Stats;
using trustprop::bench::stats_of;
using trustprop::bench::GrbTypes;
using trustprop::bench::Stream;
using trustprop::bench::utc_now;

class System {
 public:
  virtual ~System() = default;
  virtual std::string name() const = 0;
  virtual void reset() = 0;                      // back to the common start
  virtual double step() = 0;                     // one iteration; returns its total ‖Δ‖₁
  virtual std::vector<double> result() const = 0;  // the state, for the agreement check
};

// ---------------------------------------------------------------- GraphBLAS helpers

// A CSR matrix (int64 row pointers, int32 columns) as a GrB_Matrix stored by
// row, values value(k) in FP. GraphBLAS 7.4 builds from 64-bit tuples.
template <class FP, class Value>
GrB_Matrix matrix_from_csr(std::int64_t rows, std::int64_t cols, const std::int64_t* indptr,
                           const std::int32_t* indices, Value value) {
  const std::int64_t nnz = indptr[rows];
  std::vector<GrB_Index> r(static_cast<std::size_t>(nnz)), c(static_cast<std::size_t>(nnz));
  std::vector<FP> x(static_cast<std::size_t>(nnz));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      r[static_cast<std::size_t>(k)] = static_cast<GrB_Index>(i);
      c[static_cast<std::size_t>(k)] = static_cast<GrB_Index>(indices[k]);
      x[static_cast<std::size_t>(k)] = static_cast<FP>(value(k));
    }
  GrB_Matrix a = nullptr;
  GRB_OK(GrB_Matrix_new(&a, GrbTypes<FP>::type(), static_cast<GrB_Index>(rows), static_cast<GrB_Index>(cols)));
  GRB_OK(GxB_Matrix_Option_set(a, GxB_FORMAT, GxB_BY_ROW));
  GRB_OK(GrbTypes<FP>::build(a, r.data(), c.data(), x.data(), static_cast<GrB_Index>(nnz)));
  GRB_OK(GrB_Matrix_wait(a, GrB_MATERIALIZE));
  return a;
}

// A sparse vector of the given entries.
template <class FP>
GrB_Vector sparse_vector(std::int64_t n, const std::vector<GrB_Index>& at, const std::vector<FP>& x) {
  GrB_Vector v = nullptr;
  GRB_OK(GrB_Vector_new(&v, GrbTypes<FP>::type(), static_cast<GrB_Index>(n)));
  if (at.empty()) return v;  // (GraphBLAS refuses a build from null arrays)
  GRB_OK(GrbTypes<FP>::build(v, at.data(), x.data(), at.size()));
  return v;
}

template <class FP>
std::vector<double> vector_values(GrB_Vector v, std::int64_t n) {  // absent entries read as 0
  std::vector<GrB_Index> at(static_cast<std::size_t>(n));
  std::vector<FP> x(static_cast<std::size_t>(n));
  GrB_Index got = static_cast<GrB_Index>(n);
  GRB_OK(GrbTypes<FP>::tuples(at.data(), x.data(), &got, v));
  std::vector<double> out(static_cast<std::size_t>(n), 0.0);
  for (GrB_Index e = 0; e < got; ++e) out[at[e]] = static_cast<double>(x[e]);
  return out;
}

// Σ|a − b| over the union of entries (an entry missing on one side counts as 0).
template <class FP>
double l1_distance(GrB_Vector a, GrB_Vector b, std::int64_t n) {
  GrB_Vector d = nullptr;
  GRB_OK(GrB_Vector_new(&d, GrbTypes<FP>::type(), static_cast<GrB_Index>(n)));
  GRB_OK(GrB_Vector_eWiseAdd_BinaryOp(d, nullptr, nullptr, GrbTypes<FP>::minus(), a, b, nullptr));
  GRB_OK(GrB_Vector_apply(d, nullptr, nullptr, GrbTypes<FP>::abs(), d, nullptr));
  double s = 0;
  GRB_OK(GrB_Vector_reduce_FP64(&s, nullptr, GrbTypes<FP>::plus_monoid(), d, nullptr));
  GrB_Vector_free(&d);
  return s;
}

// ---------------------------------------------------------------- personalized

// The k seeds: agent ⌊c·n/k⌋ for column c (ascending, so P is sorted by agent).
std::vector<std::int32_t> seed_agents(std::int64_t n, std::int64_t k) {
  std::vector<std::int32_t> seed(static_cast<std::size_t>(k));
  for (std::int64_t c = 0; c < k; ++c) seed[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(c * n / k);
  return seed;
}

class TrustpropPersonalized final : public System {
 public:
  TrustpropPersonalized(std::shared_ptr<const tk::cpu::CpuExecutor> ex, const tk::Transition& tr, std::int64_t k,
                        double restart)
      : ex_(std::move(ex)), tr_(tr), n_(tr.ct.rows), k_(k), restart_(restart) {
    const std::vector<std::int32_t> seed = seed_agents(n_, k_);
    std::vector<std::int32_t> column(static_cast<std::size_t>(k_));
    std::vector<std::uint32_t> seeded(static_cast<std::size_t>((n_ + 31) / 32), 0u);
    for (std::int64_t c = 0; c < k_; ++c) {
      column[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(c);
      const std::int32_t s = seed[static_cast<std::size_t>(c)];
      seeded[static_cast<std::size_t>(s / 32)] |= 1u << (s % 32);
    }
    agent_ = tk::Array<std::int32_t>::from_host(ex_, seed);
    column_ = tk::Array<std::int32_t>::from_host(ex_, column);
    weight_ = tk::Array<double>::from_host(ex_, std::vector<double>(static_cast<std::size_t>(k_), 1.0));
    seeded_ = tk::Array<std::uint32_t>::from_host(ex_, seeded);
    active_ = tk::Array<std::uint8_t>::from_host(ex_, std::vector<std::uint8_t>(static_cast<std::size_t>(k_), 1));
    t_ = tk::Array<double>(ex_, static_cast<std::size_t>(n_ * k_));
    t_next_ = tk::Array<double>(ex_, static_cast<std::size_t>(n_ * k_));
  }
  std::string name() const override { return "trustprop"; }
  void reset() override { tk::cpu::personalized_start(*ex_, n_, k_, seeds(), t_.data()); }
  double step() override {
    const std::vector<double> r =
        tk::cpu::personalized_step(*ex_, tr_.ct.view(), tr_.dangling.data(), static_cast<std::int64_t>(tr_.dangling.size()),
                                   seeds(), k_, active_.data(), restart_, t_.data(), t_next_.data());
    std::swap(t_, t_next_);
    double s = 0;
    for (double x : r) s += x;
    return s;
  }
  std::vector<double> result() const override { return t_.to_host(); }  // agent-major n × k

 private:
  tk::SeedMatrixView seeds() const { return {k_, agent_.data(), column_.data(), weight_.data(), seeded_.data()}; }
  std::shared_ptr<const tk::cpu::CpuExecutor> ex_;
  const tk::Transition& tr_;
  std::int64_t n_, k_;
  double restart_;
  tk::Array<std::int32_t> agent_, column_;
  tk::Array<double> weight_;
  tk::Array<std::uint32_t> seeded_;
  tk::Array<std::uint8_t> active_;
  tk::Array<double> t_, t_next_;
};

template <class FP>
class GraphblasPersonalized final : public System {
 public:
  GraphblasPersonalized(const tk::Transition& tr, std::int64_t k, double restart)
      : n_(tr.ct.rows), k_(k), restart_(restart) {
    if (tr.block_width > 0) throw std::logic_error("GraphBLAS imports a plain Cᵀ");
    const std::vector<std::int64_t> indptr = tr.ct.indptr.to_host();
    const std::vector<std::int32_t> indices = tr.ct.indices.to_host();
    const std::vector<float> values = tr.ct.values.to_host();
    const double keep = 1.0 - restart;
    ct_ = matrix_from_csr<FP>(n_, n_, indptr.data(), indices.data(),
                              [&](std::int64_t e) { return keep * static_cast<double>(values[static_cast<std::size_t>(e)]); });
    const std::vector<std::int32_t> seed = seed_agents(n_, k_);
    std::vector<std::int64_t> p_ptr(static_cast<std::size_t>(n_) + 1, 0);
    for (const std::int32_t s : seed) ++p_ptr[static_cast<std::size_t>(s) + 1];
    for (std::int64_t i = 0; i < n_; ++i) p_ptr[static_cast<std::size_t>(i) + 1] += p_ptr[static_cast<std::size_t>(i)];
    std::vector<std::int32_t> p_col(static_cast<std::size_t>(k_));
    for (std::int64_t c = 0; c < k_; ++c) p_col[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(c);
    p_ = matrix_from_csr<FP>(n_, k_, p_ptr.data(), p_col.data(), [](std::int64_t) { return 1.0; });
    std::vector<GrB_Index> dangling;
    for (const std::int32_t i : tr.dangling.to_host()) dangling.push_back(static_cast<GrB_Index>(i));
    d_ = sparse_vector<FP>(n_, dangling, std::vector<FP>(dangling.size(), FP(1)));
    GRB_OK(GrB_Vector_new(&m_, GrbTypes<FP>::type(), static_cast<GrB_Index>(k_)));
    GRB_OK(GrB_Vector_new(&s_, GrbTypes<FP>::type(), static_cast<GrB_Index>(k_)));
    GRB_OK(GrB_Vector_new(&colsum_, GrbTypes<FP>::type(), static_cast<GrB_Index>(k_)));
  }
  ~GraphblasPersonalized() override {
    for (GrB_Matrix* a : {&ct_, &p_, &t_, &r_, &delta_}) GrB_Matrix_free(a);
    for (GrB_Vector* v : {&d_, &m_, &s_, &colsum_}) GrB_Vector_free(v);
  }
  std::string name() const override { return GrbTypes<FP>::name(); }
  void reset() override {
    GrB_Matrix_free(&t_);
    GRB_OK(GrB_Matrix_dup(&t_, p_));
    GRB_OK(GxB_Matrix_Option_set(t_, GxB_FORMAT, GxB_BY_ROW));
  }
  double step() override {
    GrB_Matrix_free(&r_);
    GRB_OK(GrB_Matrix_new(&r_, GrbTypes<FP>::type(), static_cast<GrB_Index>(n_), static_cast<GrB_Index>(k_)));
    GRB_OK(GxB_Matrix_Option_set(r_, GxB_FORMAT, GxB_BY_ROW));
    GRB_OK(GrB_mxm(r_, nullptr, nullptr, GrbTypes<FP>::plus_times(), ct_, t_, nullptr));  // (1 − a)·Cᵀ T
    GRB_OK(GrB_Vector_clear(m_));
    GRB_OK(GrB_mxv(m_, nullptr, nullptr, GrbTypes<FP>::plus_times(), t_, d_, GrB_DESC_T0));  // m = Tᵀ d
    GRB_OK(GrbTypes<FP>::assign(s_, static_cast<FP>(restart_), static_cast<GrB_Index>(k_)));  // s = a
    GRB_OK(GrbTypes<FP>::apply_2nd(s_, GrbTypes<FP>::plus(), GrbTypes<FP>::times(), m_,
                                   static_cast<FP>(1.0 - restart_)));  // s += (1 − a)·m
    GrB_Matrix diag = nullptr;
    GRB_OK(GrB_Matrix_diag(&diag, s_, 0));
    GRB_OK(GrB_mxm(r_, nullptr, GrbTypes<FP>::plus(), GrbTypes<FP>::plus_times(), p_, diag, nullptr));  // R += P·diag(s)
    GrB_Matrix_free(&diag);
    GrB_Matrix_free(&delta_);
    GRB_OK(GrB_Matrix_new(&delta_, GrbTypes<FP>::type(), static_cast<GrB_Index>(n_), static_cast<GrB_Index>(k_)));
    GRB_OK(GrB_Matrix_eWiseAdd_BinaryOp(delta_, nullptr, nullptr, GrbTypes<FP>::minus(), r_, t_, nullptr));
    GRB_OK(GrB_Matrix_apply(delta_, nullptr, nullptr, GrbTypes<FP>::abs(), delta_, nullptr));
    GRB_OK(GrB_Matrix_reduce_Monoid(colsum_, nullptr, nullptr, GrbTypes<FP>::plus_monoid(), delta_, GrB_DESC_T0));
    double total = 0;
    GRB_OK(GrB_Vector_reduce_FP64(&total, nullptr, GrbTypes<FP>::plus_monoid(), colsum_, nullptr));
    std::swap(t_, r_);
    return total;
  }
  std::vector<double> result() const override {  // agent-major n × k, as trustprop's
    const auto nnz_cap = static_cast<std::size_t>(n_ * k_);
    std::vector<GrB_Index> i(nnz_cap), j(nnz_cap);
    std::vector<FP> x(nnz_cap);
    GrB_Index got = nnz_cap;
    GRB_OK(GrbTypes<FP>::tuples(i.data(), j.data(), x.data(), &got, t_));
    std::vector<double> out(nnz_cap, 0.0);
    for (GrB_Index e = 0; e < got; ++e) out[i[e] * static_cast<GrB_Index>(k_) + j[e]] = static_cast<double>(x[e]);
    return out;
  }

 private:
  std::int64_t n_, k_;
  double restart_;
  GrB_Matrix ct_ = nullptr, p_ = nullptr, t_ = nullptr, r_ = nullptr, delta_ = nullptr;
  GrB_Vector d_ = nullptr, m_ = nullptr, s_ = nullptr, colsum_ = nullptr;
};

// Largest L1 distance between a column of `a` and the same column of `b`
// (both agent-major n × k).
double max_column_l1(const std::vector<double>& a, const std::vector<double>& b, std::int64_t k) {
  std::vector<double> d(static_cast<std::size_t>(k), 0.0);
  for (std::size_t e = 0; e < a.size(); ++e) d[e % static_cast<std::size_t>(k)] += std::fabs(a[e] - b[e]);
  return *std::max_element(d.begin(), d.end());
}

// ---------------------------------------------------------------- fairness–goodness

// Both directions of W with float64 weights w / divisor and the start,
// as the driver builds them (host::fairness_goodness_input).
struct Directions {
  const trustprop::io::Graph& graph;  // the out-direction pattern
  trustprop::host::FairnessGoodnessInput in;
  std::int64_t n;

  Directions(const trustprop::io::Graph& g, double divisor)
      : graph(g), in(trustprop::host::fairness_goodness_input(g, divisor, g.source)), n(g.n) {}
  std::int64_t nnz() const { return graph.nnz(); }
};

class TrustpropFairnessGoodness final : public System {
 public:
  TrustpropFairnessGoodness(std::shared_ptr<const tk::cpu::CpuExecutor> ex, const Directions& d)
      : ex_(std::move(ex)), d_(d) {
    out_ptr_ = tk::Array<std::int64_t>::from_host(ex_, d.graph.indptr);
    in_ptr_ = tk::Array<std::int64_t>::from_host(ex_, d.in.in_ptr);
    out_idx_ = tk::Array<std::int32_t>::from_host(ex_, d.graph.indices);
    in_idx_ = tk::Array<std::int32_t>::from_host(ex_, d.in.in_idx);
    out_w_ = tk::Array<double>::from_host(ex_, d.in.out_w);
    in_w_ = tk::Array<double>::from_host(ex_, d.in.in_w);
  }
  std::string name() const override { return "trustprop"; }
  void reset() override {
    f_ = tk::Array<double>::from_host(ex_, d_.in.f0);
    g_ = tk::Array<double>::from_host(ex_, d_.in.g0);
  }
  double step() override {
    const tk::CsrView64 in{d_.n, d_.n, d_.nnz(), in_ptr_.data(), in_idx_.data(), in_w_.data()};
    const tk::CsrView64 out{d_.n, d_.n, d_.nnz(), out_ptr_.data(), out_idx_.data(), out_w_.data()};
    const double dg = tk::cpu::fg_goodness_step(*ex_, in, f_.data(), g_.data());
    return dg + tk::cpu::fg_fairness_step(*ex_, out, g_.data(), f_.data());
  }
  std::vector<double> result() const override {  // f then g
    std::vector<double> r = f_.to_host(), g = g_.to_host();
    r.insert(r.end(), g.begin(), g.end());
    return r;
  }

 private:
  std::shared_ptr<const tk::cpu::CpuExecutor> ex_;
  const Directions& d_;
  tk::Array<std::int64_t> out_ptr_, in_ptr_;
  tk::Array<std::int32_t> out_idx_, in_idx_;
  tk::Array<double> out_w_, in_w_, f_, g_;
};

void absolute_difference(void* z, const void* x, const void* y) {
  *static_cast<double*>(z) = std::fabs(*static_cast<const double*>(x) - *static_cast<const double*>(y));
}

class GraphblasFairnessGoodness final : public System {
 public:
  explicit GraphblasFairnessGoodness(const Directions& d) : d_(d) {
    w_in_ = matrix_from_csr<double>(d.n, d.n, d.in.in_ptr.data(), d.in.in_idx.data(),
                                    [&](std::int64_t e) { return d.in.in_w[static_cast<std::size_t>(e)]; });
    w_out_ = matrix_from_csr<double>(d.n, d.n, d.graph.indptr.data(), d.graph.indices.data(),
                                     [&](std::int64_t e) { return d.in.out_w[static_cast<std::size_t>(e)]; });
    std::vector<GrB_Index> rated, raters;
    std::vector<double> in_deg, out_deg2;
    for (std::size_t v = 0; v < static_cast<std::size_t>(d.n); ++v) {
      const auto in_degree = d.in.in_ptr[v + 1] - d.in.in_ptr[v], out_degree = d.graph.indptr[v + 1] - d.graph.indptr[v];
      if (in_degree > 0) rated.push_back(v), in_deg.push_back(static_cast<double>(in_degree));
      if (out_degree > 0) raters.push_back(v), out_deg2.push_back(2.0 * static_cast<double>(out_degree));
    }
    in_deg_ = sparse_vector<double>(d.n, rated, in_deg);
    out_deg2_ = sparse_vector<double>(d.n, raters, out_deg2);
    GRB_OK(GrB_BinaryOp_new(&absdiff_, absolute_difference, GrB_FP64, GrB_FP64, GrB_FP64));
    GRB_OK(GrB_Semiring_new(&plus_absdiff_, GrB_PLUS_MONOID_FP64, absdiff_));
    for (GrB_Vector* v : {&sum_, &tmp_}) GRB_OK(GrB_Vector_new(v, GrB_FP64, static_cast<GrB_Index>(d.n)));
  }
  ~GraphblasFairnessGoodness() override {
    for (GrB_Matrix* a : {&w_in_, &w_out_}) GrB_Matrix_free(a);
    for (GrB_Vector* v : {&in_deg_, &out_deg2_, &f_, &g_, &sum_, &tmp_}) GrB_Vector_free(v);
    GrB_Semiring_free(&plus_absdiff_);
    GrB_BinaryOp_free(&absdiff_);
  }
  std::string name() const override { return "graphblas_fp64"; }
  void reset() override {
    std::vector<GrB_Index> all(static_cast<std::size_t>(d_.n));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    GrB_Vector_free(&f_);
    GrB_Vector_free(&g_);
    f_ = sparse_vector<double>(d_.n, all, d_.in.f0);
    g_ = sparse_vector<double>(d_.n, all, d_.in.g0);
  }
  double step() override {
    // Goodness: g⟨rated⟩ = (W_in f) ./ indeg.
    GrB_Vector old = nullptr;
    GRB_OK(GrB_Vector_dup(&old, g_));
    GRB_OK(GrB_Vector_clear(sum_));
    GRB_OK(GrB_mxv(sum_, nullptr, nullptr, GrB_PLUS_TIMES_SEMIRING_FP64, w_in_, f_, nullptr));
    GRB_OK(GrB_Vector_eWiseMult_BinaryOp(g_, in_deg_, nullptr, GrB_DIV_FP64, sum_, in_deg_, GrB_DESC_S));
    const double dg = l1_distance<double>(g_, old, d_.n);
    GrB_Vector_free(&old);
    // Fairness: f⟨rates⟩ = 1 − (W_out ⊕.|−| g) ./ (2·outdeg).
    GRB_OK(GrB_Vector_dup(&old, f_));
    GRB_OK(GrB_Vector_clear(sum_));
    GRB_OK(GrB_mxv(sum_, nullptr, nullptr, plus_absdiff_, w_out_, g_, nullptr));
    GRB_OK(GrB_Vector_clear(tmp_));
    GRB_OK(GrB_Vector_eWiseMult_BinaryOp(tmp_, nullptr, nullptr, GrB_DIV_FP64, sum_, out_deg2_, nullptr));
    GRB_OK(GrB_Vector_apply_BinaryOp1st_FP64(f_, out_deg2_, nullptr, GrB_MINUS_FP64, 1.0, tmp_, GrB_DESC_S));
    const double df = l1_distance<double>(f_, old, d_.n);
    GrB_Vector_free(&old);
    return dg + df;
  }
  std::vector<double> result() const override {
    std::vector<double> r = vector_values<double>(f_, d_.n), g = vector_values<double>(g_, d_.n);
    r.insert(r.end(), g.begin(), g.end());
    return r;
  }

 private:
  const Directions& d_;
  GrB_Matrix w_in_ = nullptr, w_out_ = nullptr;
  GrB_Vector in_deg_ = nullptr, out_deg2_ = nullptr, f_ = nullptr, g_ = nullptr, sum_ = nullptr, tmp_ = nullptr;
  GrB_BinaryOp absdiff_ = nullptr;
  GrB_Semiring plus_absdiff_ = nullptr;
};

// ---------------------------------------------------------------- measurement

struct Protocol {
  int warmup = 2, rounds = 2, per_round = 4;
  int iterations() const { return warmup + rounds * (1 + per_round); }
};

// Runs every system from its start for protocol.iterations() iterations,
// interleaved by rounds, at the current thread count; returns, per system,
// the JSON entry with its timings (ratios to systems[1] and, when present,
// systems[2]) and, in `results`, each system's final state.
json measure(std::vector<std::unique_ptr<System>>& systems, const Protocol& protocol, double floor_s,
             std::vector<std::vector<double>>& results, double& background_share) {
  const BackgroundMeter background;
  std::vector<std::vector<double>> samples(systems.size());
  std::vector<double> last(systems.size(), 0.0);
  for (auto& s : systems) {
    s->reset();
    for (int w = 0; w < protocol.warmup; ++w) s->step();
  }
  for (int r = 0; r < protocol.rounds; ++r)
    for (std::size_t q = 0; q < systems.size(); ++q) {
      systems[q]->step();  // untimed: this system's data back in cache after the others ran
      for (int i = 0; i < protocol.per_round; ++i) {
        const auto a = Clock::now();
        last[q] = systems[q]->step();
        samples[q].push_back(seconds(a, Clock::now()));
      }
    }
  background_share = background.share();
  results.clear();
  for (auto& s : systems) results.push_back(s->result());
  std::vector<Stats> st;
  for (auto& v : samples) st.push_back(stats_of(v));
  json sys = json::object();
  for (std::size_t q = 0; q < systems.size(); ++q) {
    json e = {{"median_seconds", st[q].median}, {"min_seconds", st[q].min}, {"mean_seconds", st[q].mean},
              {"ratio_to_floor", st[q].median / floor_s}, {"ratio_to_" + systems[1]->name(), st[q].median / st[1].median}};
    if (systems.size() > 2) e["ratio_to_" + systems[2]->name()] = st[q].median / st[2].median;
    e["last_total_change"] = last[q];
    e["samples_seconds"] = samples[q];
    sys[systems[q]->name()] = e;
  }
  return sys;
}

double l1(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s;
}

void print_table(const json& sys, const char* ratio_key) {
  for (const auto& [name, e] : sys.items())
    std::printf("    %-16s median %10.4f s  min %10.4f s  x floor %7.2f  x %s %6.3f\n", name.c_str(),
                e["median_seconds"].get<double>(), e["min_seconds"].get<double>(), e["ratio_to_floor"].get<double>(),
                ratio_key, e[std::string("ratio_to_") + ratio_key].get<double>());
}


int run(int argc, char** argv) {
  CLI::App app{"trustprop CPU personalized (SpMM) and fairness-goodness iterations vs SuiteSparse:GraphBLAS"};
  std::string graph_path, out_path, label, threads_spec = "1,2", ks_spec = "8,32";
  int repeats = 8, rounds = 2, stream_trials = 20;
  double restart = 0.15, divisor = 1.0;
  bool skip_fg = false;
  std::size_t stream_mib = 128;
  app.add_option("graph", graph_path, "graph file (HDF5, DESIGN §2)")->required()->check(CLI::ExistingFile);
  app.add_option("--out,-o", out_path, "write the JSON result here")->required();
  app.add_option("--label", label, "name of the graph in the results (default: the file name)");
  app.add_option("--ks", ks_spec, "comma-separated numbers of seed columns for personalized trust");
  app.add_option("--repeats", repeats, "timed iterations per system, k and thread count")->check(CLI::Range(1, 10000));
  app.add_option("--rounds", rounds, "interleaving rounds the timed iterations are split into")->check(CLI::Range(1, 100));
  app.add_option("--threads", threads_spec, "comma-separated thread counts");
  app.add_option("--restart", restart, "restart probability a of personalized trust")->check(CLI::Range(0.0, 1.0));
  app.add_option("--weight-divisor", divisor, "fairness-goodness: divide weights by this (they must end in [-1, 1])")
      ->check(CLI::PositiveNumber);
  app.add_flag("--skip-fairness-goodness", skip_fg, "measure personalized trust only");
  app.add_option("--stream-mib", stream_mib, "size of each STREAM array in MiB")->check(CLI::Range(1, 1 << 16));
  CLI11_PARSE(app, argc, argv);
  const std::vector<std::int64_t> thread_counts = trustprop::bench::parse_counts(threads_spec, "--threads"),
                                  ks = trustprop::bench::parse_counts(ks_spec, "--ks");
  Protocol protocol;
  protocol.rounds = std::min(rounds, repeats);
  protocol.per_round = (repeats + protocol.rounds - 1) / protocol.rounds;
  if (label.empty()) {
    label = graph_path.substr(graph_path.find_last_of('/') + 1);
    label = label.substr(0, label.rfind(".h5"));
  }

  json out;
  out["benchmark"] = "bench_cpu_graphblas_models";
  out["label"] = label;
  out["date_utc"] = utc_now();
  out["machine"] = machine_info();
  out["load_average_before"] = read_first_line("/proc/loadavg");
  out["trustprop"] = {{"version", trustprop::version_string}, {"git_revision", trustprop::git_revision}};
  const trustprop::io::Graph g = trustprop::io::read_graph(graph_path);
  auto ex = std::make_shared<tk::cpu::CpuExecutor>(
      static_cast<int>(*std::max_element(thread_counts.begin(), thread_counts.end())));
  const tk::Transition tr = tk::cpu::build_transition(*ex, trustprop::host::ResidentGraph(ex, g).view(),
                                                      tk::TransitionForm::weighted);  // what personalized uses
  const std::int64_t n = g.n, nnz_ct = tr.ct.nnz();
  out["graph"] = {{"label", label}, {"path", graph_path}, {"source", g.source}, {"n", n}, {"nnz", g.nnz()},
                  {"nnz_transition", nnz_ct}, {"dangling", tr.dangling.size()}, {"content_hash", g.content_hash}};
  out["method"] = {{"warmup_iterations", protocol.warmup}, {"rounds", protocol.rounds},
                   {"timed_iterations", protocol.rounds * protocol.per_round},
                   {"iterations_per_system", protocol.iterations()}, {"restart", restart},
                   {"seeds", "column c seeds agent floor(c*n/k)"}, {"weight_divisor", divisor}};
  std::fprintf(stderr, "[bench] %s: n=%lld nnz=%lld (Cᵀ %lld), dangling=%zu\n", label.c_str(), (long long)n,
               (long long)g.nnz(), (long long)nnz_ct, tr.dangling.size());

  GRB_OK(GrB_init(GrB_NONBLOCKING));
  {
    int v[3] = {0, 0, 0};
    GxB_Global_Option_get(GxB_LIBRARY_VERSION, v);
    out["graphblas"] = {{"library", "SuiteSparse:GraphBLAS"}, {"version", fmt::format("{}.{}.{}", v[0], v[1], v[2])}};
  }
  Stream stream(stream_mib);
  std::unique_ptr<Directions> directions;
  if (!skip_fg) directions = std::make_unique<Directions>(g, divisor);
  json runs = json::array();
  for (const int threads : thread_counts) {
    omp_set_num_threads(threads);
    GRB_OK(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, threads));
    const double gbps = stream.triad_gbps(stream_trials);
    json run_entry = {{"threads", threads}, {"stream_triad_GBps", gbps}};
    std::printf("\n%s  n=%lld  nnz=%lld  threads=%d  STREAM triad %.2f GB/s\n", label.c_str(), (long long)n,
                (long long)g.nnz(), threads, gbps);

    // Personalized: Cᵀ (8 B per entry, 8 B row pointer per agent), T read
    // and T' written once (16 B per agent and column).
    json personalized = json::array();
    for (const int k : ks) {
      const double floor_bytes = 8.0 * nnz_ct + 8.0 * (n + 1) + 16.0 * n * k;
      std::vector<std::unique_ptr<System>> systems;
      systems.push_back(std::make_unique<TrustpropPersonalized>(ex, tr, k, restart));
      systems.push_back(std::make_unique<GraphblasPersonalized<double>>(tr, k, restart));
      systems.push_back(std::make_unique<GraphblasPersonalized<float>>(tr, k, restart));
      std::vector<std::vector<double>> results;
      double busy = 0;
      const json sys = measure(systems, protocol, floor_bytes / (gbps * 1e9), results, busy);
      const double l1_64 = max_column_l1(results[0], results[1], k), l1_32 = max_column_l1(results[0], results[2], k);
      const json agreement = {{"max_column_l1_trustprop_vs_graphblas_fp64", l1_64},
                              {"max_column_l1_trustprop_vs_graphblas_fp32", l1_32}};
      personalized.push_back({{"k", k}, {"floor_bytes", floor_bytes}, {"background_cpu_share", busy},
                              {"systems", sys}, {"agreement", agreement}});
      std::printf("  personalized k=%d  floor %.1f MB  (other processes %.0f%%)  max column L1 vs GrB fp64 %.2e, "
                  "fp32 %.2e\n",
                  k, floor_bytes / 1e6, 100 * busy, l1_64, l1_32);
      print_table(sys, "graphblas_fp64");
      std::fflush(stdout);
    }
    run_entry["personalized"] = personalized;

    // Fairness–goodness: both directions (4 B index + 8 B weight per edge
    // each, 8 B row pointer per agent each), f and g read and written once.
    if (directions) {
      const double floor_bytes = 24.0 * static_cast<double>(g.nnz()) + 16.0 * (n + 1) + 32.0 * n;
      std::vector<std::unique_ptr<System>> systems;
      systems.push_back(std::make_unique<TrustpropFairnessGoodness>(ex, *directions));
      systems.push_back(std::make_unique<GraphblasFairnessGoodness>(*directions));
      std::vector<std::vector<double>> results;
      double busy = 0;
      const json sys = measure(systems, protocol, floor_bytes / (gbps * 1e9), results, busy);
      const auto half = static_cast<std::ptrdiff_t>(n);
      const std::vector<double> f0(results[0].begin(), results[0].begin() + half), f1(results[1].begin(), results[1].begin() + half);
      const std::vector<double> g0(results[0].begin() + half, results[0].end()), g1(results[1].begin() + half, results[1].end());
      const json agreement = {{"l1_fairness_trustprop_vs_graphblas", l1(f0, f1)},
                              {"l1_goodness_trustprop_vs_graphblas", l1(g0, g1)}};
      run_entry["fairness_goodness"] = {{"floor_bytes", floor_bytes}, {"background_cpu_share", busy},
                                        {"systems", sys}, {"agreement", agreement}};
      std::printf("  fairness-goodness  floor %.1f MB  (other processes %.0f%%)  L1 f %.2e, L1 g %.2e\n",
                  floor_bytes / 1e6, 100 * busy, l1(f0, f1), l1(g0, g1));
      print_table(sys, "graphblas_fp64");
      std::fflush(stdout);
    }
    runs.push_back(run_entry);
  }
  out["runs"] = runs;
  out["load_average_after"] = read_first_line("/proc/loadavg");
  GrB_finalize();

  trustprop::bench::write_json(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return trustprop::bench::bench_main("bench_cpu_graphblas_models", run, argc, argv);
}
