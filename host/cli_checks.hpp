// Checks of command-line values, run by CLI11 while parsing: a bad value is
// a usage error (exit 64) naming the option, before any file is read. The
// models' own checks (ConfigError, 78) stay for values that come from a
// configuration file or from library callers.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trustprop::host {

// A finite number in [low, high], or (low, high] when `low_open`.
CLI::Validator finite_number_in(double low, bool low_open, double high);

// A duration: seconds, or a number with unit s, m, h or d ("90m", "1.5h"),
// greater than 0.
CLI::Validator duration_check();

// Seconds of a duration as duration_check accepts it. Throws UsageError
// naming `option`.
double parse_duration(const std::string& text, const std::string& option);

// A backend: auto, cpu, cuda or cuda:N (kernels::device_spec_problem).
CLI::Validator device_check();

// A directory to write (--run-dir): not empty, which would name no directory.
CLI::Validator directory_check();

}  // namespace trustprop::host
