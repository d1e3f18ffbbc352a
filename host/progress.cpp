#include "host/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace trustprop::host {

Progress::Progress(const std::string& mode, std::string label, double plain_interval_seconds)
    : label_(std::move(label)), interval_(plain_interval_seconds), start_(std::chrono::steady_clock::now()),
      last_(start_) {
  if (mode == "none")
    mode_ = Mode::none;
  else if (mode == "bar" || (mode == "auto" && isatty(STDERR_FILENO)))
    mode_ = Mode::bar;
  else
    mode_ = Mode::plain;
}

Progress::~Progress() { finish(); }

void Progress::update(long long done, long long total, const std::string& status) {
  if (mode_ == Mode::none) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (mode_ == Mode::plain) {
    if (std::chrono::duration<double>(now - last_).count() < interval_) return;
    last_ = now;
    std::fprintf(stderr, "trustprop: %s: %lld/%lld, %s, %.1f s\n", label_.c_str(), done, total, status.c_str(),
                 elapsed);
    return;
  }
  // At most ten redraws a second (a fast loop would write megabytes), and the last step always.
  if (drawn_ && done < total && std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  constexpr int width = 30;
  const int filled = total > 0 ? static_cast<int>(width * std::min(1.0, static_cast<double>(done) / total)) : 0;
  std::fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld %s %.1fs ", label_.c_str(), filled,
               "==============================", width - filled, "", done, total, status.c_str(), elapsed);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace trustprop::host
