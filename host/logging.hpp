// Logging: spdlog to stderr ("trustprop: level: message"), so stdout carries
// only results (tables, JSON) and can be piped. Under MPI: "trustprop[rank]:
// ...", and processes other than 0 log errors only (below debug).
#pragma once

#include <string>

namespace trustprop::host {

void setup_logging(const std::string& level);

}  // namespace trustprop::host
