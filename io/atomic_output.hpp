// Output files appear whole or not at all (DESIGN §9): everything is written
// to a temporary name beside the target, flushed to disk, and renamed over
// the target only on commit(). An AtomicOutput destroyed before commit()
// (an exception, a failed check) removes the temporary file, and so does
// remove_unfinished_outputs() for a process that a signal ends.
#pragma once

#include <string>

namespace trustprop::io {

class AtomicOutput {
 public:
  // Throws IoError when the target is a directory or its directory is missing
  // or not writable, before anything is written.
  explicit AtomicOutput(std::string target);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_; }
  // Throws IoError (exit 74) when the target's file system has less than
  // `bytes` available for `what` ("<target>: <what> needs X on disk, <dir>
  // has Y available; ..."), so that a large output is refused before hours
  // of computing rather than when its write fails.
  void require_room(double bytes, const std::string& what) const;
  const std::string& target() const { return target_; }
  // fsyncs the temporary file, renames it to the target, fsyncs the directory.
  void commit();

 private:
  std::string target_, temp_;
  bool committed_ = false;
  int slot_ = -1;  // in the registry of unfinished outputs (-1: not in it)
};

// Removes the temporary file of every AtomicOutput neither committed nor
// destroyed yet. Async-signal-safe (unlink and lock-free atomics only): for
// the handlers that end the process on SIGTERM, SIGINT, SIGHUP and SIGUSR1
// (host/signals.hpp), so that a killed run leaves no half-written file.
void remove_unfinished_outputs() noexcept;

// Throws UsageError (exit 64) when `output` names the file `input` names
// (the same path, or another name of the same file): committing the output
// would replace the input it is computed from. An output that is a symbolic
// link is not followed, since the commit replaces the link, not its target.
void require_output_is_not_input(const std::string& output, const std::string& input);

}  // namespace trustprop::io
