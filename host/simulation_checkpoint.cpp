// Simulation checkpoints (host/simulation_checkpoint.hpp).
#include "host/simulation_checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <regex>
#include <type_traits>

#include "common/error.hpp"
#include "host/checkpoint_arrays.hpp"

namespace trustprop::host {

namespace {

using io::ElementType;
using kernels::Array;

std::string snapshot_name(std::int64_t epoch) { return "/trust/epoch_" + std::to_string(epoch); }

// What a state array may hold; checked block by block while restoring.
enum class Allowed { any_finite, nonnegative, strategy };

template <class T>
void check_values(const io::CheckpointReader& r, const std::string& name, const T* v, std::int64_t offset,
                  std::int64_t count, Allowed allowed) {
  for (std::int64_t k = 0; k < count; ++k) {
    const T x = v[k];
    bool ok = true;
    if constexpr (std::is_floating_point_v<T>) ok = std::isfinite(x) && (allowed != Allowed::nonnegative || x >= 0);
    else ok = allowed != Allowed::strategy || x <= 1;
    if (!ok)
      throw DataError(r.path() + ": dataset " + name + ": element " + std::to_string(offset + k) + " is " +
                      std::to_string(static_cast<double>(x)) + ", which no simulation produces (" +
                      (allowed == Allowed::strategy ? "a strategy is 0 or 1"
                       : allowed == Allowed::nonnegative ? "expected finite and >= 0"
                                                         : "expected finite") +
                      ")");
  }
}

// Streams a dataset into an array in the executor's memory, checking its values.
template <class T>
void to_checked_array(const io::CheckpointReader& r, const std::string& name, Array<T>& a, Allowed allowed) {
  to_array(r, name, a,
           [&](const T* v, std::int64_t offset, std::int64_t count) { check_values(r, name, v, offset, count, allowed); });
}

// Streams elements [first, first + a.size()) of a dataset of `total`
// elements (a process's ties of the whole graph's) into `a`, checking them.
template <class T>
void to_checked_range(const io::CheckpointReader& r, const std::string& name, std::int64_t total, std::int64_t first,
                      Array<T>& a, Allowed allowed) {
  const std::int64_t end = first + static_cast<std::int64_t>(a.size());
  r.read(name, element_type_of<T>(), total, [&](std::int64_t offset, std::int64_t count, const void* src) {
    const std::int64_t b = std::max(offset, first), e = std::min(offset + count, end);
    if (b >= e) return;
    const T* v = static_cast<const T*>(src) + (b - offset);
    check_values(r, name, v, b, e - b, allowed);
    a.executor()->copy_from_host(a.data() + (b - first), v, static_cast<std::size_t>(e - b) * sizeof(T));
  });
}

}  // namespace

void save_simulation_checkpoint(const std::string& path, io::CheckpointHeader header, const Simulation& sim,
                                const RunRecord& record, io::ResultsWriter& results, const EdgeEvidence* evidence) {
  const DynamicsState& s = sim.state();
  header.epoch = s.epoch;
  std::vector<io::DatasetSource> datasets{
      evidence ? from_vector("/state/r", evidence->r) : from_array("/state/r", s.r),
      evidence ? from_vector("/state/s", evidence->s) : from_array("/state/s", s.s),
      from_array("/state/pool_r", s.pool_r), from_array("/state/pool_s", s.pool_s),
      from_array("/state/strategy", s.strategy), from_array("/state/payoff", s.payoff),
      from_array("/state/trust", s.trust)};

  // The metric record as columns (maps keep their elements in place while growing).
  std::map<std::string, std::vector<std::int64_t>> ints;
  std::map<std::string, std::vector<double>> doubles;
  for (const EpochMetrics& m : record.metrics)
    visit_metrics(m, [&](const char* name, auto value) {
      if constexpr (std::is_same_v<decltype(value), std::int64_t>) ints[name].push_back(value);
      else doubles[name].push_back(value);
    });
  const EpochMetrics fields{};
  visit_metrics(fields, [&](const char* name, auto value) {
    const std::string dataset = std::string("/record/metrics/") + name;
    if constexpr (std::is_same_v<decltype(value), std::int64_t>) datasets.push_back(from_vector(dataset, ints[name]));
    else datasets.push_back(from_vector(dataset, doubles[name]));
  });

  io::h5::File& out = results.file();
  for (std::int64_t e : record.snapshot_epochs) {
    const std::string name = snapshot_name(e);
    datasets.push_back({"/record" + name, ElementType::float64, out.size_1d(name),
                        [&out, name](std::int64_t offset, std::int64_t count, void* dst) {
                          const std::vector<double> block = out.read_1d_range<double>(name, offset, count);
                          std::memcpy(dst, block.data(), block.size() * sizeof(double));
                        }});
  }
  io::write_checkpoint(path, header, datasets);
}

RunRecord restore_simulation_checkpoint(const io::CheckpointReader& r, Simulation& sim, io::ResultsWriter* results,
                                        const std::function<bool(std::int64_t epoch)>& keep_snapshot) {
  const std::int64_t epoch = r.header().epoch;
  if (epoch > std::numeric_limits<std::uint32_t>::max())
    throw DataError(r.path() + ": root attribute epoch " + std::to_string(epoch) + " is beyond 2^32 - 1");
  DynamicsState& s = sim.state();
  to_checked_range(r, "/state/r", sim.ties(), sim.first_tie(), s.r, Allowed::nonnegative);
  to_checked_range(r, "/state/s", sim.ties(), sim.first_tie(), s.s, Allowed::nonnegative);
  to_checked_array(r, "/state/pool_r", s.pool_r, Allowed::nonnegative);
  to_checked_array(r, "/state/pool_s", s.pool_s, Allowed::nonnegative);
  to_checked_array(r, "/state/strategy", s.strategy, Allowed::strategy);
  to_checked_array(r, "/state/payoff", s.payoff, Allowed::any_finite);
  to_checked_array(r, "/state/trust", s.trust, Allowed::nonnegative);
  s.epoch = static_cast<std::uint32_t>(epoch);

  RunRecord record;
  record.metrics.resize(static_cast<std::size_t>(epoch));
  const EpochMetrics fields{};
  visit_metrics(fields, [&](const char* name, auto value) {
    using T = decltype(value);
    const std::vector<T> column = to_vector<T>(r, std::string("/record/metrics/") + name, epoch);
    // Rates of empty groups are NaN (null in metrics.jsonl); nothing is infinite, no count negative.
    for (std::size_t k = 0; k < column.size(); ++k)
      if (std::isinf(static_cast<double>(column[k])) || (std::is_integral_v<T> && column[k] < 0))
        throw DataError(r.path() + ": dataset /record/metrics/" + name + ": element " + std::to_string(k) + " is " +
                        fmt::format("{}", column[k]) + ", which no epoch records");
    for (std::size_t k = 0; k < column.size(); ++k)
      visit_metrics(record.metrics[k], [&](const char* field, auto& target) {
        if constexpr (std::is_same_v<std::decay_t<decltype(target)>, T>)
          if (std::strcmp(field, name) == 0) target = column[k];
      });
  });
  for (std::size_t k = 0; k < record.metrics.size(); ++k)
    if (record.metrics[k].epoch != static_cast<std::int64_t>(k) + 1)
      throw DataError(r.path() + ": dataset /record/metrics/epoch: element " + std::to_string(k) + " is " +
                      std::to_string(record.metrics[k].epoch) + ", expected " + std::to_string(k + 1));

  static const std::regex snapshot(R"(/record/trust/epoch_([0-9]{1,10}))");
  const std::int64_t n = static_cast<std::int64_t>(s.trust.size());
  if (results) results->ensure_group("/trust");
  for (const std::string& name : r.datasets_under("/record/trust")) {
    std::smatch m;
    if (!std::regex_match(name, m, snapshot))
      throw DataError(r.path() + ": dataset " + name + ": not a trust snapshot (expected /record/trust/epoch_<e>)");
    const std::int64_t e = std::stoll(m[1].str());
    if (e < 1 || e > epoch)
      throw DataError(r.path() + ": dataset " + name + ": a snapshot of epoch " + std::to_string(e) +
                      " in a checkpoint of epoch " + std::to_string(epoch));
    if (!keep_snapshot(e)) continue;
    record.snapshot_epochs.push_back(e);
    if (!results) continue;
    // Chunked as ResultsWriter::write chunks the snapshots of an uninterrupted run.
    io::h5::AppendableDataset out(results->file(), snapshot_name(e), H5T_NATIVE_DOUBLE, sizeof(double),
                              std::clamp<std::int64_t>(n, 1, 1 << 18), 0);
    r.read(name, ElementType::float64, n,
           [&](std::int64_t, std::int64_t count, const void* src) { out.append(src, count); });
  }
  std::sort(record.snapshot_epochs.begin(), record.snapshot_epochs.end());
  return record;
}

}  // namespace trustprop::host
