// metrics.jsonl written and read back (host/metrics_log.hpp).
#include "host/metrics_log.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "common/error.hpp"

namespace trustprop::host {

namespace {

// One line as a record; throws DataError (without the location) when it is not one.
EpochMetrics parse_line(const std::string& line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    const std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column C: why"
    const std::size_t why = what.find(": ", what.find("column"));
    throw DataError(
        fmt::format("not JSON at column {}: {}", e.byte, why == std::string::npos ? what : what.substr(why + 2)));
  } catch (const nlohmann::json::out_of_range& e) {
    const std::string what = e.what();  // "[json.exception.out_of_range.406] number overflow parsing '1e400'"
    const std::size_t why = what.find("] ");
    throw DataError(why == std::string::npos ? what : what.substr(why + 2));
  }
  if (!j.is_object()) throw DataError(std::string("not a JSON object but ") + j.type_name());
  EpochMetrics m;
  visit_metrics(m, [&](const char* name, auto& field) {
    const auto it = j.find(name);
    if (it == j.end()) throw DataError(fmt::format("field '{}' is missing", name));
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::int64_t>) {
      if (!it->is_number_integer())
        throw DataError(fmt::format("field '{}' must be an integer, not {}", name, it->dump()));
      if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t{INT64_MAX})
        throw DataError(fmt::format("field '{}' is {}, beyond a 64-bit integer", name, it->dump()));
      field = it->get<std::int64_t>();
    } else {
      if (!it->is_number() && !it->is_null())
        throw DataError(fmt::format("field '{}' must be a number or null, not {}", name, it->dump()));
      field = it->is_null() ? std::numeric_limits<double>::quiet_NaN() : it->get<double>();
    }
  });
  return m;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NoInputError(path + ": cannot read the metrics file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw NoInputError(path + ": error reading the metrics file");
  return text.str();
}

}  // namespace

nlohmann::json metrics_json(const EpochMetrics& m) {
  nlohmann::json j = nlohmann::json::object();
  visit_metrics(m, [&](const char* name, auto value) { j[name] = value; });  // NaN is written as null
  return j;
}

MetricsLog read_metrics_log(const std::string& path) {
  const std::string text = read_text(path);
  MetricsLog log;
  std::size_t begin = 0;
  for (std::int64_t line_number = 1; begin < text.size(); ++line_number) {
    const std::size_t end = text.find('\n', begin);
    const bool unfinished = end == std::string::npos;
    const std::string line = text.substr(begin, unfinished ? std::string::npos : end - begin);
    begin = unfinished ? text.size() : end + 1;
    try {
      EpochMetrics m = parse_line(line);
      const std::int64_t expected = static_cast<std::int64_t>(log.epochs.size()) + 1;
      if (m.epoch != expected) throw DataError(fmt::format("epoch {} where epoch {} was due", m.epoch, expected));
      log.epochs.push_back(m);
    } catch (const DataError& e) {
      const std::string where = fmt::format("{}:{}: ", path, line_number);
      if (!unfinished) throw DataError(where + e.what());
      log.warning = where + "the last line is unfinished (no newline: a run killed while writing it?) and does "
                            "not read (" + e.what() + "); skipped";
    }
  }
  return log;
}

}  // namespace trustprop::host
