#include "host/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "host/world.hpp"

namespace trustprop::host {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_st("trustprop");
  auto lvl = spdlog::level::from_str(level);
  const Communicator& processes = world();
  if (processes.size() == 1) {
    logger->set_pattern("trustprop: %l: %v");
  } else {
    // Under MPI every line says which process wrote it, and processes other
    // than 0 say only what goes wrong (they all compute the same things),
    // unless asked for debug output.
    logger->set_pattern("trustprop[" + std::to_string(processes.rank()) + "]: %l: %v");
    if (processes.rank() > 0 && lvl > spdlog::level::debug) lvl = std::max(lvl, spdlog::level::err);
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
}

}  // namespace trustprop::host
