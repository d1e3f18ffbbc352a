// Graceful stops for batch jobs (DESIGN §5, docs/checkpoint.md): while a
// StopSignals is alive, SIGTERM, SIGINT and SIGUSR1 only set a flag, which
// the epoch loop polls to finish the current epoch, write a checkpoint and
// exit 75. A second of these signals ends the process at once (exit status
// 128 + the signal's number, as a shell reports a process killed by it).
#pragma once

#include <csignal>

namespace trustprop::host {

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // restores the previous ones
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal received, or 0.
  int requested() const;
  // "SIGTERM", "SIGINT" or "SIGUSR1".
  static const char* name(int signal);

 private:
  struct sigaction previous_[3];
};

}  // namespace trustprop::host
