// Graceful stops and clean ends (host/signals.hpp). The handlers touch
// nothing but a lock-free std::sig_atomic_t, unlink (through
// io::remove_unfinished_outputs), raise and _exit, all async-signal-safe.
#include "host/signals.hpp"

#include <unistd.h>

#include "io/atomic_output.hpp"

namespace trustprop::host {

namespace {

constexpr int kSignals[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

volatile std::sig_atomic_t g_requested = 0;

extern "C" void on_stop_signal(int signal) {
  if (g_requested != 0) {  // the second signal: stop now, without a checkpoint
    io::remove_unfinished_outputs();
    _exit(128 + signal);
  }
  g_requested = signal;
}

// The disposition is back to the default on entry (SA_RESETHAND), and the
// signal raised again is delivered as the handler returns.
extern "C" void on_termination(int signal) {
  io::remove_unfinished_outputs();
  raise(signal);
}

}  // namespace

void remove_outputs_on_termination() {
  struct sigaction action {};
  action.sa_handler = on_termination;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (const int signal : kSignals) {
    struct sigaction inherited {};
    sigaction(signal, nullptr, &inherited);
    if (inherited.sa_handler == SIG_IGN) continue;  // nohup, or a shell's background job: stays ignored
    sigaction(signal, &action, nullptr);
  }
}

StopSignals::StopSignals() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // system calls in progress (file writes) carry on
  for (int k = 0; k < 4; ++k) {
    sigaction(kSignals[k], nullptr, &previous_[k]);
    // One ignored since the start (nohup's SIGHUP) stays ignored.
    if (previous_[k].sa_handler != SIG_IGN) sigaction(kSignals[k], &action, nullptr);
  }
}

StopSignals::~StopSignals() {
  for (int k = 0; k < 4; ++k) sigaction(kSignals[k], &previous_[k], nullptr);
}

int StopSignals::requested() const { return g_requested; }

const char* StopSignals::name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace trustprop::host
