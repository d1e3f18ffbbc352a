// The memory estimates: EigenTrust's device estimate covers the arrays the
// CUDA kernels hold at their peak (kernels/memory_estimate.hpp), every
// model's host estimate the peaks benchmarks/bench_memory recorded on the
// CPU; they grow with the graph, and the refusal names what is needed and
// what is free.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "fake_executor.hpp"
#include "host/fairness_goodness.hpp"
#include "host/personalized.hpp"
#include "host/signed_trust.hpp"
#include "host/sybilrank.hpp"
#include "kernels/cpu/executor.hpp"
#include "kernels/memory_estimate.hpp"

using namespace trustprop;

namespace {

constexpr double gib = double(1ull << 30);

}  // namespace

TEST(MemoryEstimate, CoversThePeakArraysAndGrows) {
  for (const std::int64_t n : {std::int64_t{1000}, std::int64_t{1000000}, std::int64_t{50000000}}) {
    for (const std::int64_t nnz : {std::int64_t{0}, 10 * n, 40 * n}) {
      const std::size_t bytes = kernels::eigentrust_device_bytes(n, nnz);
      // Setup peak: W, Cᵀ and the sort's second buffer (24 B/entry), row offsets twice.
      EXPECT_GE(static_cast<double>(bytes), 24.0 * nnz + 16.0 * n);
      // Iteration: Cᵀ, the dangling list, p, t and t', their gathered copies,
      // source_scale of a value-free Cᵀ (52 B/agent).
      EXPECT_GE(static_cast<double>(bytes), 8.0 * nnz + 52.0 * n);
      EXPECT_GT(kernels::eigentrust_device_bytes(n + 1, nnz), bytes);
      EXPECT_GT(kernels::eigentrust_device_bytes(n, nnz + 1), bytes);
    }
  }
}

TEST(MemoryEstimate, BillionEdgeCityFitsAnH100) {
  // 21M agents at the city generator's mean degree 48: about 1e9 ties.
  const double bytes = static_cast<double>(kernels::eigentrust_device_bytes(21000000, 1000000000));
  EXPECT_GT(bytes, 24.0 * 1e9);
  EXPECT_LT(bytes, 70.0 * gib);  // an H100 has about 79 GiB
}

TEST(MemoryEstimate, RefusalNamesNeededAndFree) {
  const trustprop::testing::FakeExecutor gpu(kernels::BackendKind::cuda, static_cast<std::size_t>(2.0 * gib));
  EXPECT_NO_THROW(kernels::require_memory(gpu, static_cast<std::size_t>(1.5 * gib), "EigenTrust"));
  try {
    kernels::require_memory(gpu, static_cast<std::size_t>(3.0 * gib), "EigenTrust on g.h5");
    FAIL() << "expected a refusal";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("EigenTrust on g.h5 needs 3.0 GiB"), std::string::npos) << what;
    EXPECT_NE(what.find("cuda:0 has 2.0 GiB free"), std::string::npos) << what;
  }
  // The CPU backend compares with the host's room (kernels/cpu/host_memory.hpp).
  const kernels::cpu::CpuExecutor cpu;
  EXPECT_NO_THROW(kernels::require_memory(cpu, 1, "EigenTrust"));
  try {
    kernels::require_memory(cpu, std::size_t{1} << 62, "EigenTrust on g.h5");
    FAIL() << "expected a refusal";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("EigenTrust on g.h5 needs 4294967296.0 GiB of memory beside the graph, cpu has "),
              std::string::npos) << what;
    EXPECT_NE(what.find("ulimit -v"), std::string::npos) << what;
  }
}

TEST(MemoryEstimate, HostEstimatesBoundTheRecordedCpuPeaks) {
  // Every model's peak in benchmarks/results/memory_cpu.json (bytes the run
  // added to the graph it had read), against the estimate the run checks
  // for the recorded parameters, without its margin (5% and 64 MiB): the
  // per-edge and per-agent terms alone must cover the peak, up to 16 MiB
  // for the huge-page rounding of the CPU executor's arrays (each array of
  // 2 MiB or more is a whole number of 2 MiB pages), and be at most about
  // twice it.
  std::ifstream in(std::string(TRUSTPROP_TEST_DATA) + "/../../benchmarks/results/memory_cpu.json");
  ASSERT_TRUE(in) << "benchmarks/results/memory_cpu.json";
  const nlohmann::json results = nlohmann::json::parse(in);
  constexpr double mib = double(1 << 20);
  const auto cpu = kernels::BackendKind::cpu;
  std::map<std::string, int> checked;
  for (const auto& g : results.at("graphs")) {
    const std::int64_t n = g.at("graph").at("n"), nnz = g.at("graph").at("nnz");
    for (const auto& m : g.at("models")) {
      const std::string model = m.at("model");
      if (m.contains("refused")) continue;
      const nlohmann::json& p = m.at("parameters");
      std::size_t estimate = 0;
      if (model == "eigentrust") {
        estimate = kernels::eigentrust_host_bytes(n, nnz);
      } else if (model == "personalized") {
        // The bench's seed sets hold one agent each.
        estimate = host::personalized_bytes(cpu, n, nnz, p.at("seed_sets"), p.at("seed_sets"));
      } else if (model == "fairness-goodness") {
        estimate = host::fairness_goodness_bytes(cpu, n, nnz, nnz, false);
      } else if (model == "signed") {
        host::SignedTrustOptions o;
        o.steps = p.at("steps");
        o.batch = p.at("batch");
        o.mode = host::parse_signed_mode(p.at("mode"));
        estimate = host::signed_trust_bytes(cpu, n, nnz, p.at("sources"), o);
      } else if (model == "sybilrank") {
        estimate = host::sybilrank_bytes(cpu, n, nnz, false);
      } else {
        ADD_FAILURE() << "unknown model " << model;
        continue;
      }
      SCOPED_TRACE(g.at("label").get<std::string>() + ", " + model);
      EXPECT_EQ(p.at("estimate_bytes").get<std::size_t>(), estimate) << "the bench recorded another estimate";
      const double peak = m.at("extra_bytes").get<double>();
      const double terms = (static_cast<double>(estimate) - 64.0 * mib) / 1.05;
      EXPECT_GE(terms + 16.0 * mib, peak);
      EXPECT_LE(terms, 2.0 * peak + 16.0 * mib) << "too loose";
      ++checked[model];
    }
  }
  for (const char* model : {"eigentrust", "personalized", "fairness-goodness", "signed", "sybilrank"})
    EXPECT_GE(checked[model], 3) << model << ": every recorded graph";
  EXPECT_EQ(kernels::eigentrust_bytes(kernels::BackendKind::cpu, 1000, 50000), kernels::eigentrust_host_bytes(1000, 50000));
  EXPECT_EQ(kernels::eigentrust_bytes(kernels::BackendKind::cuda, 1000, 50000), kernels::eigentrust_device_bytes(1000, 50000));
}
