#include "host/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace trustprop::host {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_st("trustprop");
  logger->set_pattern("trustprop: %l: %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace trustprop::host
