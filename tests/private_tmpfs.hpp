// A small tmpfs mounted for one test only, to fill up (a genuinely full
// disk): a private mount namespace (unshare(2), as root or through a user
// namespace) makes the mount invisible outside this process and its
// children, and it disappears with them. Where none can be mounted the
// tests skip and say why.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace trustprop::testing {

namespace fs = std::filesystem;

inline std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

inline void write_file_text(const char* path, const std::string& text) {
  std::ofstream(path) << text;
}

// Gives this thread (and the processes it starts) a mount namespace of its
// own, as root or, failing that, through a user namespace. Returns "" or
// why it cannot.
inline std::string private_mount_namespace() {
  if (unshare(CLONE_NEWNS) == 0) return "";
  const std::string as_root = errno_text("unshare(CLONE_NEWNS)");
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return as_root + "; " + errno_text("unshare(CLONE_NEWUSER | CLONE_NEWNS)");
  write_file_text("/proc/self/setgroups", "deny");
  write_file_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
  write_file_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
  return "";
}

// A tmpfs of `bytes` at `dir`, seen by this process and its children only.
class PrivateTmpfs {
 public:
  PrivateTmpfs(const fs::path& dir, std::size_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    problem_ = private_mount_namespace();
    if (problem_.empty() && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      problem_ = errno_text("mount --make-rprivate /");
    if (problem_.empty() &&
        mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + std::to_string(bytes)).c_str()) != 0)
      problem_ = errno_text(("mount -t tmpfs " + dir.string()).c_str());
    mounted_ = problem_.empty();
  }
  ~PrivateTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  // Why no tmpfs could be mounted; empty when it is.
  const std::string& problem() const { return problem_; }

  // Fills the file system with dir/filler until `leave` bytes are free.
  void fill_leaving(std::size_t leave) const {
    struct statvfs s {};
    ASSERT_EQ(statvfs(dir_.c_str(), &s), 0);
    const std::size_t free = static_cast<std::size_t>(s.f_bavail) * s.f_frsize;
    ASSERT_GT(free, leave);
    const int fd = ::open((dir_ / "filler").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(free - leave)), 0);
    ::close(fd);
  }
  void make_room() const { fs::remove(dir_ / "filler"); }

 private:
  fs::path dir_;
  std::string problem_;
  bool mounted_ = false;
};

}  // namespace trustprop::testing
