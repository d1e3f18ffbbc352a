// Graceful stops for batch jobs (DESIGN §5, docs/checkpoint.md): while a
// StopSignals is alive, SIGTERM, SIGINT, SIGHUP (a closed terminal or ssh
// session) and SIGUSR1 only set a flag, which
// the epoch loop polls to finish the current epoch, write a checkpoint and
// exit 75. A second of these signals ends the process at once (exit status
// 128 + the signal's number, as a shell reports a process killed by it),
// removing the temporaries of its unfinished outputs.
#pragma once

#include <csignal>

namespace trustprop::host {

// For the whole process: SIGTERM, SIGINT, SIGHUP and SIGUSR1 remove the
// temporaries of the unfinished outputs (io::remove_unfinished_outputs) and
// then end the process by the same signal, as it would have ended without
// the handler. A signal the process inherited as ignored (nohup's SIGHUP)
// stays ignored. A StopSignals replaces them while it lives.
void remove_outputs_on_termination();

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // restores the previous ones
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal received, or 0.
  int requested() const;
  // "SIGTERM", "SIGINT", "SIGHUP" or "SIGUSR1".
  static const char* name(int signal);

 private:
  struct sigaction previous_[4];
};

}  // namespace trustprop::host
