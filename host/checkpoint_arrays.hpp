// Moving arrays between a run's state and a checkpoint file
// (io/checkpoint_file.hpp), shared by the simulate and rank checkpoints
// (host/simulation_checkpoint.cpp, host/rank_checkpoint.cpp,
// host/rank_personalized_checkpoint.cpp), and the check of restored values. An array in
// the executor's memory is written straight from that memory when it is host
// memory (the CPU backend: one write, no copy) and through the file's 4 MiB
// block buffer otherwise (a GPU); it is read back block by block, each block
// checked by the caller before it is copied into place. No second copy of
// the state is ever held.
#pragma once

#include <cstdint>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "io/checkpoint_file.hpp"
#include "kernels/array.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

template <class T>
constexpr io::ElementType element_type_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return io::ElementType::uint8;
  else if constexpr (std::is_same_v<T, std::int64_t>) return io::ElementType::int64;
  else if constexpr (std::is_same_v<T, float>) return io::ElementType::float32;
  else return io::ElementType::float64;
}

template <class T>
io::DatasetSource from_array(const std::string& name, const kernels::Array<T>& a) {
  io::DatasetSource d{name, element_type_of<T>(), static_cast<std::int64_t>(a.size()),
                      [&a](std::int64_t offset, std::int64_t count, void* dst) {
                        a.executor()->copy_to_host(dst, a.data() + offset, static_cast<std::size_t>(count) * sizeof(T));
                      }};
  if (a.executor()->kind() == kernels::BackendKind::cpu) d.host_data = a.data();
  return d;
}

template <class T>
io::DatasetSource from_vector(const std::string& name, const std::vector<T>& v) {
  return {name, element_type_of<T>(), static_cast<std::int64_t>(v.size()), nullptr, v.data()};
}

// Streams a dataset into an array in the executor's memory; check(values,
// offset, count) sees each block first and throws DataError to refuse it.
template <class T, class Check>
void to_array(const io::CheckpointReader& r, const std::string& name, kernels::Array<T>& a, const Check& check) {
  r.read(name, element_type_of<T>(), static_cast<std::int64_t>(a.size()),
         [&](std::int64_t offset, std::int64_t count, const void* src) {
           check(static_cast<const T*>(src), offset, count);
           a.executor()->copy_from_host(a.data() + offset, src, static_cast<std::size_t>(count) * sizeof(T));
         });
}

template <class T>
std::vector<T> to_vector(const io::CheckpointReader& r, const std::string& name, std::int64_t size) {
  std::vector<T> v(static_cast<std::size_t>(size));
  r.read(name, element_type_of<T>(), size, [&](std::int64_t offset, std::int64_t count, const void* src) {
    std::memcpy(v.data() + offset, src, static_cast<std::size_t>(count) * sizeof(T));
  });
  return v;
}

// Refuses values no iteration produces: trust and residuals are finite and
// >= 0. Throws DataError naming the file, the dataset and the element;
// `producer` says whose iterations, e.g. "EigenTrust".
inline void check_nonnegative(const io::CheckpointReader& r, const std::string& name, const std::vector<double>& v,
                              const std::string& producer) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!(std::isfinite(v[k]) && v[k] >= 0))
      throw DataError(r.path() + ": dataset " + name + ": element " + std::to_string(k) + " is " +
                      std::to_string(v[k]) + ", which no " + producer +
                      " iteration produces (expected finite and >= 0)");
}

// Refuses trust that is no distribution: each of the `columns` vectors
// interleaved in `v` (vector c at elements j·columns + c) must sum to 1, as
// every iterate of EigenTrust and of personalized trust does, within 1e-3:
// float32 gathers leave sums some 1e-8 off 1, more where the restart
// probability is small, and a forged or damaged vector is off by far more.
// Call after check_nonnegative.
inline void check_distributions(const io::CheckpointReader& r, const std::string& name, const std::vector<double>& v,
                                std::int64_t columns, const std::string& producer) {
  std::vector<double> sums(static_cast<std::size_t>(columns), 0.0);
  for (std::size_t k = 0; k < v.size(); ++k) sums[k % sums.size()] += v[k];
  for (std::size_t c = 0; c < sums.size(); ++c)
    if (!(std::abs(sums[c] - 1.0) <= 1e-3))
      throw DataError(r.path() + ": dataset " + name + ": " +
                      (columns > 1 ? "column " + std::to_string(c) + " sums" : std::string("the vector sums")) +
                      " to " + fmt::format("{}", sums[c]) + ", but every " + producer +
                      " iterate is a distribution (sum 1)");
}

}  // namespace trustprop::host
