// Paths inside a container rootfs, resolved as the container sees them:
// symlinks and ".." never lead out of the root, so a rootfs a build controls
// cannot make the worker touch host files.
#ifndef FARM_WORKER_EXECUTOR_ROOTED_PATH_H_
#define FARM_WORKER_EXECUTOR_ROOTED_PATH_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs.h"

namespace farm::executor {

// Resolves `path` (taken as absolute inside the container) under `root`:
// each existing symlink is followed as if `root` were "/", and missing
// components are kept lexically. Returns the result relative to `root`
// without a leading '/' ("" is the root itself), with no symlink among its
// existing components. kInvalidArgument after 255 links (a loop). Nothing
// may run in the rootfs meanwhile: a component swapped for a symlink
// between this call and the use of its result is not noticed here (the
// callers below open components with O_NOFOLLOW, which does notice).
absl::StatusOr<std::string> ResolveInRoot(const std::string& root,
                                          absl::string_view path);

// Opens the directory `rel` (a ResolveInRoot result) component by component
// with O_NOFOLLOW, so a symlink swapped in fails instead of escaping. The fd
// is open for reading (usable with the *at calls and futimens). kNotFound
// when a component is missing,
// kFailedPrecondition when one is not a directory.
absl::StatusOr<ScopedFd> OpenDirInRoot(const std::string& root,
                                       absl::string_view rel);

// Reads the regular file at `path` inside `root`. kNotFound when it does not
// exist, kFailedPrecondition when it is not a regular file,
// kResourceExhausted past `max_bytes`.
absl::StatusOr<std::string> ReadFileInRoot(const std::string& root,
                                           absl::string_view path,
                                           size_t max_bytes = 4 << 20);

// mkdir -p of `path` inside `root`; new directories get mode 0755 and the
// caller's uid/gid (root for the worker), as Docker creates a missing
// WORKDIR. kFailedPrecondition when a component is not a directory.
absl::Status MkdirAllInRoot(const std::string& root, absl::string_view path);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_ROOTED_PATH_H_
