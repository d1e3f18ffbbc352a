#include "io/atomic_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/error.hpp"
#include "common/size_text.hpp"

namespace trustprop::io {

namespace {

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The temporaries of the live AtomicOutputs, readable from a signal
// handler: a fixed table of paths, each slot free (0), being filled (1) or
// holding a temporary (2). An output past the table's size is not removed
// on a signal (the next run with --run-dir still removes it).
constexpr int kSlots = 64;
constexpr std::size_t kPathBytes = 4096;
char g_paths[kSlots][kPathBytes];
std::atomic<int> g_slots[kSlots];
static_assert(std::atomic<int>::is_always_lock_free);

int register_unfinished(const std::string& path) {
  if (path.size() >= kPathBytes) return -1;
  for (int k = 0; k < kSlots; ++k) {
    int free = 0;
    if (!g_slots[k].compare_exchange_strong(free, 1)) continue;
    std::memcpy(g_paths[k], path.c_str(), path.size() + 1);
    g_slots[k].store(2, std::memory_order_release);
    return k;
  }
  return -1;
}

void unregister_unfinished(int slot) {
  if (slot >= 0) g_slots[slot].store(0, std::memory_order_release);
}

// fsyncs a file or directory; returns 0 or the errno of the failure.
int fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

AtomicOutput::AtomicOutput(std::string target) : target_(std::move(target)) {
  if (target_.empty()) throw IoError("output path is empty");
  struct stat st {};
  if (stat(target_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw IoError(target_ + ": is a directory; give a file name for the output");
  const std::string dir = parent_dir(target_);
  if (stat(dir.c_str(), &st) != 0) throw IoError(target_ + ": output directory " + dir + " does not exist");
  if (!S_ISDIR(st.st_mode)) throw IoError(target_ + ": " + dir + " is not a directory");
  if (access(dir.c_str(), W_OK) != 0)
    throw IoError(target_ + ": output directory " + dir + " is not writable");
  temp_ = target_ + ".tmp-" + std::to_string(getpid());
  slot_ = register_unfinished(temp_);
}

void require_output_is_not_input(const std::string& output, const std::string& input) {
  struct stat out {}, in {};
  if (lstat(output.c_str(), &out) != 0 || stat(input.c_str(), &in) != 0) return;
  if (out.st_dev == in.st_dev && out.st_ino == in.st_ino)
    throw UsageError(output + ": the output is the input " + input +
                     "; writing it would replace the input: give another output file");
}

AtomicOutput::~AtomicOutput() {
  unregister_unfinished(slot_);
  if (!committed_) std::remove(temp_.c_str());
}

void remove_unfinished_outputs() noexcept {
  for (int k = 0; k < kSlots; ++k)
    if (g_slots[k].load(std::memory_order_acquire) == 2) ::unlink(g_paths[k]);
}

void AtomicOutput::require_room(double bytes, const std::string& what) const {
  const std::string dir = parent_dir(target_);
  std::error_code ec;
  const auto space = std::filesystem::space(dir, ec);
  if (ec || static_cast<double>(space.available) >= bytes) return;  // unknown: the write will tell
  throw IoError(target_ + ": " + what + " needs " + size_text(bytes) + " on disk, " + dir + " has " +
                size_text(static_cast<double>(space.available)) +
                " available; free space there, or write the results elsewhere");
}

void AtomicOutput::commit() {
  // Data that never reached the disk (ENOSPC, EIO at write-back) must not be renamed into place.
  if (const int e = fsync_path(temp_, O_RDONLY))
    throw IoError(target_ + ": cannot flush " + temp_ + " to the disk: " + std::strerror(e));
  if (std::rename(temp_.c_str(), target_.c_str()) != 0)
    throw IoError(target_ + ": cannot rename " + temp_ + " into place: " + std::strerror(errno));
  committed_ = true;
  unregister_unfinished(slot_);
  slot_ = -1;
  (void)fsync_path(parent_dir(target_), O_RDONLY | O_DIRECTORY);  // best effort: the rename is done
}

}  // namespace trustprop::io
