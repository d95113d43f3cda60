// A network namespace held by an open file descriptor of this process: runc
// joins it and slirp4netns serves it through /proc/PID/fd/N. Nothing of it
// is on the file system, so when this process dies, however it dies, the
// kernel closes the descriptor and frees the namespace once no process is
// left in it.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_NETWORK_NAMESPACE_H_
#define FARM_WORKER_EXECUTOR_NETWORK_NETWORK_NAMESPACE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/fs.h"

namespace farm::executor::network {

class NetworkNamespace {
 public:
  // A new network namespace holding only lo, down. The errno of unshare(2)
  // (it needs CAP_SYS_ADMIN) or open(2) otherwise. Thread-safe: the
  // namespace is made on a short-lived thread of its own.
  static absl::StatusOr<NetworkNamespace> Create();

  NetworkNamespace(NetworkNamespace&& other) noexcept;
  NetworkNamespace& operator=(NetworkNamespace&& other) noexcept;
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  ~NetworkNamespace() = default;  // closes the descriptor

  // "/proc/PID/fd/N": a path that processes allowed to open this process's
  // descriptors (its root children: runc, slirp4netns) open and setns(2)
  // into, valid until Close(). "" once closed or moved from.
  const std::string& path() const { return path_; }

  // Closes the descriptor. The namespace itself goes once no process is
  // left in it. Idempotent.
  void Close();

 private:
  explicit NetworkNamespace(ScopedFd fd);

  ScopedFd fd_;  // on nsfs, O_CLOEXEC
  std::string path_;
};

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_NETWORK_NAMESPACE_H_
