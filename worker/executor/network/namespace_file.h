// A network namespace kept alive by a bind mount on a file, as `ip netns add`
// makes one: runc joins it and slirp4netns serves it by path, and it outlives
// the thread that created it. Removing the file lets the kernel free it.
#ifndef FARM_WORKER_EXECUTOR_NETWORK_NAMESPACE_FILE_H_
#define FARM_WORKER_EXECUTOR_NETWORK_NAMESPACE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace farm::executor::network {

class NamespaceFile {
 public:
  // Creates `path` and binds a new network namespace on it; the namespace
  // holds only lo, down. kAlreadyExists when `path` exists; the errno of
  // unshare(2) or mount(2) otherwise (both need CAP_SYS_ADMIN). Thread-safe:
  // the namespace is made on a short-lived thread of its own.
  static absl::StatusOr<NamespaceFile> Create(const std::string& path);

  NamespaceFile(NamespaceFile&& other) noexcept;
  NamespaceFile& operator=(NamespaceFile&& other) noexcept;
  NamespaceFile(const NamespaceFile&) = delete;
  NamespaceFile& operator=(const NamespaceFile&) = delete;
  // Remove(), logging a failure.
  ~NamespaceFile();

  const std::string& path() const { return path_; }

  // Unmounts and deletes the file. The namespace itself goes once no process
  // is left in it. Idempotent.
  absl::Status Remove();

 private:
  explicit NamespaceFile(std::string path) : path_(std::move(path)) {}

  std::string path_;  // "" once removed or moved from
};

// Unmounts (lazily, so a holder cannot make it fail) and deletes a namespace
// file, also one a crashed process left or one never mounted. A missing
// path is fine.
absl::Status RemoveNamespaceFile(const std::string& path);

}  // namespace farm::executor::network

#endif  // FARM_WORKER_EXECUTOR_NETWORK_NAMESPACE_FILE_H_
