// Unix socket addresses hold at most 107 bytes of path, and farm's sockets
// live under --root, which can be longer (Bazel's test directories are).
// UnixSocketPath gives a name that always fits: the path itself when it is
// short, else /proc/self/fd/N/NAME through an open descriptor of its
// directory, which the kernel resolves for bind(2) and connect(2) alike.
#ifndef FARM_COMMON_UNIX_SOCKET_PATH_H_
#define FARM_COMMON_UNIX_SOCKET_PATH_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/fs.h"

namespace farm {

class UnixSocketPath {
 public:
  // For the socket at `path`, whose directory must exist. Errors opening
  // that directory.
  static absl::StatusOr<UnixSocketPath> For(const std::string& path);

  // The name to bind or connect to; valid while this object lives (and, in
  // a child process, while it inherits dir_fd() under the same number).
  const std::string& address() const { return address_; }
  // The directory's descriptor when address() goes through one; else -1.
  int dir_fd() const { return dir_.get(); }

 private:
  std::string address_;
  ScopedFd dir_;
};

}  // namespace farm

#endif  // FARM_COMMON_UNIX_SOCKET_PATH_H_
