// bench_gpu_eigentrust: time per EigenTrust iteration on one GPU, against
// the two ceilings measured in the same run on the same device (DESIGN §8,
// shared/GPU.md "How to measure"):
//
//   bench_gpu_eigentrust GRAPH.h5 --out result.json [--label NAME] [--device N]
//                        [--runs 50] [--warmup 5] [--restart 0.15] [--copy-mib 4096]
//
//   trustprop        kernels::cuda::eigentrust_step: the fused merge-path pull
//                    (float Cᵀ, double vectors, ‖Δ‖₁ and t' in one pass), each
//                    call ending with the residual's copy to the host, as the
//                    driver runs it
//   cusparse_spmv    a plain cusparseSpMV loop, y = Cᵀx, CSR with float values
//                    on the same Cᵀ; float x and y (cuSPARSE has no float-matrix
//                    double-vector mode), so it moves fewer vector bytes, and it
//                    does none of the update, dangling mass or residual: a
//                    lower bound for any cuSPARSE-based iteration. Both the
//                    default algorithm and CSR_ALG2 (merge-based, deterministic).
//   device_copy      a large cudaMemcpy device-to-device; bandwidth counts
//                    bytes read + bytes written
//   floor            compulsory bytes of one iteration over the copy bandwidth:
//                    Cᵀ indices 4 B + values 4 B per entry, row offsets 8 B per
//                    row, t read once, t' written once and p read once (8 B per
//                    agent each)
//
// Timing: CUDA events on the executor's stream around each call, after
// untimed warm-up calls; median (and min) over `runs` calls. Pre-trust is the
// product's default (institutions, or all agents). The run checks that t
// still sums to 1 (a property of the iteration) and records it.
#include <cuda_runtime.h>
#include <cusparse.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/version.hpp"
#include "host/pretrust.hpp"
#include "io/graph_file.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/memory_estimate.hpp"

namespace tk = trustprop::kernels;
using json = nlohmann::ordered_json;

namespace {

struct Options {
  std::string graph, out, label;
  int device = 0, runs = 50, warmup = 5;
  double restart = 0.15;
  double copy_mib = 4096;
};

[[noreturn]] void usage(const std::string& why) {
  throw trustprop::UsageError(
      why +
      "\nusage: bench_gpu_eigentrust GRAPH.h5 --out result.json [--label NAME] [--device N] [--runs 50]"
      " [--warmup 5] [--restart 0.15] [--copy-mib 4096]");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() {
      const std::string v = value();
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(d)) usage(a + " " + v + ": expected a number");
      return d;
    };
    if (a == "--out") o.out = value();
    else if (a == "--label") o.label = value();
    else if (a == "--device") o.device = static_cast<int>(number());
    else if (a == "--runs") o.runs = static_cast<int>(number());
    else if (a == "--warmup") o.warmup = static_cast<int>(number());
    else if (a == "--restart") o.restart = number();
    else if (a == "--copy-mib") o.copy_mib = number();
    else if (!a.empty() && a[0] == '-') usage("unknown option " + a);
    else if (o.graph.empty()) o.graph = a;
    else usage("more than one graph given");
  }
  if (o.graph.empty()) usage("no graph file given");
  if (o.out.empty()) usage("--out is required");
  if (o.runs < 1 || o.warmup < 0) usage("--runs must be >= 1 and --warmup >= 0");
  if (!(o.restart > 0.0 && o.restart <= 1.0)) usage("--restart must be in (0, 1]");
  if (!(o.copy_mib >= 1.0)) usage("--copy-mib must be >= 1");
  if (o.label.empty()) o.label = o.graph.substr(o.graph.find_last_of('/') + 1);
  return o;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct Stats {
  double median = 0, min = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  return {k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]), v.front()};
}

// Seconds of one call of `work`, measured with events on `stream`, over
// `warmup` untimed and `runs` timed calls.
Stats time_on_stream(cudaStream_t stream, int warmup, int runs, const std::function<void()>& work) {
  cudaEvent_t start, stop;
  TRUSTPROP_CUDA_CHECK(cudaEventCreate(&start));
  TRUSTPROP_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < warmup; ++i) work();
  TRUSTPROP_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    TRUSTPROP_CUDA_CHECK(cudaEventRecord(start, stream));
    work();
    TRUSTPROP_CUDA_CHECK(cudaEventRecord(stop, stream));
    TRUSTPROP_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    TRUSTPROP_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    seconds.push_back(ms * 1e-3);
  }
  TRUSTPROP_CUDA_CHECK(cudaEventDestroy(start));
  TRUSTPROP_CUDA_CHECK(cudaEventDestroy(stop));
  return stats_of(seconds);
}

json timing(const Stats& s, double bytes) {
  return {{"median_ms", s.median * 1e3},
          {"min_ms", s.min * 1e3},
          {"bytes", bytes},
          {"achieved_gb_per_s", bytes / s.median / 1e9}};
}

__global__ void to_float(const double* in, float* out, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<float>(in[i]);
}

__global__ void widen(const std::int32_t* in, std::int64_t* out, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i];
}

unsigned int blocks_for(std::int64_t n, int threads) {
  return static_cast<unsigned int>(std::max<std::int64_t>((n + threads - 1) / threads, 1));
}

// The plain cuSPARSE loop on Cᵀ. Tries 64-bit row offsets with 32-bit
// columns (trustprop's layout) first; where cuSPARSE does not take that
// mix, it runs on a 64-bit copy of the columns and says so.
json bench_cusparse(const tk::cuda::CudaExecutor& exec, const tk::Transition& tr, const tk::Array<double>& t,
                    const Options& o) {
  const auto ex = exec.shared_from_this();
  const auto stream = static_cast<cudaStream_t>(exec.stream());
  const auto handle = static_cast<cusparseHandle_t>(exec.cusparse_handle());
  const tk::CsrView ct = tr.ct.view();
  tk::Array<float> x(ex, static_cast<std::size_t>(ct.rows)), y(ex, static_cast<std::size_t>(ct.rows));
  to_float<<<blocks_for(ct.rows, 256), 256, 0, stream>>>(t.data(), x.data(), ct.rows);
  TRUSTPROP_CUDA_CHECK_LAUNCH();

  cusparseDnVecDescr_t vx, vy;
  TRUSTPROP_CUSPARSE_CHECK(cusparseCreateDnVec(&vx, ct.rows, x.data(), CUDA_R_32F));
  TRUSTPROP_CUSPARSE_CHECK(cusparseCreateDnVec(&vy, ct.rows, y.data(), CUDA_R_32F));
  const float alpha = 1.0f, beta = 0.0f;

  tk::Array<std::int64_t> wide_indices;
  std::string index_types = "64-bit row offsets, 32-bit columns";
  cusparseSpMatDescr_t a = nullptr;
  auto make_matrix = [&](void* indices, cusparseIndexType_t index_type) {
    TRUSTPROP_CUSPARSE_CHECK(cusparseCreateCsr(&a, ct.rows, ct.cols, ct.nnz, const_cast<std::int64_t*>(ct.indptr),
                                               indices, const_cast<float*>(ct.values), CUSPARSE_INDEX_64I,
                                               index_type, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F));
  };
  make_matrix(const_cast<std::int32_t*>(ct.indices), CUSPARSE_INDEX_32I);
  std::size_t probe = 0;
  const cusparseStatus_t mixed = cusparseSpMV_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, a, vx,
                                                         &beta, vy, CUDA_R_32F, CUSPARSE_SPMV_ALG_DEFAULT, &probe);
  if (mixed != CUSPARSE_STATUS_SUCCESS) {
    TRUSTPROP_CUSPARSE_CHECK(cusparseDestroySpMat(a));
    wide_indices = tk::Array<std::int64_t>(ex, static_cast<std::size_t>(ct.nnz));
    widen<<<blocks_for(ct.nnz, 256), 256, 0, stream>>>(ct.indices, wide_indices.data(), ct.nnz);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
    make_matrix(wide_indices.data(), CUSPARSE_INDEX_64I);
    index_types = std::string("64-bit row offsets, 64-bit columns (64/32 refused: ") +
                  cusparseGetErrorName(mixed) + ")";
  }
  const double index_bytes = wide_indices.size() > 0 ? 8.0 : 4.0;
  const double n = static_cast<double>(ct.rows), nnz = static_cast<double>(ct.nnz);
  const double bytes = nnz * (index_bytes + 4.0) + (n + 1.0) * 8.0 + n * 4.0 * 2.0;

  json result = {{"index_types", index_types}};
  const std::pair<const char*, cusparseSpMVAlg_t> algorithms[] = {{"default", CUSPARSE_SPMV_ALG_DEFAULT},
                                                                  {"csr_alg2", CUSPARSE_SPMV_CSR_ALG2}};
  for (const auto& algorithm : algorithms) {
    const cusparseSpMVAlg_t alg = algorithm.second;
    std::size_t buffer_bytes = 0;
    TRUSTPROP_CUSPARSE_CHECK(cusparseSpMV_bufferSize(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, a, vx, &beta,
                                                     vy, CUDA_R_32F, alg, &buffer_bytes));
    tk::Array<std::uint8_t> buffer(ex, std::max<std::size_t>(buffer_bytes, 1));
    const Stats s = time_on_stream(stream, o.warmup, o.runs, [&] {
      TRUSTPROP_CUSPARSE_CHECK(cusparseSpMV(handle, CUSPARSE_OPERATION_NON_TRANSPOSE, &alpha, a, vx, &beta, vy,
                                            CUDA_R_32F, alg, buffer.data()));
    });
    result[algorithm.first] = timing(s, bytes);
  }
  TRUSTPROP_CUSPARSE_CHECK(cusparseDestroySpMat(a));
  TRUSTPROP_CUSPARSE_CHECK(cusparseDestroyDnVec(vx));
  TRUSTPROP_CUSPARSE_CHECK(cusparseDestroyDnVec(vy));
  return result;
}

json bench_device_copy(const tk::cuda::CudaExecutor& exec, const Options& o) {
  const auto ex = exec.shared_from_this();
  const auto stream = static_cast<cudaStream_t>(exec.stream());
  const std::size_t wanted = static_cast<std::size_t>(o.copy_mib * (1 << 20));
  const std::size_t bytes = std::min(wanted, exec.available_memory() / 4) / 256 * 256;
  tk::Array<std::uint8_t> src(ex, bytes), dst(ex, bytes);
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(src.data(), 0x5a, bytes, stream));
  const Stats s = time_on_stream(stream, 3, std::max(o.runs / 2, 10), [&] {
    TRUSTPROP_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream));
  });
  json r = timing(s, 2.0 * static_cast<double>(bytes));
  r["buffer_bytes"] = bytes;
  return r;
}

json device_info(const tk::cuda::CudaExecutor& exec) {
  cudaDeviceProp p{};
  TRUSTPROP_CUDA_CHECK(cudaGetDeviceProperties(&p, exec.device()));
  int driver = 0, runtime = 0;
  TRUSTPROP_CUDA_CHECK(cudaDriverGetVersion(&driver));
  TRUSTPROP_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  return {{"name", p.name},
          {"description", exec.description()},
          {"compute_capability", std::to_string(p.major) + "." + std::to_string(p.minor)},
          {"multiprocessors", p.multiProcessorCount},
          {"l2_cache_bytes", p.l2CacheSize},
          {"memory_bytes", p.totalGlobalMem},
          {"cuda_driver", driver},
          {"cuda_runtime", runtime}};
}

int run(const Options& o) {
  const auto t_read = std::chrono::steady_clock::now();
  const trustprop::io::Graph g = trustprop::io::read_graph(o.graph);
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count();

  const auto ex = tk::cuda::make_cuda_executor(o.device);
  const auto& exec = static_cast<const tk::cuda::CudaExecutor&>(*ex);
  const auto stream = static_cast<cudaStream_t>(exec.stream());
  tk::require_memory(exec, tk::eigentrust_device_bytes(g.n, g.nnz()), "EigenTrust on " + o.graph);
  std::cerr << "bench_gpu_eigentrust: " << o.graph << ": " << g.n << " agents, " << g.nnz() << " ties on "
            << exec.description() << "\n";

  const auto t_setup = std::chrono::steady_clock::now();
  tk::Transition tr;
  {
    tk::CsrMatrix w;
    w.rows = w.cols = g.n;
    w.indptr = tk::Array<std::int64_t>::from_host(ex, g.indptr);
    w.indices = tk::Array<std::int32_t>::from_host(ex, g.indices);
    w.values = tk::Array<float>::from_host(ex, g.data);
    exec.synchronize();
    const auto t_build = std::chrono::steady_clock::now();
    tr = tk::cuda::build_transition(exec, w.view());
    exec.synchronize();
    std::cerr << "  build_transition: "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t_build).count() << " s\n";
  }
  const double setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count();

  const trustprop::host::Pretrust pretrust = trustprop::host::build_pretrust(g, "institutions");
  const auto p = tk::Array<double>::from_host(ex, pretrust.p);
  auto t = tk::Array<double>::from_host(ex, pretrust.p);
  tk::Array<double> t_next(ex, static_cast<std::size_t>(g.n));
  const tk::CsrView ct = tr.ct.view();
  const auto n_dangling = static_cast<std::int64_t>(tr.dangling.size());
  double residual = 0;
  const Stats step = time_on_stream(stream, o.warmup, o.runs, [&] {
    residual = tk::cuda::eigentrust_step(exec, ct, tr.dangling.data(), n_dangling, p.data(), o.restart, t.data(),
                                         t_next.data());
    std::swap(t, t_next);
  });
  const std::vector<double> trust = t.to_host();
  const double trust_sum = std::accumulate(trust.begin(), trust.end(), 0.0);
  if (!(std::fabs(trust_sum - 1.0) < 1e-9))
    throw trustprop::InternalError("the trust vector sums to " + std::to_string(trust_sum) + " after " +
                                   std::to_string(o.warmup + o.runs) + " iterations, not 1");

  const double n = static_cast<double>(g.n), nnz = static_cast<double>(ct.nnz);
  const double floor_bytes = nnz * (4.0 + 4.0) + (n + 1.0) * 8.0 + 3.0 * n * 8.0;
  const json copy = bench_device_copy(exec, o);
  const double copy_gbps = copy["achieved_gb_per_s"].get<double>();
  const double floor_ms = floor_bytes / (copy_gbps * 1e9) * 1e3;

  json out;
  out["label"] = o.label;
  out["date"] = utc_now();
  out["trustprop"] = {{"version", trustprop::version_string}, {"git_revision", trustprop::git_revision}};
  out["device"] = device_info(exec);
  out["graph"] = {{"path", o.graph},
                  {"agents", g.n},
                  {"ties", g.nnz()},
                  {"transition_entries", ct.nnz},
                  {"dangling", n_dangling},
                  {"pretrust", pretrust.description},
                  {"read_seconds", read_seconds}};
  out["parameters"] = {{"restart", o.restart}, {"runs", o.runs}, {"warmup", o.warmup}};
  out["setup_seconds"] = setup_seconds;
  out["device_copy"] = copy;
  out["floor"] = {{"bytes", floor_bytes}, {"ms", floor_ms}};
  json tp = timing(step, floor_bytes);
  tp["vs_floor"] = step.median * 1e3 / floor_ms;
  tp["last_residual"] = residual;
  tp["trust_sum"] = trust_sum;
  out["trustprop"]["iteration"] = tp;
  // The peer may fail where trustprop did not (an index mix cuSPARSE refuses,
  // memory): keep what was measured and say why the peer is missing.
  double cusparse_ms = std::nan("");
  try {
    out["cusparse_spmv"] = bench_cusparse(exec, tr, t, o);
    cusparse_ms = out["cusparse_spmv"]["default"]["median_ms"].get<double>();
    out["trustprop"]["iteration"]["vs_cusparse_spmv"] = step.median * 1e3 / cusparse_ms;
  } catch (const trustprop::Error& e) {
    out["cusparse_spmv"] = {{"error", e.what()}};
    std::cerr << "bench_gpu_eigentrust: cuSPARSE peer failed: " << e.what() << "\n";
  }

  std::ofstream f(o.out);
  f << out.dump(2) << "\n";
  if (!f) throw trustprop::IoError(o.out + ": cannot write the result");
  std::printf("%-24s %10s %10s %10s %10s\n", "", "median ms", "GB/s", "x floor", "x cuSPARSE");
  std::printf("%-24s %10.3f %10.1f %10.2f %10.2f\n", "trustprop iteration", step.median * 1e3,
              floor_bytes / step.median / 1e9, step.median * 1e3 / floor_ms, step.median * 1e3 / cusparse_ms);
  for (const char* alg : {"default", "csr_alg2"}) {
    if (!out["cusparse_spmv"].contains(alg)) continue;
    std::printf("%-24s %10.3f %10.1f\n", (std::string("cuSPARSE SpMV (") + alg + ")").c_str(),
                out["cusparse_spmv"][alg]["median_ms"].get<double>(),
                out["cusparse_spmv"][alg]["achieved_gb_per_s"].get<double>());
  }
  std::printf("%-24s %10.3f %10.1f\n", "device copy", copy["median_ms"].get<double>(), copy_gbps);
  std::printf("%-24s %10.3f\n", "floor", floor_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const trustprop::Error& e) {
    std::cerr << "bench_gpu_eigentrust: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "bench_gpu_eigentrust: " << e.what() << "\n";
    return static_cast<int>(trustprop::ExitCode::software);
  }
}
