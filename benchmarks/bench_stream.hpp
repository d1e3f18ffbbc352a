// The STREAM triad probe every benchmark measures the machine's memory
// bandwidth with, in the same run as what it is compared with (DESIGN §8),
// and the wall-clock helper it times with.
#pragma once

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "common/error.hpp"

namespace trustprop::bench {

inline double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// a[i] = b[i] + s*c[i] over three arrays of `mib` MiB each, OpenMP static
// schedule, arrays first touched by the same threads. Counts 3 arrays of
// traffic per pass (STREAM's convention: write-allocate not counted).
// Returns the best of `trials` in GB/s (1e9 bytes).
struct Stream {
  std::size_t n = 0;
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
  explicit Stream(std::size_t mib) : n(mib * (1u << 20) / sizeof(double)) {
    a = static_cast<double*>(std::aligned_alloc(64, n * sizeof(double)));
    b = static_cast<double*>(std::aligned_alloc(64, n * sizeof(double)));
    c = static_cast<double*>(std::aligned_alloc(64, n * sizeof(double)));
    if (!a || !b || !c) throw trustprop::InternalError("STREAM: cannot allocate the arrays");
    const std::int64_t nn = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < nn; ++i) {
      a[i] = 0.0;
      b[i] = 1.0;
      c[i] = 2.0;
    }
  }
  ~Stream() {
    std::free(a);
    std::free(b);
    std::free(c);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  double triad_gbps(int trials) {
    const double s = 3.0;
    const std::int64_t nn = static_cast<std::int64_t>(n);
    double best = 1e300;
    for (int t = 0; t < trials; ++t) {
      const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < nn; ++i) a[i] = b[i] + s * c[i];
      best = std::min(best, seconds(t0, std::chrono::steady_clock::now()));
    }
    volatile double sink = a[n / 2];  // keep the loop
    (void)sink;
    return 3.0 * static_cast<double>(n) * sizeof(double) / best / 1e9;
  }
};

}  // namespace trustprop::bench
