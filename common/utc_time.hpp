// Times as trustprop writes them in results, checkpoints and reports:
// ISO 8601 in UTC, to the second ("2026-12-02T03:52:30Z").
#pragma once

#include <ctime>
#include <string>

namespace trustprop {

inline std::string utc_iso8601(std::time_t t = std::time(nullptr)) {
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace trustprop
