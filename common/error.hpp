// Error types of trustprop. Every failure that reaches the user is one of
// these; each carries the sysexits code of DESIGN §5 that the process exits
// with, and a message that names the file, line or dataset at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace trustprop {

// sysexits(3) codes used by trustprop (DESIGN §5).
enum class ExitCode : int {
  ok = 0,
  usage = 64,        // EX_USAGE: wrong command line
  data = 65,         // EX_DATAERR: input data malformed
  no_input = 66,     // EX_NOINPUT: input missing or unreadable
  software = 70,     // EX_SOFTWARE: internal or CUDA error
  io = 74,           // EX_IOERR: could not write output
  temp_fail = 75,    // EX_TEMPFAIL: stopped early with a checkpoint
  config = 78,       // EX_CONFIG: bad configuration
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

struct UsageError : Error {
  explicit UsageError(const std::string& w) : Error(ExitCode::usage, w) {}
};
struct DataError : Error {
  explicit DataError(const std::string& w) : Error(ExitCode::data, w) {}
};
struct NoInputError : Error {
  explicit NoInputError(const std::string& w) : Error(ExitCode::no_input, w) {}
};
struct InternalError : Error {
  explicit InternalError(const std::string& w) : Error(ExitCode::software, w) {}
};
struct IoError : Error {
  explicit IoError(const std::string& w) : Error(ExitCode::io, w) {}
};
struct ConfigError : Error {
  explicit ConfigError(const std::string& w) : Error(ExitCode::config, w) {}
};
// A run stopped early (a signal, --max-walltime) after writing a checkpoint.
struct StoppedError : Error {
  explicit StoppedError(const std::string& w) : Error(ExitCode::temp_fail, w) {}
};

}  // namespace trustprop

// Throws InternalError with the location when an invariant does not hold.
#define TRUSTPROP_ASSERT(cond, msg)                                                      \
  do {                                                                                   \
    if (!(cond))                                                                         \
      throw ::trustprop::InternalError(std::string(__FILE__) + ":" +                     \
                                       std::to_string(__LINE__) + ": " + (msg));         \
  } while (0)
