// What the GraphBLAS benchmarks share (bench_cpu_graphblas,
// bench_cpu_graphblas_models): GraphBLAS error checks and per-precision
// types and calls, timing statistics,
// and the STREAM triad probe that measures the machine's bandwidth in the
// same run as the systems it is compared with (DESIGN §8).
#pragma once

// GraphBLAS.h (7.4) has no extern "C" guard of its own.
extern "C" {
#include <GraphBLAS.h>
}
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "benchmarks/bench_stream.hpp"
#include "common/error.hpp"

namespace trustprop::bench {

inline void grb_check(GrB_Info info, const char* what) {
  if (info != GrB_SUCCESS && info != GrB_NO_VALUE)
    throw trustprop::InternalError(fmt::format("GraphBLAS: {} failed with GrB_Info {}", what, static_cast<int>(info)));
}

// ---------------------------------------------------------------- types

// The type-dependent GraphBLAS objects and calls of one precision.
template <class FP>
struct GrbTypes;
template <>
struct GrbTypes<float> {
  static GrB_Type type() { return GrB_FP32; }
  static GrB_Semiring plus_times() { return GrB_PLUS_TIMES_SEMIRING_FP32; }
  static GrB_Semiring plus_second() { return GxB_PLUS_SECOND_FP32; }
  static GrB_BinaryOp times() { return GrB_TIMES_FP32; }
  static GrB_BinaryOp plus() { return GrB_PLUS_FP32; }
  static GrB_BinaryOp minus() { return GrB_MINUS_FP32; }
  static GrB_UnaryOp abs() { return GrB_ABS_FP32; }
  static GrB_Monoid plus_monoid() { return GrB_PLUS_MONOID_FP32; }
  static GrB_Info assign(GrB_Vector w, float x, GrB_Index n) {
    return GrB_Vector_assign_FP32(w, nullptr, nullptr, x, GrB_ALL, n, nullptr);
  }
  static GrB_Info reduce(float* x, GrB_Vector u) {
    return GrB_Vector_reduce_FP32(x, nullptr, GrB_PLUS_MONOID_FP32, u, nullptr);
  }
  static GrB_Info tuples(GrB_Index* i, float* x, GrB_Index* k, GrB_Vector v) {
    return GrB_Vector_extractTuples_FP32(i, x, k, v);
  }
  static GrB_Info build(GrB_Vector v, const GrB_Index* i, const float* x, GrB_Index k) {
    return GrB_Vector_build_FP32(v, i, x, k, GrB_PLUS_FP32);
  }
  static GrB_Info build(GrB_Matrix a, const GrB_Index* i, const GrB_Index* j, const float* x, GrB_Index k) {
    return GrB_Matrix_build_FP32(a, i, j, x, k, GrB_PLUS_FP32);
  }
  static GrB_Info tuples(GrB_Index* i, GrB_Index* j, float* x, GrB_Index* k, GrB_Matrix a) {
    return GrB_Matrix_extractTuples_FP32(i, j, x, k, a);
  }
  // w accum= op(u, y) for every entry of u
  static GrB_Info apply_2nd(GrB_Vector w, GrB_BinaryOp accum, GrB_BinaryOp op, GrB_Vector u, float y) {
    return GrB_Vector_apply_BinaryOp2nd_FP32(w, nullptr, accum, op, u, y, nullptr);
  }
  static const char* name() { return "graphblas_fp32"; }
};
template <>
struct GrbTypes<double> {
  static GrB_Type type() { return GrB_FP64; }
  static GrB_Semiring plus_times() { return GrB_PLUS_TIMES_SEMIRING_FP64; }
  static GrB_Semiring plus_second() { return GxB_PLUS_SECOND_FP64; }
  static GrB_BinaryOp times() { return GrB_TIMES_FP64; }
  static GrB_BinaryOp plus() { return GrB_PLUS_FP64; }
  static GrB_BinaryOp minus() { return GrB_MINUS_FP64; }
  static GrB_UnaryOp abs() { return GrB_ABS_FP64; }
  static GrB_Monoid plus_monoid() { return GrB_PLUS_MONOID_FP64; }
  static GrB_Info assign(GrB_Vector w, double x, GrB_Index n) {
    return GrB_Vector_assign_FP64(w, nullptr, nullptr, x, GrB_ALL, n, nullptr);
  }
  static GrB_Info reduce(double* x, GrB_Vector u) {
    return GrB_Vector_reduce_FP64(x, nullptr, GrB_PLUS_MONOID_FP64, u, nullptr);
  }
  static GrB_Info tuples(GrB_Index* i, double* x, GrB_Index* k, GrB_Vector v) {
    return GrB_Vector_extractTuples_FP64(i, x, k, v);
  }
  static GrB_Info build(GrB_Vector v, const GrB_Index* i, const double* x, GrB_Index k) {
    return GrB_Vector_build_FP64(v, i, x, k, GrB_PLUS_FP64);
  }
  static GrB_Info build(GrB_Matrix a, const GrB_Index* i, const GrB_Index* j, const double* x, GrB_Index k) {
    return GrB_Matrix_build_FP64(a, i, j, x, k, GrB_PLUS_FP64);
  }
  static GrB_Info tuples(GrB_Index* i, GrB_Index* j, double* x, GrB_Index* k, GrB_Matrix a) {
    return GrB_Matrix_extractTuples_FP64(i, j, x, k, a);
  }
  // w accum= op(u, y) for every entry of u
  static GrB_Info apply_2nd(GrB_Vector w, GrB_BinaryOp accum, GrB_BinaryOp op, GrB_Vector u, double y) {
    return GrB_Vector_apply_BinaryOp2nd_FP64(w, nullptr, accum, op, u, y, nullptr);
  }
  static const char* name() { return "graphblas_fp64"; }
};

// ---------------------------------------------------------------- statistics

struct Stats {
  double median = 0, min = 0, mean = 0;
};

inline Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  s.median = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
  s.min = v.front();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(k);
  return s;
}

}  // namespace trustprop::bench

#define GRB_OK(call) ::trustprop::bench::grb_check((call), #call)
