// The CUDA EigenTrust kernels against the CPU reference (DESIGN §4), on
// random graphs larger than a warp with empty rows, dangling agents,
// negative weights, and a row and a column of more than 100,000 entries:
//   build_transition: Cᵀ identical in pattern, values within one float ulp,
//                     dangling list identical;
//   eigentrust_step:  ‖Δ‖₁ ≤ 1e-6 on t', residuals equal to rounding, every
//                     output written (the output is poisoned first), with
//                     the float64 and the float32 gather;
//   run_eigentrust:   the whole driver on both backends;
//   value-free Cᵀ:    on unit-weight graphs, pattern and 1/d_i identical,
//                     steps and runs as above;
//   reruns:           bitwise identical on the GPU.
// Every test skips, saying why, on a machine without a usable CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "host/eigentrust.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/cuda/executor.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/eigentrust.hpp"
#include "kernels/executor.hpp"
#include "cuda_test.hpp"
#include "cuda_test_graphs.hpp"

using namespace trustprop;
using trustprop::testing::random_trust_graph;
using trustprop::testing::RandomGraphShape;
using trustprop::testing::strided_pretrust;

namespace {

using ExecPtr = std::shared_ptr<const kernels::Executor>;

// The shapes every equivalence test runs on.
std::vector<RandomGraphShape> shapes() {
  std::vector<RandomGraphShape> s(3);
  s[0].agents = 1000;  // a few warps of rows; many short rows
  s[0].seed = 11;
  s[1].agents = 40000;  // many tiles; heavier distrust and empty rows
  s[1].mean_degree = 12;
  s[1].empty_share = 0.2;
  s[1].negative_share = 0.4;
  s[1].distrust_only_share = 0.1;
  s[1].seed = 12;
  s[2].agents = 150000;  // agent 0 trusted by 120,000 agents; agent 1 trusts 110,000
  s[2].mean_degree = 5;
  s[2].trusted_by = 120000;
  s[2].trusting = 110000;
  s[2].seed = 13;
  return s;
}

std::string describe(const RandomGraphShape& s) {
  return "graph of " + std::to_string(s.agents) + " agents (seed " + std::to_string(s.seed) + ")";
}

kernels::CsrMatrix upload(const ExecPtr& exec, const io::Graph& g) {
  kernels::CsrMatrix w;
  w.rows = w.cols = g.n;
  w.indptr = kernels::Array<std::int64_t>::from_host(exec, g.indptr);
  w.indices = kernels::Array<std::int32_t>::from_host(exec, g.indices);
  w.values = kernels::Array<float>::from_host(exec, g.data);
  return w;
}

kernels::Transition build(const ExecPtr& exec, const io::Graph& g,
                          kernels::TransitionForm form = kernels::TransitionForm::weighted) {
  const kernels::CsrMatrix w = upload(exec, g);
  return kernels::dispatch(*exec, [&](const auto& e) { return build_transition(e, w.view(), form); });
}

// The graph with every positive weight set to 1 (distrust kept): every row
// gives equal shares, so the value-free form of Cᵀ applies.
io::Graph unit_weights(io::Graph g) {
  for (float& v : g.data)
    if (v > 0.0f) v = 1.0f;
  return g;
}

// One step; with `gather`, Cᵀt gathers from it and float32(t') goes to `gather_next`.
double step(const ExecPtr& exec, const kernels::Transition& tr, const kernels::Array<double>& p, double restart,
            const kernels::Array<double>& t, kernels::Array<double>& t_next,
            const kernels::Array<float>* gather = nullptr, kernels::Array<float>* gather_next = nullptr) {
  return kernels::dispatch(*exec, [&](const auto& e) {
    return eigentrust_step(e, tr.ct.view(), tr.dangling.data(), static_cast<std::int64_t>(tr.dangling.size()),
                           p.data(), restart, t.data(), t_next.data(),
                           {gather ? gather->data() : nullptr, gather_next ? gather_next->data() : nullptr});
  });
}

// Distance in units in the last place between two finite floats.
std::int64_t ulp_distance(float a, float b) {
  auto ordered = [](float f) {
    std::int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i < 0 ? static_cast<std::int64_t>(std::numeric_limits<std::int32_t>::min()) - i
                 : static_cast<std::int64_t>(i);
  };
  return std::llabs(ordered(a) - ordered(b));
}

double l1_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s;
}

// A positive vector summing to 1 that is not the pre-trust: a mid-iteration state.
std::vector<double> spread_vector(std::int64_t n) {
  std::vector<double> t(static_cast<std::size_t>(n));
  double s = 0.0;
  for (std::int64_t i = 0; i < n; ++i) s += t[static_cast<std::size_t>(i)] = 1.0 + static_cast<double>((i * 7919) % 101);
  for (double& v : t) v /= s;
  return t;
}

class EigenTrustCuda : public trustprop::testing::CudaTest {};

}  // namespace

TEST_F(EigenTrustCuda, ExecutorDescribesItselfAndMovesBytes) {
  EXPECT_EQ(gpu->name(), "cuda:0");
  EXPECT_EQ(gpu->description().rfind("cuda:0 " + gpu->device_name() + " (", 0), 0u) << gpu->description();
  EXPECT_NE(gpu->description().find(" GiB, cc "), std::string::npos) << gpu->description();
  EXPECT_GT(gpu->available_memory(), std::size_t{1} << 20);

  std::vector<double> host(100000);
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = 0.5 * static_cast<double>(i);
  const auto a = kernels::Array<double>::from_host(gpu, host);
  kernels::Array<double> b(gpu, host.size());
  b.copy_from(a);
  EXPECT_EQ(b.to_host(), host);
}

TEST_F(EigenTrustCuda, DeviceOutOfRangeNamesTheDeviceCount) {
  const int devices = kernels::cuda_device_count();
  try {
    kernels::cuda::make_cuda_executor(devices);
    FAIL() << "cuda:" << devices << " should not exist";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(devices) + " CUDA device"), std::string::npos) << e.what();
  }
}

TEST_F(EigenTrustCuda, TransitionMatchesCpu) {
  for (const RandomGraphShape& shape : shapes()) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = random_trust_graph(shape);
    const kernels::Transition want = build(cpu, g), got = build(gpu, g);
    EXPECT_EQ(got.ct.rows, want.ct.rows);
    ASSERT_EQ(got.ct.indptr.to_host(), want.ct.indptr.to_host());
    ASSERT_EQ(got.ct.indices.to_host(), want.ct.indices.to_host());
    const std::vector<float> gv = got.ct.values.to_host(), wv = want.ct.values.to_host();
    ASSERT_EQ(gv.size(), wv.size());
    std::int64_t worst = 0;
    for (std::size_t k = 0; k < gv.size(); ++k) worst = std::max(worst, ulp_distance(gv[k], wv[k]));
    EXPECT_LE(worst, 1) << "largest difference of a Cᵀ value, in float ulps";
    EXPECT_EQ(got.dangling.to_host(), want.dangling.to_host());
  }
}

TEST(CudaTestGraphs, HubRowsAreLongerThan100000) {
  // Guards the test graphs themselves (runs without a GPU): the third shape
  // must keep a row of W and a row of Cᵀ longer than 100,000 entries.
  const RandomGraphShape shape = shapes()[2];
  const io::Graph g = random_trust_graph(shape);
  EXPECT_GT(g.indptr[2] - g.indptr[1], 100000);  // agent 1's row of W
  const kernels::Transition tr = build(std::make_shared<kernels::cpu::CpuExecutor>(), g);
  const std::vector<std::int64_t> ct_indptr = tr.ct.indptr.to_host();
  EXPECT_GT(ct_indptr[1] - ct_indptr[0], 100000);  // agent 0's row of Cᵀ
}

TEST_F(EigenTrustCuda, StepMatchesCpu) {
  for (const RandomGraphShape& shape : shapes()) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = random_trust_graph(shape);
    const std::vector<double> p = strided_pretrust(g.n, 97);
    const ExecPtr execs[2] = {cpu, gpu};
    const kernels::Transition trs[2] = {build(cpu, g), build(gpu, g)};
    for (const std::vector<double>& t0 : {p, spread_vector(g.n)}) {
      std::vector<double> next[2];
      double residual[2];
      for (int b = 0; b < 2; ++b) {
        const kernels::Transition& tr = trs[b];
        const auto pd = kernels::Array<double>::from_host(execs[b], p);
        const auto t = kernels::Array<double>::from_host(execs[b], t0);
        auto t_next = kernels::Array<double>::from_host(
            execs[b], std::vector<double>(t0.size(), std::numeric_limits<double>::quiet_NaN()));
        residual[b] = step(execs[b], tr, pd, 0.15, t, t_next);
        next[b] = t_next.to_host();
      }
      for (double v : next[1]) ASSERT_TRUE(std::isfinite(v)) << "an entry of t' was not written";
      EXPECT_LE(l1_distance(next[1], next[0]), 1e-6);
      EXPECT_NEAR(residual[1], residual[0], 1e-12 + 1e-9 * residual[0]);
    }
  }
}

TEST_F(EigenTrustCuda, Float32GatherStepMatchesCpu) {
  // The reduced-precision lever: both backends gather from the same float32
  // copy of t, write every entry of t' and of its float32 copy.
  for (const RandomGraphShape& shape : shapes()) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = random_trust_graph(shape);
    const std::vector<double> p = strided_pretrust(g.n, 97), t0 = spread_vector(g.n);
    const std::vector<float> t0_f32(t0.begin(), t0.end());
    const ExecPtr execs[2] = {cpu, gpu};
    std::vector<double> next[2];
    double residual[2];
    for (int b = 0; b < 2; ++b) {
      const kernels::Transition tr = build(execs[b], g);
      const auto pd = kernels::Array<double>::from_host(execs[b], p);
      const auto t = kernels::Array<double>::from_host(execs[b], t0);
      const auto tg = kernels::Array<float>::from_host(execs[b], t0_f32);
      auto t_next = kernels::Array<double>::from_host(
          execs[b], std::vector<double>(t0.size(), std::numeric_limits<double>::quiet_NaN()));
      auto tg_next = kernels::Array<float>::from_host(
          execs[b], std::vector<float>(t0.size(), std::numeric_limits<float>::quiet_NaN()));
      residual[b] = step(execs[b], tr, pd, 0.15, t, t_next, &tg, &tg_next);
      next[b] = t_next.to_host();
      const std::vector<float> copy = tg_next.to_host();
      for (std::size_t i = 0; i < copy.size(); ++i)
        ASSERT_EQ(copy[i], static_cast<float>(next[b][i])) << "backend " << b << ", agent " << i;
    }
    for (double v : next[1]) ASSERT_TRUE(std::isfinite(v)) << "an entry of t' was not written";
    EXPECT_LE(l1_distance(next[1], next[0]), 1e-6);
    EXPECT_NEAR(residual[1], residual[0], 1e-12 + 1e-9 * residual[0]);
  }
}

TEST_F(EigenTrustCuda, RowSharesMatchCpu) {
  // A distributed run's step (kernels/eigentrust.hpp, first_row): Cᵀ's rows
  // in three shares, one cut inside the rows of the hub trusted by 120,000;
  // each share's step writes its rows of t' and of the float32 copy (the
  // rest stays poisoned) within 1e-6 of the CPU's.
  for (const RandomGraphShape& shape : {shapes()[1], shapes()[2]}) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = random_trust_graph(shape);
    const std::vector<double> p = strided_pretrust(g.n, 97), t0 = spread_vector(g.n);
    const std::vector<float> t0_f32(t0.begin(), t0.end());
    const std::vector<std::int64_t> bounds{0, 1, g.n / 3, g.n};
    const ExecPtr execs[2] = {cpu, gpu};
    std::vector<double> next[2];
    std::vector<float> copies[2];
    double residual[2] = {0.0, 0.0};
    for (int b = 0; b < 2; ++b) {
      const kernels::Transition tr = build(execs[b], g);
      const kernels::CsrView ct = tr.ct.view();
      const auto pd = kernels::Array<double>::from_host(execs[b], p);
      const auto t = kernels::Array<double>::from_host(execs[b], t0);
      const auto tg = kernels::Array<float>::from_host(execs[b], t0_f32);
      for (std::size_t r = 0; r + 1 < bounds.size(); ++r) {
        auto t_next = kernels::Array<double>::from_host(
            execs[b], std::vector<double>(t0.size(), std::numeric_limits<double>::quiet_NaN()));
        auto tg_next = kernels::Array<float>::from_host(
            execs[b], std::vector<float>(t0.size(), std::numeric_limits<float>::quiet_NaN()));
        const kernels::CsrView share{bounds[r + 1] - bounds[r], g.n, ct.nnz, ct.indptr + bounds[r], ct.indices,
                                     ct.values};
        residual[b] += kernels::dispatch(*execs[b], [&](const auto& e) {
          return eigentrust_step(e, share, tr.dangling.data(), static_cast<std::int64_t>(tr.dangling.size()),
                                 pd.data(), 0.15, t.data(), t_next.data(), {tg.data(), tg_next.data()}, bounds[r]);
        });
        const std::vector<double> part = t_next.to_host();
        const std::vector<float> copy = tg_next.to_host();
        next[b].resize(t0.size());
        copies[b].resize(t0.size());
        for (std::int64_t i = 0; i < g.n; ++i) {
          const auto u = static_cast<std::size_t>(i);
          const bool inside = i >= bounds[r] && i < bounds[r + 1];
          ASSERT_EQ(std::isfinite(part[u]), inside) << "backend " << b << ", share " << r << ", agent " << i;
          if (!inside) continue;
          next[b][u] = part[u];
          copies[b][u] = copy[u];
          ASSERT_EQ(copy[u], static_cast<float>(part[u])) << "backend " << b << ", agent " << i;
        }
      }
    }
    EXPECT_LE(l1_distance(next[1], next[0]), 1e-6);
    EXPECT_NEAR(residual[1], residual[0], 1e-12 + 1e-9 * residual[0]);
  }
}

TEST_F(EigenTrustCuda, RunMatchesCpu) {
  for (const RandomGraphShape& shape : shapes()) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = random_trust_graph(shape);
    const std::vector<double> p = strided_pretrust(g.n, 31);
    for (const bool float32_gather : {true, false}) {
    SCOPED_TRACE(float32_gather ? "float32 gather" : "float64 gather");
    host::EigenTrustOptions options;
    options.tolerance = 1e-10;
    options.float32_gather = float32_gather;
    const host::EigenTrustResult want = host::run_eigentrust(cpu, g, p, options);
    const host::EigenTrustResult got = host::run_eigentrust(gpu, g, p, options);
    ASSERT_TRUE(want.convergence.converged);
    EXPECT_TRUE(got.convergence.converged);
    EXPECT_NEAR(got.convergence.iterations, want.convergence.iterations, 1);
    EXPECT_LE(l1_distance(got.trust, want.trust), 1e-6);
    const std::size_t common = std::min(got.convergence.residuals.size(), want.convergence.residuals.size());
    for (std::size_t k = 0; k < common; ++k) {
      const double r = want.convergence.residuals[k];
      EXPECT_NEAR(got.convergence.residuals[k], r, 1e-12 + 1e-6 * r) << "iteration " << k + 1;
    }
    }
  }
}

TEST_F(EigenTrustCuda, ValueFreeTransitionAndStepsMatchCpu) {
  for (const RandomGraphShape& shape : shapes()) {
    SCOPED_TRACE(describe(shape));
    const io::Graph g = unit_weights(random_trust_graph(shape));
    const ExecPtr execs[2] = {cpu, gpu};
    const kernels::Transition trs[2] = {build(cpu, g, kernels::TransitionForm::value_free_if_uniform),
                                        build(gpu, g, kernels::TransitionForm::value_free_if_uniform)};
    ASSERT_TRUE(trs[0].value_free);
    ASSERT_TRUE(trs[1].value_free);
    EXPECT_EQ(trs[1].ct.values.size(), 0u);
    ASSERT_EQ(trs[1].ct.indptr.to_host(), trs[0].ct.indptr.to_host());
    ASSERT_EQ(trs[1].ct.indices.to_host(), trs[0].ct.indices.to_host());
    EXPECT_EQ(trs[1].dangling.to_host(), trs[0].dangling.to_host());
    const std::vector<double> scale = trs[0].source_scale.to_host();
    ASSERT_EQ(trs[1].source_scale.to_host(), scale);

    // One step gathering t·(1/d) in float32 and in double, on both backends.
    const std::vector<double> p = strided_pretrust(g.n, 97), t0 = spread_vector(g.n);
    std::vector<double> x0(t0.size());
    for (std::size_t i = 0; i < x0.size(); ++i) x0[i] = t0[i] * scale[i];
    for (const bool f32 : {true, false}) {
      SCOPED_TRACE(f32 ? "float32 gather" : "float64 gather");
      std::vector<double> next[2];
      double residual[2];
      for (int b = 0; b < 2; ++b) {
        const auto nan = std::numeric_limits<double>::quiet_NaN();
        const auto pd = kernels::Array<double>::from_host(execs[b], p);
        const auto t = kernels::Array<double>::from_host(execs[b], t0);
        auto t_next = kernels::Array<double>::from_host(execs[b], std::vector<double>(t0.size(), nan));
        const auto x32 = kernels::Array<float>::from_host(execs[b], std::vector<float>(x0.begin(), x0.end()));
        const auto x64 = kernels::Array<double>::from_host(execs[b], x0);
        auto x32_next = kernels::Array<float>::from_host(execs[b], std::vector<float>(t0.size(), std::numeric_limits<float>::quiet_NaN()));
        auto x64_next = kernels::Array<double>::from_host(execs[b], std::vector<double>(t0.size(), nan));
        const kernels::GatherVectors gather{f32 ? x32.data() : nullptr, f32 ? x32_next.data() : nullptr,
                                            f32 ? nullptr : x64.data(), f32 ? nullptr : x64_next.data(),
                                            trs[b].source_scale.data()};
        residual[b] = kernels::dispatch(*execs[b], [&](const auto& e) {
          return eigentrust_step(e, trs[b].ct.view(), trs[b].dangling.data(),
                                 static_cast<std::int64_t>(trs[b].dangling.size()), pd.data(), 0.15, t.data(),
                                 t_next.data(), gather);
        });
        next[b] = t_next.to_host();
        const std::vector<float> c32 = x32_next.to_host();
        const std::vector<double> c64 = x64_next.to_host();
        for (std::size_t i = 0; i < t0.size(); ++i) {
          if (f32)
            ASSERT_EQ(c32[i], static_cast<float>(next[b][i] * scale[i])) << "backend " << b << ", agent " << i;
          else
            ASSERT_EQ(c64[i], next[b][i] * scale[i]) << "backend " << b << ", agent " << i;
        }
      }
      for (double v : next[1]) ASSERT_TRUE(std::isfinite(v)) << "an entry of t' was not written";
      EXPECT_LE(l1_distance(next[1], next[0]), 1e-6);
      EXPECT_NEAR(residual[1], residual[0], 1e-12 + 1e-9 * residual[0]);
    }

    // The driver, which picks the value-free form itself, in both precisions.
    for (const bool float32_gather : {true, false}) {
      host::EigenTrustOptions options;
      options.tolerance = 1e-10;
      options.float32_gather = float32_gather;
      const auto want = host::run_eigentrust(cpu, g, p, options);
      const auto got = host::run_eigentrust(gpu, g, p, options);
      ASSERT_TRUE(want.convergence.converged);
      EXPECT_TRUE(got.convergence.converged);
      EXPECT_NEAR(got.convergence.iterations, want.convergence.iterations, 1);
      EXPECT_LE(l1_distance(got.trust, want.trust), 1e-6);
    }
  }
}

TEST_F(EigenTrustCuda, RerunsAreBitwiseIdentical) {
  const RandomGraphShape shape = shapes()[2];
  const io::Graph g = random_trust_graph(shape);
  const kernels::Transition a = build(gpu, g), b = build(gpu, g);
  EXPECT_EQ(a.ct.indptr.to_host(), b.ct.indptr.to_host());
  EXPECT_EQ(a.ct.indices.to_host(), b.ct.indices.to_host());
  const std::vector<float> av = a.ct.values.to_host(), bv = b.ct.values.to_host();
  ASSERT_EQ(av.size(), bv.size());
  EXPECT_EQ(std::memcmp(av.data(), bv.data(), av.size() * sizeof(float)), 0);
  EXPECT_EQ(a.dangling.to_host(), b.dangling.to_host());

  const auto p = kernels::Array<double>::from_host(gpu, strided_pretrust(g.n, 97));
  const auto t = kernels::Array<double>::from_host(gpu, spread_vector(g.n));
  kernels::Array<double> next_a(gpu, static_cast<std::size_t>(g.n)), next_b(gpu, static_cast<std::size_t>(g.n));
  const double ra = step(gpu, a, p, 0.15, t, next_a), rb = step(gpu, a, p, 0.15, t, next_b);
  EXPECT_EQ(std::memcmp(&ra, &rb, sizeof ra), 0) << ra << " vs " << rb;
  const std::vector<double> na = next_a.to_host(), nb = next_b.to_host();
  EXPECT_EQ(std::memcmp(na.data(), nb.data(), na.size() * sizeof(double)), 0);

  host::EigenTrustOptions options;
  options.tolerance = 1e-12;
  const auto first = host::run_eigentrust(gpu, g, strided_pretrust(g.n, 31), options);
  const auto second = host::run_eigentrust(gpu, g, strided_pretrust(g.n, 31), options);
  EXPECT_EQ(first.convergence.iterations, second.convergence.iterations);
  EXPECT_EQ(std::memcmp(first.trust.data(), second.trust.data(), first.trust.size() * sizeof(double)), 0);
  EXPECT_EQ(first.convergence.residuals, second.convergence.residuals);
}

TEST_F(EigenTrustCuda, EdgeCasesMatchCpu) {
  // Everyone distrusts: Cᵀ is empty and every agent is dangling. One agent
  // with no ties. A graph smaller than one warp.
  RandomGraphShape all_distrust;
  all_distrust.agents = 3000;
  all_distrust.distrust_only_share = 1.0;
  all_distrust.seed = 21;
  io::Graph lonely;
  lonely.n = 1;
  lonely.indptr = {0, 0};
  RandomGraphShape tiny;
  tiny.agents = 7;
  tiny.mean_degree = 2;
  tiny.seed = 22;
  for (const io::Graph& g : {random_trust_graph(all_distrust), lonely, random_trust_graph(tiny)}) {
    SCOPED_TRACE("graph of " + std::to_string(g.n) + " agents, " + std::to_string(g.nnz()) + " ties");
    const kernels::Transition want = build(cpu, g), got = build(gpu, g);
    EXPECT_EQ(got.ct.indptr.to_host(), want.ct.indptr.to_host());
    EXPECT_EQ(got.ct.indices.to_host(), want.ct.indices.to_host());
    EXPECT_EQ(got.dangling.to_host(), want.dangling.to_host());
    const std::vector<double> p = strided_pretrust(g.n, 3);
    const auto r_cpu = host::run_eigentrust(cpu, g, p, {});
    const auto r_gpu = host::run_eigentrust(gpu, g, p, {});
    EXPECT_EQ(r_gpu.convergence.iterations, r_cpu.convergence.iterations);
    EXPECT_LE(l1_distance(r_gpu.trust, r_cpu.trust), 1e-6);
  }
}
