// bench_cpu_graphblas: trustprop's CPU EigenTrust iteration next to
// SuiteSparse:GraphBLAS doing the same iteration on the same graph, in the
// same process, plus a STREAM triad probe and the compulsory-bytes floor
// (DESIGN §8; issues 2 and 7). See docs/benchmarks.md for what every number
// means.
//
//   bench_cpu_graphblas GRAPH.h5 --out result.json [--label NAME]
//                       [--repeats 20] [--rounds 4] [--threads 1,2]
//                       [--restart 0.15] [--stream-mib 128]
//
// The transition Cᵀ is built once with trustprop (kernels::cpu::build_transition),
// in the form `trustprop rank` uses (value-free when every row of W gives
// equal shares; SELL-8 rows: kernels/eigentrust.hpp), and also as plain
// CSR, with its values where it has none, and source-blocked where the
// CPU's block policy blocks it. Every system then iterates from the same
// start (uniform pre-trust p = 1/n) for the same number of iterations:
//
//   trustprop         kernels::cpu::eigentrust_step as `trustprop rank` runs it
//                     (value-free Cᵀ where the graph allows, else float values;
//                     gather from a float32 copy of t or t/d, double
//                     accumulation and vectors, one fused pass, returns ‖Δ‖₁)
//   trustprop_fp64_gather  the same gathering in double: the
//                     reduced-precision lever switched off
//   trustprop_with_values  (value-free graphs only) the float32 gather on
//                     the weighted Cᵀ: the value-folding lever switched off
//   trustprop_csr     (when rank stores SELL-8) the float32 gather on the
//                     plain CSR Cᵀ: the SIMD (SELL-8) lever switched off
//   trustprop_blocked (graphs the block policy blocks: the city) the float32
//                     gather on the source-blocked CSR Cᵀ, the layout before
//                     SELL-8
//   graphblas_fp32    LAGr_PageRank's iteration (LAGraph), FP32 as LAGraph,
//                     on the weighted Cᵀ (PLUS_TIMES)
//   graphblas_fp64    the same in FP64 (like-for-like accumulation)
//   graphblas_fp32_structural  (value-free graphs only) LAGr_PageRank as
//                     LAGraph writes it for unweighted graphs: the pattern of
//                     Cᵀ as an iso matrix, w = t ./ d, r += Cᵀ PLUS_SECOND w
//
// The GraphBLAS iteration, on Cᵀ imported once by row with the damping
// (1 − a) folded into its values (LAGraph folds it into d_out):
//   m        = reduce(+, t(dangling))            GrB_Vector_extract + reduce
//   teleport = (a + (1 − a)·m) / n
//   r        = teleport                         GrB_assign (scalar)
//   r       += Cᵀ t                             GrB_mxv PLUS_TIMES, accum PLUS
//   t       -= r ; t = |t| ; rdiff = reduce(+, t)
//   swap(t, r)
// which is t' = (1 − a)(Cᵀt + m·p) + a·p with p = 1/n: EigenTrust's update.
//
// Timing: after two untimed warm-up iterations per system, `rounds` rounds;
// in each round every system in turn does one untimed iteration (cache
// warm-up after the other systems ran) and repeats/rounds timed ones. Rounds
// interleave the systems so that background load hits all of them alike.
// Reported: median and min seconds per iteration over the timed iterations.
#include <omp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
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
#include "io/graph_file.hpp"
#include "kernels/array.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cpu/sell.hpp"
#include "kernels/cpu/source_blocks.hpp"
#include "kernels/eigentrust.hpp"

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
namespace tk = trustprop::kernels;

namespace {

using trustprop::bench::machine_info;
using trustprop::bench::utc_now;
using trustprop::bench::read_first_line;
using trustprop::bench::BackgroundMeter;
using trustprop::bench::seconds;
using trustprop::bench::Stats;
using trustprop::bench::stats_of;
using trustprop::bench::GrbTypes;
using trustprop::bench::Stream;

// ---------------------------------------------------------------- systems

class System {
 public:
  virtual ~System() = default;
  virtual std::string name() const = 0;
  virtual void reset() = 0;          // t = p
  virtual double step() = 0;         // one iteration; returns ‖Δ‖₁
  virtual std::vector<double> result() const = 0;
  // Compulsory bytes of one iteration in this system's own storage format.
  virtual double format_bytes() const = 0;
};

// trustprop's step as `trustprop rank` runs it: with float32_gather (the
// default) Cᵀt gathers from a float32 copy of t (of t·source_scale on a
// value-free Cᵀ); without, from t itself or, value-free, from t·source_scale
// in double (the lever switched off, to measure it on its own).
class TrustpropSystem final : public System {
 public:
  TrustpropSystem(std::string name, std::shared_ptr<const tk::cpu::CpuExecutor> ex, const tk::Transition& tr,
                  double restart, bool float32_gather)
      : name_(std::move(name)), ex_(std::move(ex)), tr_(tr), restart_(restart), float32_gather_(float32_gather) {
    const auto n = static_cast<std::size_t>(tr_.ct.rows);
    p_ = tk::Array<double>::from_host(ex_, std::vector<double>(n, 1.0 / static_cast<double>(n)));
    t_ = tk::Array<double>(ex_, n);
    t_next_ = tk::Array<double>(ex_, n);
    if (float32_gather_) {
      x32_ = tk::Array<float>(ex_, n);
      x32_next_ = tk::Array<float>(ex_, n);
    } else if (tr_.value_free) {
      x64_ = tk::Array<double>(ex_, n);
      x64_next_ = tk::Array<double>(ex_, n);
    }
  }
  std::string name() const override { return name_; }
  void reset() override {
    t_.copy_from(p_);
    std::vector<double> x = p_.to_host();
    if (tr_.value_free) {
      const std::vector<double> scale = tr_.source_scale.to_host();
      for (std::size_t i = 0; i < x.size(); ++i) x[i] *= scale[i];
    }
    if (float32_gather_)
      x32_ = tk::Array<float>::from_host(ex_, std::vector<float>(x.begin(), x.end()));
    else if (tr_.value_free)
      x64_ = tk::Array<double>::from_host(ex_, x);
  }
  double step() override {
    const tk::GatherVectors g{x32_.data(),
                              x32_next_.data(),
                              x64_.data(),
                              x64_next_.data(),
                              tr_.value_free ? tr_.source_scale.data() : nullptr,
                              tk::source_blocks(tr_), tk::sell_chunks(tr_)};
    const double res = tk::cpu::eigentrust_step(*ex_, tr_.ct.view(), tr_.dangling.data(),
                                                static_cast<std::int64_t>(tr_.dangling.size()), p_.data(), restart_,
                                                t_.data(), t_next_.data(), g);
    std::swap(t_, t_next_);
    std::swap(x32_, x32_next_);
    std::swap(x64_, x64_next_);
    return res;
  }
  std::vector<double> result() const override { return t_.to_host(); }
  double format_bytes() const override {
    const double n = static_cast<double>(tr_.ct.rows), nnz = static_cast<double>(tr_.ct.nnz());
    // The gathered copy read once and written once; a value-free Cᵀ also reads source_scale.
    const double gathered = float32_gather_ ? 4 + 4 : (tr_.value_free ? 8 + 8 : 0);
    const double per_entry = tr_.value_free ? 4 : 4 + 4;
    // Row offsets: int64 per row, uint32 per row and source block, or per
    // SELL-8 chunk an int64 offset and per lane its row and length.
    const double offsets = tr_.block_width > 0        ? static_cast<double>(tr_.block_indptr.size()) * 4
                           : tr_.sell_rows.size() > 0 ? static_cast<double>(tr_.sell_offsets.size()) * 8 +
                                                            static_cast<double>(tr_.sell_rows.size()) * 8
                                                      : (n + 1) * 8;
    return nnz * per_entry + offsets + n * (8 * 3 + gathered + (tr_.value_free ? 8 : 0)) +
           static_cast<double>(tr_.dangling.size()) * 4;
  }

 private:
  std::string name_;
  std::shared_ptr<const tk::cpu::CpuExecutor> ex_;
  const tk::Transition& tr_;
  double restart_;
  bool float32_gather_;
  tk::Array<double> p_, t_, t_next_, x64_, x64_next_;
  tk::Array<float> x32_, x32_next_;
};

// LAGr_PageRank's iteration on Cᵀ (see the top of this file). Structural:
// Cᵀ's pattern as an iso matrix and w = t .* ((1 − a)/d), as LAGraph runs
// it on an unweighted graph (a value-free Cᵀ); else the weighted Cᵀ with
// the damping folded into its values.
template <class FP>
class GraphblasSystem final : public System {
  using T = GrbTypes<FP>;

 public:
  GraphblasSystem(const tk::Transition& tr, double restart) : restart_(restart), structural_(tr.value_free) {
    if (tr.block_width > 0 || tr.sell_rows.size() > 0)
      throw std::logic_error("GraphBLAS imports a plain CSR Cᵀ, not a source-blocked or SELL-8 one");
    const tk::CsrView ct = tr.ct.view();
    n_ = static_cast<GrB_Index>(ct.rows);
    nnz_ = static_cast<GrB_Index>(ct.nnz);
    // GraphBLAS 7.4 keeps 64-bit indices: copy Cᵀ into malloc'd arrays that
    // GxB_Matrix_import_CSR takes over (no second copy inside GraphBLAS).
    const GrB_Index values = structural_ ? 1 : std::max<GrB_Index>(nnz_, 1);
    auto* ap = static_cast<GrB_Index*>(std::malloc((n_ + 1) * sizeof(GrB_Index)));
    auto* aj = static_cast<GrB_Index*>(std::malloc(std::max<GrB_Index>(nnz_, 1) * sizeof(GrB_Index)));
    auto* ax = static_cast<FP*>(std::malloc(values * sizeof(FP)));
    if (!ap || !aj || !ax) throw trustprop::InternalError("GraphBLAS: cannot allocate the import arrays");
    const double keep = 1.0 - restart_;
    const std::int64_t rows = ct.rows, nnz = ct.nnz;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i <= rows; ++i) ap[i] = static_cast<GrB_Index>(ct.indptr[i]);
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < nnz; ++k) {
      aj[k] = static_cast<GrB_Index>(ct.indices[k]);
      if (!structural_) ax[k] = static_cast<FP>(keep * static_cast<double>(ct.values[k]));  // damping folded in
    }
    if (structural_) {
      ax[0] = 1;
      // (1 − a)/d_i, the damping folded into the degrees as LAGraph does.
      const std::vector<double> scale = tr.source_scale.to_host();
      GRB_OK(GrB_Vector_new(&inv_degree_, T::type(), n_));
      std::vector<GrB_Index> all(n_);
      std::vector<FP> x(n_);
      for (GrB_Index i = 0; i < n_; ++i) all[i] = i, x[i] = static_cast<FP>(keep * scale[i]);
      GRB_OK(T::build(inv_degree_, all.data(), x.data(), n_));
      GRB_OK(GrB_Vector_new(&w_, T::type(), n_));
    }
    GRB_OK(GxB_Matrix_import_CSR(&a_, T::type(), n_, n_, &ap, &aj, reinterpret_cast<void**>(&ax),
                              (n_ + 1) * sizeof(GrB_Index), std::max<GrB_Index>(nnz_, 1) * sizeof(GrB_Index),
                              values * sizeof(FP), structural_, false, nullptr));
    GRB_OK(GrB_Matrix_wait(a_, GrB_MATERIALIZE));
    int format = -1;
    GRB_OK(GxB_Matrix_Option_get(a_, GxB_FORMAT, &format));
    TRUSTPROP_ASSERT(format == GxB_BY_ROW, "GraphBLAS matrix is not stored by row");
    sinks_.assign(tr.dangling.data(), tr.dangling.data() + tr.dangling.size());
    GRB_OK(GrB_Vector_new(&t_, T::type(), n_));
    GRB_OK(GrB_Vector_new(&r_, T::type(), n_));
    GRB_OK(GrB_Vector_new(&sink_vals_, T::type(), std::max<GrB_Index>(sinks_.size(), 1)));
  }
  ~GraphblasSystem() override {
    GrB_Vector_free(&w_);
    GrB_Vector_free(&inv_degree_);
    GrB_Vector_free(&sink_vals_);
    GrB_Vector_free(&r_);
    GrB_Vector_free(&t_);
    GrB_Matrix_free(&a_);
  }
  std::string name() const override { return std::string(T::name()) + (structural_ ? "_structural" : ""); }

  void reset() override {
    GRB_OK(T::assign(t_, static_cast<FP>(1.0 / static_cast<double>(n_)), n_));  // t = 1/n, as LAGraph starts
    GRB_OK(GrB_Vector_wait(t_, GrB_MATERIALIZE));
  }

  double step() override {
    // Dangling (sink) mass: t at the dangling agents, reduced.
    FP m = 0;
    if (!sinks_.empty()) {
      GRB_OK(GrB_Vector_extract(sink_vals_, nullptr, nullptr, t_, sinks_.data(), sinks_.size(), nullptr));
      GRB_OK(T::reduce(&m, sink_vals_));
    }
    const FP teleport = static_cast<FP>((restart_ + (1.0 - restart_) * static_cast<double>(m)) / static_cast<double>(n_));
    GRB_OK(T::assign(r_, teleport, n_));                                                  // r = teleport
    if (structural_) {
      GRB_OK(GrB_Vector_eWiseMult_BinaryOp(w_, nullptr, nullptr, T::times(), t_, inv_degree_, nullptr));  // w = t .* (1−a)/d
      GRB_OK(GrB_mxv(r_, nullptr, T::plus(), T::plus_second(), a_, w_, nullptr));       // r += Cᵀ w
    } else {
      GRB_OK(GrB_mxv(r_, nullptr, T::plus(), T::plus_times(), a_, t_, nullptr));         // r += Cᵀ t
    }
    GRB_OK(GrB_Vector_assign(t_, nullptr, T::minus(), r_, GrB_ALL, n_, nullptr));         // t -= r
    GRB_OK(GrB_Vector_apply(t_, nullptr, nullptr, T::abs(), t_, nullptr));                // t = |t|
    FP rdiff = 0;
    GRB_OK(T::reduce(&rdiff, t_));                                                        // rdiff = Σ t
    GRB_OK(GrB_Vector_wait(r_, GrB_MATERIALIZE));
    std::swap(t_, r_);
    return static_cast<double>(rdiff);
  }

  std::vector<double> result() const override {
    GrB_Index k = n_;
    std::vector<GrB_Index> idx(n_);
    std::vector<FP> val(n_);
    GRB_OK(T::tuples(idx.data(), val.data(), &k, t_));
    std::vector<double> out(n_, 0.0);
    for (GrB_Index q = 0; q < k; ++q) out[idx[q]] = static_cast<double>(val[q]);
    return out;
  }

  double format_bytes() const override {
    const double n = static_cast<double>(n_), nnz = static_cast<double>(nnz_);
    // Structural: no values, but w = t .* (1−a)/d reads two vectors and writes one.
    const double per_entry = structural_ ? 8 : 8 + sizeof(FP);
    const double vectors = structural_ ? 5 : 2;
    return nnz * per_entry + (n + 1) * 8 + n * sizeof(FP) * vectors + static_cast<double>(sinks_.size()) * 8;
  }

 private:
  double restart_;
  bool structural_;
  GrB_Index n_ = 0, nnz_ = 0;
  GrB_Matrix a_ = nullptr;
  GrB_Vector t_ = nullptr, r_ = nullptr, sink_vals_ = nullptr, inv_degree_ = nullptr, w_ = nullptr;
  std::vector<GrB_Index> sinks_;
};

double l1_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s;
}
double sum_of(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x;
  return s;
}


std::string fmt_s(double s) { return s < 1e-2 ? fmt::format("{:.3f} ms", s * 1e3) : fmt::format("{:.4f} s", s); }

int run(int argc, char** argv) {
  CLI::App app{"trustprop CPU EigenTrust iteration vs SuiteSparse:GraphBLAS, with a STREAM probe and the bytes floor"};
  std::string graph_path, out_path, label, threads_spec = "1,2";
  int repeats = 20, rounds = 4, stream_trials = 20;
  double restart = 0.15;
  std::size_t stream_mib = 128;
  app.add_option("graph", graph_path, "graph file (HDF5, DESIGN §2)")->required()->check(CLI::ExistingFile);
  app.add_option("--out,-o", out_path, "write the JSON result here")->required();
  app.add_option("--label", label, "name of the graph in the results (default: the file name)");
  app.add_option("--repeats", repeats, "timed iterations per system and thread count (>= 20 recommended)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--rounds", rounds, "interleaving rounds the timed iterations are split into")->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads_spec, "comma-separated thread counts");
  app.add_option("--restart", restart, "restart probability a (same p and a for every system)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--stream-mib", stream_mib, "size of each STREAM array in MiB")->check(CLI::Range(1, 1 << 16));
  app.add_option("--stream-trials", stream_trials, "STREAM triad trials (best is reported)")->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  const std::vector<std::int64_t> thread_counts = trustprop::bench::parse_counts(threads_spec, "--threads");
  rounds = std::min(rounds, repeats);
  const int per_round = (repeats + rounds - 1) / rounds;
  repeats = per_round * rounds;
  if (label.empty()) {
    label = graph_path.substr(graph_path.find_last_of('/') + 1);
    label = label.substr(0, label.rfind(".h5"));
  }
  const int max_threads = static_cast<int>(*std::max_element(thread_counts.begin(), thread_counts.end()));

  json out;
  out["benchmark"] = "cpu_eigentrust";
  out["label"] = label;
  out["date_utc"] = utc_now();
  out["machine"] = machine_info();
  out["load_average_before"] = read_first_line("/proc/loadavg");
  out["trustprop"] = {{"version", trustprop::version_string}, {"git_revision", trustprop::git_revision}};

  // ---- graph and transition
  auto t0 = Clock::now();
  const trustprop::io::Graph g = trustprop::io::read_graph(graph_path);
  const double read_s = seconds(t0, Clock::now());
  auto ex = std::make_shared<tk::cpu::CpuExecutor>(max_threads);
  // The transition `trustprop rank` builds (value-free when the graph
  // allows, SELL-8) and beside it, where they differ, the weighted, the
  // plain CSR and the source-blocked ones: GraphBLAS reads plain CSR.
  tk::Transition tr, tr_weighted, tr_plain, tr_blocked;
  double transition_s = 0;
  {
    tk::CsrMatrix w;
    w.rows = w.cols = g.n;
    w.indptr = tk::Array<std::int64_t>::from_host(ex, g.indptr);
    w.indices = tk::Array<std::int32_t>::from_host(ex, g.indices);
    w.values = tk::Array<float>::from_host(ex, g.data);
    t0 = Clock::now();
    tr = tk::cpu::build_transition(*ex, w.view(), tk::TransitionForm::eigentrust);
    transition_s = seconds(t0, Clock::now());
    if (tr.value_free) tr_weighted = tk::cpu::build_transition(*ex, w.view(), tk::TransitionForm::weighted);
    if (tr.block_width > 0 || tr.sell_rows.size() > 0)
      tr_plain = tk::cpu::build_transition(*ex, w.view(), tk::TransitionForm::value_free_if_uniform);
    if (const std::int64_t width = tk::cpu::auto_block_width(g.n, g.nnz()); width > 0 && tr.block_width == 0)
      tr_blocked = tk::cpu::build_transition(*ex, w.view(), tk::TransitionForm::eigentrust, width);
  }
  const bool csr = tr.block_width == 0 && tr.sell_rows.size() == 0;
  const bool blocked = tr_blocked.block_width > 0;
  const tk::Transition& plain = csr ? tr : tr_plain;
  const tk::Transition& weighted = tr.value_free ? tr_weighted : plain;
  const std::int64_t n = g.n, nnz_ct = plain.ct.nnz(), n_dangling = static_cast<std::int64_t>(tr.dangling.size());
  const std::int64_t source_blocks = tr.block_width > 0 ? (n + tr.block_width - 1) / tr.block_width : 1;
  const std::string layout = tr.block_width > 0 ? "source-blocked CSR" : csr ? "CSR" : "SELL-8";
  std::fprintf(stderr,
               "[bench] %s: n=%lld nnz=%lld (Cᵀ %lld%s, %s, %lld stored entries), dangling=%lld; read %.2fs, "
               "transition %.2fs\n",
               label.c_str(), (long long)n, (long long)g.nnz(), (long long)nnz_ct, tr.value_free ? ", value-free" : "",
               layout.c_str(), (long long)tr.ct.nnz(), (long long)n_dangling, read_s, transition_s);
  out["graph"] = {{"label", label},          {"path", graph_path},      {"source", g.source},
                  {"n", n},                  {"nnz", g.nnz()},          {"nnz_transition", nnz_ct},
                  {"dangling", n_dangling},  {"value_free", tr.value_free}, {"content_hash", g.content_hash},
                  {"layout", layout},        {"stored_entries", tr.ct.nnz()},
                  {"simd", tr.sell_rows.size() > 0 ? tk::cpu::simd_name(tk::cpu::simd_level()) : "none"},
                  {"source_blocks", source_blocks}, {"block_width", tr.block_width}};

  // ---- GraphBLAS
  GRB_OK(GrB_init(GrB_NONBLOCKING));
  GRB_OK(GxB_Global_Option_set(GxB_BURBLE, false));
  {
    int v[3] = {0, 0, 0};
    GxB_Global_Option_get(GxB_LIBRARY_VERSION, v);
    out["graphblas"] = {{"library", "SuiteSparse:GraphBLAS"},
                        {"version", fmt::format("{}.{}.{}", v[0], v[1], v[2])},
                        {"method", "LAGr_PageRank iteration on the row-normalised Cᵀ (by row, pull GrB_mxv, "
                                   "PLUS_TIMES, accum PLUS), damping folded into the values; sink mass by "
                                   "GrB_Vector_extract + reduce; residual t -= r, abs, reduce"}};
  }
  GRB_OK(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, max_threads));
  t0 = Clock::now();
  std::vector<std::unique_ptr<System>> systems;
  // Order matters: [0] trustprop, [1] and [2] the GraphBLAS ratios'
  // denominators, [3] the float64 gather; value-free graphs: [4] with
  // values, [5] GraphBLAS structural (the third ratio's denominator); last,
  // for a source-blocked graph, trustprop on the plain Cᵀ.
  systems.push_back(std::make_unique<TrustpropSystem>("trustprop", ex, tr, restart, true));
  systems.push_back(std::make_unique<GraphblasSystem<float>>(weighted, restart));
  systems.push_back(std::make_unique<GraphblasSystem<double>>(weighted, restart));
  systems.push_back(std::make_unique<TrustpropSystem>("trustprop_fp64_gather", ex, tr, restart, false));
  if (tr.value_free) {
    systems.push_back(std::make_unique<TrustpropSystem>("trustprop_with_values", ex, weighted, restart, true));
    systems.push_back(std::make_unique<GraphblasSystem<float>>(plain, restart));
  }
  const std::size_t csr_row = systems.size();
  if (!csr) systems.push_back(std::make_unique<TrustpropSystem>("trustprop_csr", ex, plain, restart, true));
  const std::size_t blocked_row = systems.size();
  if (blocked) systems.push_back(std::make_unique<TrustpropSystem>("trustprop_blocked", ex, tr_blocked, restart, true));
  const bool structural = tr.value_free;
  const double import_s = seconds(t0, Clock::now());
  out["setup_seconds"] = {{"read_graph", read_s}, {"build_transition", transition_s}, {"graphblas_import", import_s}};

  // ---- the floor: the weighted Cᵀ's, and for a value-free graph the
  // value-free Cᵀ's (no values, 1/d_i read once per agent)
  const double floor_bytes = static_cast<double>(nnz_ct) * (4 + 4) + static_cast<double>(n + 1) * 8 +
                             static_cast<double>(n) * 8 * 3 + static_cast<double>(n_dangling) * 4;
  const double floor_vf_bytes = static_cast<double>(nnz_ct) * 4 + static_cast<double>(n + 1) * 8 +
                                static_cast<double>(n) * 8 * 4 + static_cast<double>(n_dangling) * 4;
  out["floor"] = {{"bytes", floor_bytes},
                  {"definition", "per edge of Cᵀ 4 B column index + 4 B value; per agent 8 B row pointer, 8 B t read "
                                 "once, 8 B t_next written once, 8 B pre-trust read once; 4 B per dangling agent"},
                  {"edge_bytes", static_cast<double>(nnz_ct) * 8},
                  {"agent_bytes", static_cast<double>(n + 1) * 8 + static_cast<double>(n) * 24},
                  {"dangling_bytes", static_cast<double>(n_dangling) * 4}};
  if (structural)
    out["floor_value_free"] = {{"bytes", floor_vf_bytes},
                               {"definition", "per edge of the value-free Cᵀ 4 B column index; per agent 8 B row "
                                              "pointer, 8 B 1/d_i, 8 B t read once, 8 B t_next written once, 8 B "
                                              "pre-trust read once; 4 B per dangling agent"}};

  const int warmup = 2;
  const int iterations = warmup + rounds * (1 + per_round);
  out["method"] = {{"restart", restart},
                   {"pretrust", "uniform over all agents (p = 1/n), every system"},
                   {"start", "t = p"},
                   {"timer", "std::chrono::steady_clock around one iteration"},
                   {"warmup_iterations", warmup},
                   {"rounds", rounds},
                   {"timed_iterations", repeats},
                   {"untimed_iteration_per_round", 1},
                   {"iterations_per_system", iterations},
                   {"stream_array_mib", stream_mib},
                   {"stream_trials", stream_trials}};

  Stream stream(stream_mib);
  std::vector<double> reference_1;  // trustprop's vector at the first thread count
  json runs = json::array();
  for (const int k : thread_counts) {
    omp_set_num_threads(k);
    GRB_OK(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, k));
    const double stream_gbps = stream.triad_gbps(stream_trials);
    const double floor_s = floor_bytes / (stream_gbps * 1e9);
    const double floor_vf_s = floor_vf_bytes / (stream_gbps * 1e9);
    std::fprintf(stderr, "[bench] %d thread(s): STREAM triad %.2f GB/s\n", k, stream_gbps);

    const BackgroundMeter background;
    std::vector<std::vector<double>> samples(systems.size());
    std::vector<double> last_residual(systems.size(), 0.0);
    for (auto& s : systems) {
      s->reset();
      for (int w = 0; w < warmup; ++w) s->step();
    }
    for (int r = 0; r < rounds; ++r) {
      for (std::size_t q = 0; q < systems.size(); ++q) {
        systems[q]->step();  // untimed: bring this system's data back after the others ran
        for (int i = 0; i < per_round; ++i) {
          const auto a = Clock::now();
          last_residual[q] = systems[q]->step();
          samples[q].push_back(seconds(a, Clock::now()));
        }
      }
    }

    const double wall = background.wall_seconds(), background_share = background.share();
    std::vector<std::vector<double>> results;
    for (auto& s : systems) results.push_back(s->result());
    json sys = json::object();
    std::vector<Stats> st;
    for (auto& v : samples) st.push_back(stats_of(v));
    for (std::size_t q = 0; q < systems.size(); ++q) {
      json e;
      e["median_seconds"] = st[q].median;
      e["min_seconds"] = st[q].min;
      e["mean_seconds"] = st[q].mean;
      e["bandwidth_GBps"] = floor_bytes / st[q].median / 1e9;
      e["ratio_to_floor"] = st[q].median / floor_s;
      e["ratio_to_graphblas_fp32"] = st[q].median / st[1].median;
      e["ratio_to_graphblas_fp64"] = st[q].median / st[2].median;
      if (structural) {
        e["ratio_to_floor_value_free"] = st[q].median / floor_vf_s;
        e["ratio_to_graphblas_fp32_structural"] = st[q].median / st[5].median;
      }
      e["format_bytes"] = systems[q]->format_bytes();
      e["format_bandwidth_GBps"] = systems[q]->format_bytes() / st[q].median / 1e9;
      e["last_residual"] = last_residual[q];
      e["sum_t"] = sum_of(results[q]);
      e["samples_seconds"] = samples[q];
      sys[systems[q]->name()] = e;
    }
    json agreement = {{"iterations", iterations},
                      {"l1_trustprop_vs_graphblas_fp32", l1_diff(results[0], results[1])},
                      {"l1_trustprop_vs_graphblas_fp64", l1_diff(results[0], results[2])},
                      {"l1_graphblas_fp32_vs_fp64", l1_diff(results[1], results[2])},
                      {"l1_float32_gather_vs_float64_gather", l1_diff(results[0], results[3])}};
    if (structural) {
      agreement["l1_value_free_vs_with_values"] = l1_diff(results[0], results[4]);
      agreement["l1_trustprop_vs_graphblas_fp32_structural"] = l1_diff(results[0], results[5]);
    }
    if (!csr) agreement["l1_trustprop_vs_csr"] = l1_diff(results[0], results[csr_row]);
    if (blocked) agreement["l1_trustprop_vs_blocked"] = l1_diff(results[0], results[blocked_row]);
    if (reference_1.empty()) {
      reference_1 = results[0];
    } else {
      agreement["trustprop_bitwise_equal_to_first_thread_count"] = (reference_1 == results[0]);
    }
    runs.push_back({{"threads", k},
                    {"stream_triad_GBps", stream_gbps},
                    {"floor_seconds", floor_s},
                    {"floor_value_free_seconds", structural ? floor_vf_s : 0.0},
                    {"measurement_wall_seconds", wall},
                    {"background_cpu_share", background_share},
                    {"systems", sys},
                    {"agreement", agreement}});

    // ---- readable table
    std::printf("\n%s  n=%lld  nnz(Cᵀ)=%lld  dangling=%lld  threads=%d  STREAM triad %.2f GB/s  floor %.1f MB = %s\n",
                label.c_str(), (long long)n, (long long)nnz_ct, (long long)n_dangling, k, stream_gbps,
                floor_bytes / 1e6, fmt_s(floor_s).c_str());
    if (structural)
      std::printf("  value-free floor %.1f MB = %s\n", floor_vf_bytes / 1e6, fmt_s(floor_vf_s).c_str());
    std::printf("  %-26s %12s %12s %10s %9s %10s %10s%s\n", "system", "median/iter", "min/iter", "GB/s", "x floor",
                "x GrB32", "x GrB64", structural ? "  x GrB32s  x vf-floor" : "");
    for (std::size_t q = 0; q < systems.size(); ++q) {
      std::printf("  %-26s %12s %12s %10.2f %9.2f %10.3f %10.3f", systems[q]->name().c_str(),
                  fmt_s(st[q].median).c_str(), fmt_s(st[q].min).c_str(), floor_bytes / st[q].median / 1e9,
                  st[q].median / floor_s, st[q].median / st[1].median, st[q].median / st[2].median);
      if (structural) std::printf(" %9.3f %10.2f", st[q].median / st[5].median, st[q].median / floor_vf_s);
      std::printf("\n");
    }
    std::printf("  other processes used %.0f%% of the machine during the measurement%s\n", 100.0 * background_share,
                background_share > 0.05 ? "  (NOISY: timings are not trustworthy)" : "");
    std::printf("  agreement after %d iterations: L1(trustprop, GrB fp32) = %.3e, L1(trustprop, GrB fp64) = %.3e, "
                "L1(float32 gather, float64 gather) = %.3e%s\n",
                iterations, agreement["l1_trustprop_vs_graphblas_fp32"].get<double>(),
                agreement["l1_trustprop_vs_graphblas_fp64"].get<double>(),
                agreement["l1_float32_gather_vs_float64_gather"].get<double>(),
                agreement.contains("trustprop_bitwise_equal_to_first_thread_count")
                    ? (agreement["trustprop_bitwise_equal_to_first_thread_count"].get<bool>()
                           ? ", trustprop bitwise equal across thread counts"
                           : ", trustprop DIFFERS across thread counts")
                    : "");
    std::fflush(stdout);
  }
  out["runs"] = runs;
  out["load_average_after"] = read_first_line("/proc/loadavg");

  systems.clear();
  GrB_finalize();

  trustprop::bench::write_json(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return trustprop::bench::bench_main("bench_cpu_graphblas", run, argc, argv); }
