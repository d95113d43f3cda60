// SecureRoot: filesystem operations confined to one directory tree. Every
// path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
// symlinks (absolute, "..", chains of them) resolve as if the root were "/"
// and can never lead outside; final components are then handled with *at()
// calls that do not follow symlinks. The layer applier builds on it.
#ifndef FARM_IMAGE_LAYER_SECURE_ROOT_H_
#define FARM_IMAGE_LAYER_SECURE_ROOT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs.h"

namespace farm::image::layer {

class SecureRoot {
 public:
  // Opens `path`, which must be an existing directory.
  static absl::StatusOr<SecureRoot> Open(const std::string& path);

  // An O_PATH fd of directory `rel` (a clean relative path; "" or "." is the
  // root). With `create`, missing directories are made (0755, owned by the
  // caller). kNotFound if a component is missing (without `create`) or is a
  // symlink to a missing path; kFailedPrecondition if one is not a directory.
  absl::StatusOr<ScopedFd> OpenDir(absl::string_view rel, bool create) const;

  int fd() const { return fd_.get(); }

 private:
  explicit SecureRoot(ScopedFd fd) : fd_(std::move(fd)) {}
  ScopedFd fd_;
};

// Removes `name` in `dirfd` and, for a directory, everything below it,
// never following symlinks. A missing `name` is fine.
absl::Status RemoveAt(int dirfd, const std::string& name);

// Reopens an O_PATH directory fd as a readable one (for listing, fchown,
// fsetxattr).
absl::StatusOr<ScopedFd> ReopenDir(int path_fd);

// Names in a directory fd, without "." and "..", unsorted.
absl::StatusOr<std::vector<std::string>> ListDirFd(int dirfd);

}  // namespace farm::image::layer

#endif  // FARM_IMAGE_LAYER_SECURE_ROOT_H_
