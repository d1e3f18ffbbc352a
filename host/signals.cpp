// Graceful stops (host/signals.hpp). The handler touches nothing but a
// lock-free std::sig_atomic_t and, on a second signal, calls _exit, which
// is async-signal-safe.
#include "host/signals.hpp"

#include <unistd.h>

namespace trustprop::host {

namespace {

constexpr int kSignals[3] = {SIGTERM, SIGINT, SIGUSR1};

volatile std::sig_atomic_t g_requested = 0;

extern "C" void on_stop_signal(int signal) {
  if (g_requested != 0) _exit(128 + signal);  // the second signal: stop now, without a checkpoint
  g_requested = signal;
}

}  // namespace

StopSignals::StopSignals() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // system calls in progress (file writes) carry on
  for (int k = 0; k < 3; ++k) sigaction(kSignals[k], &action, &previous_[k]);
}

StopSignals::~StopSignals() {
  for (int k = 0; k < 3; ++k) sigaction(kSignals[k], &previous_[k], nullptr);
}

int StopSignals::requested() const { return g_requested; }

const char* StopSignals::name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace trustprop::host
