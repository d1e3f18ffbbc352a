#include "host/cli_checks.hpp"

#include <fmt/format.h>

#include <cmath>
#include <regex>

#include "common/error.hpp"
#include "kernels/executor.hpp"

namespace trustprop::host {

namespace {

// Why `text` is not a duration ("" when it is one); its seconds in `seconds`.
std::string duration_problem(const std::string& text, double& seconds) {
  static const std::regex form(R"(\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*([smhd]?)\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    return "expected a duration: seconds, or a number with unit s, m, h or d (e.g. 3600, 90m, 1.5h)";
  const double value = std::strtod(m[1].str().c_str(), nullptr);
  const std::string unit = m[3].str();
  const double scale = unit == "m" ? 60.0 : unit == "h" ? 3600.0 : unit == "d" ? 86400.0 : 1.0;
  seconds = value * scale;
  if (!(seconds > 0) || !std::isfinite(seconds)) return "must be positive and finite";
  return "";
}

}  // namespace

CLI::Validator finite_number_in(double low, bool low_open, double high) {
  const std::string range = std::isinf(high) ? fmt::format("{} {}", low_open ? ">" : ">=", low)
                                             : fmt::format("in {}{}, {}]", low_open ? "(" : "[", low, high);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "'" + text + "' is not a number";
        if (!std::isfinite(v) || v < low || (low_open && v == low) || v > high)
          return "must be a finite number " + range + " (got " + text + ")";
        return "";
      },
      "FLOAT");
}

CLI::Validator duration_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double seconds = 0;
        const std::string problem = duration_problem(text, seconds);
        return problem.empty() ? "" : "'" + text + "': " + problem;
      },
      "DURATION");
}

double parse_duration(const std::string& text, const std::string& option) {
  double seconds = 0;
  const std::string problem = duration_problem(text, seconds);
  if (!problem.empty()) throw UsageError(option + " '" + text + "': " + problem);
  return seconds;
}

CLI::Validator directory_check() {
  return CLI::Validator(
      [](std::string& path) { return path.empty() ? std::string("an empty path names no directory") : ""; }, "DIR");
}

CLI::Validator device_check() {
  return CLI::Validator([](std::string& spec) { return kernels::device_spec_problem(spec); }, "DEVICE");
}

}  // namespace trustprop::host
