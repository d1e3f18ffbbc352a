// Progress of long loops (DESIGN §5): a bar on a terminal (redrawn at most
// ten times a second), a plain line every few seconds in a batch log, or
// nothing. Written to stderr so stdout keeps
// only results. Mode "auto" picks the bar when stderr is a terminal.
#pragma once

#include <chrono>
#include <string>

namespace trustprop::host {

class Progress {
 public:
  // mode: auto | bar | plain | none; `label` starts each line ("eigentrust").
  Progress(const std::string& mode, std::string label, double plain_interval_seconds = 5.0);
  ~Progress();
  // Reports step `done` of `total` with a short status ("residual 1.2e-05").
  void update(long long done, long long total, const std::string& status);
  // Ends the bar's line (the destructor does it too).
  void finish();

 private:
  enum class Mode { bar, plain, none } mode_;
  std::string label_;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace trustprop::host
