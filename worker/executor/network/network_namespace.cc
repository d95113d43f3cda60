#include "worker/executor/network/network_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace farm::executor::network {
namespace {

// Runs on a thread of its own: unshare(CLONE_NEWNET) moves only the calling
// thread, which opens its namespace and ends; the descriptor keeps it.
absl::StatusOr<ScopedFd> OpenNewNamespace() {
  if (unshare(CLONE_NEWNET) != 0) {
    return ErrnoStatus(errno, "unshare(CLONE_NEWNET)");
  }
  ScopedFd fd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoStatus(errno, "opening /proc/thread-self/ns/net");
  }
  return fd;
}

}  // namespace

absl::StatusOr<NetworkNamespace> NetworkNamespace::Create() {
  absl::StatusOr<ScopedFd> fd = absl::InternalError("not run");
  std::thread([&] { fd = OpenNewNamespace(); }).join();
  if (!fd.ok()) return fd.status();
  return NetworkNamespace(*std::move(fd));
}

NetworkNamespace::NetworkNamespace(ScopedFd fd)
    : fd_(std::move(fd)),
      path_(absl::StrCat("/proc/", getpid(), "/fd/", fd_.get())) {}

NetworkNamespace::NetworkNamespace(NetworkNamespace&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::exchange(other.path_, "")) {}

NetworkNamespace& NetworkNamespace::operator=(
    NetworkNamespace&& other) noexcept {
  if (this != &other) {
    fd_ = std::move(other.fd_);
    path_ = std::exchange(other.path_, "");
  }
  return *this;
}

void NetworkNamespace::Close() {
  fd_ = ScopedFd();
  path_.clear();
}

}  // namespace farm::executor::network
