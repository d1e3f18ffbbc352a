// Bytes as trustprop's messages say them (memory and disk refusals):
// "3.0 GiB", or "257.0 MiB" below a GiB.
#pragma once

#include <cstdio>
#include <string>

namespace trustprop {

inline std::string size_text(double bytes) {
  char buf[32];
  if (bytes < double(1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / double(1ull << 30));
  return buf;
}

}  // namespace trustprop
