#include "host/result_room.hpp"

#include "common/error.hpp"
#include "kernels/cpu/host_memory.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

void require_result_room(std::int64_t n, std::int64_t k, std::size_t beside, const std::string& what,
                         const std::string& column) {
  const double result = 8.0 * static_cast<double>(n) * static_cast<double>(k) * 1.05;
  const std::size_t need = static_cast<std::size_t>(result) + beside;
  const std::size_t available = kernels::cpu::host_memory_available();
  if (need <= available) return;
  throw InternalError(what + " needs " + kernels::size_text(static_cast<double>(need)) +
                      " of host memory (the results of " + std::to_string(k) + " " + column +
                      "s held at once, 8 B per agent per " + column +
                      (beside > 0 ? ", beside " + kernels::size_text(static_cast<double>(beside)) + " for this process's own run" : "") +
                      "), " + kernels::size_text(static_cast<double>(available)) + " available; run fewer " + column +
                      "s per job");
}

}  // namespace trustprop::host
