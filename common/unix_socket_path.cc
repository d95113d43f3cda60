#include "common/unix_socket_path.h"

#include <fcntl.h>
#include <sys/un.h>

#include "absl/strings/str_cat.h"

namespace farm {

absl::StatusOr<UnixSocketPath> UnixSocketPath::For(const std::string& path) {
  UnixSocketPath out;
  if (path.size() < sizeof(sockaddr_un::sun_path)) {
    out.address_ = path;
    return out;
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  out.dir_ = ScopedFd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (out.dir_.get() < 0) return ErrnoStatus(errno, dir);
  out.address_ = absl::StrCat("/proc/self/fd/", out.dir_.get(), "/",
                              path.substr(slash + 1));
  return out;
}

}  // namespace farm
