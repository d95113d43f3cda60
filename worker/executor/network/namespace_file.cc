#include "worker/executor/network/namespace_file.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/logging.h"

namespace farm::executor::network {
namespace {

// Runs on a thread of its own: unshare(CLONE_NEWNET) moves only the calling
// thread, which then binds its namespace on `path` and ends.
absl::Status BindNewNamespace(const std::string& path) {
  if (unshare(CLONE_NEWNET) != 0) {
    return ErrnoStatus(errno, "unshare(CLONE_NEWNET)");
  }
  if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND,
            nullptr) != 0) {
    return ErrnoStatus(errno,
                       absl::StrCat("binding a network namespace on ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NamespaceFile> NamespaceFile::Create(const std::string& path) {
  ScopedFd file(
      open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (file.get() < 0)
    return ErrnoStatus(errno, absl::StrCat("creating ", path));
  file = ScopedFd();
  NamespaceFile result(path);  // removes the file if binding fails
  absl::Status bound;
  std::thread([&] { bound = BindNewNamespace(path); }).join();
  if (!bound.ok()) return bound;
  return result;
}

NamespaceFile::NamespaceFile(NamespaceFile&& other) noexcept
    : path_(std::exchange(other.path_, "")) {}

NamespaceFile& NamespaceFile::operator=(NamespaceFile&& other) noexcept {
  if (this != &other) {
    Remove().IgnoreError();
    path_ = std::exchange(other.path_, "");
  }
  return *this;
}

NamespaceFile::~NamespaceFile() {
  absl::Status status = Remove();
  if (!status.ok()) {
    FARM_LOG(ERROR) << "network namespace: " << status;
  }
}

absl::Status NamespaceFile::Remove() {
  if (path_.empty()) return absl::OkStatus();
  absl::Status status = RemoveNamespaceFile(path_);
  if (status.ok()) path_.clear();
  return status;
}

absl::Status RemoveNamespaceFile(const std::string& path) {
  // EINVAL: not a mount point (never bound, or already unmounted).
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 &&
      errno != EINVAL && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unmounting ", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing ", path));
  }
  return absl::OkStatus();
}

}  // namespace farm::executor::network
