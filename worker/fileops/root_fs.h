// RootFs: the rootfs a COPY or ADD writes into, seen the way the container
// sees it. Paths are resolved with the root as "/": symlinks (absolute or
// relative, dangling or not) and ".." never lead out of it, and every open
// goes through openat2(RESOLVE_IN_ROOT) on the root's fd, so a rootfs that a
// build controls cannot make the worker touch host files.
#ifndef FARM_WORKER_FILEOPS_ROOT_FS_H_
#define FARM_WORKER_FILEOPS_ROOT_FS_H_

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs.h"

namespace farm::fileops {

// A file owner, numeric as in a layer.
struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool operator==(const Owner& o) const { return uid == o.uid && gid == o.gid; }
};

class RootFs {
 public:
  // Opens `dir`, which must be an existing directory.
  static absl::StatusOr<RootFs> Open(const std::string& dir);

  // Resolves the container path `path` (relative paths start at the root)
  // as containerd's RootPath does: each existing symlink on the way is
  // replaced by its target (the last component's only with `follow_last`),
  // ".." stops at the root, and missing components are kept as written.
  // Returns a clean relative path ("" is the root) with no symlink among
  // its existing components. kInvalidArgument after 255 links (a loop).
  absl::StatusOr<std::string> Resolve(absl::string_view path,
                                      bool follow_last) const;

  // lstat of a resolved path; nullopt when it does not exist.
  absl::StatusOr<std::optional<struct stat>> Lstat(
      const std::string& rel) const;

  // An O_PATH fd of directory `rel`. kNotFound when missing,
  // kFailedPrecondition when not a directory.
  absl::StatusOr<ScopedFd> OpenDir(const std::string& rel) const;

  // Opens `rel` with open(2) `flags` (O_NOFOLLOW is added: the last
  // component is never followed).
  absl::StatusOr<ScopedFd> OpenAt(const std::string& rel, int flags) const;

  // Reads a regular file (symlinks followed inside the root). nullopt when
  // it or a parent does not exist; kResourceExhausted past `max_bytes`.
  absl::StatusOr<std::optional<std::string>> ReadFile(
      absl::string_view path, size_t max_bytes = 4 << 20) const;

  // mkdir -p of the resolved path `rel`: each missing directory is made
  // 0755 and, when `owner` is set, given that owner. kFailedPrecondition
  // naming the component when one is not a directory.
  absl::Status MkdirAll(const std::string& rel,
                        std::optional<Owner> owner) const;

  int fd() const { return fd_.get(); }
  const std::string& dir() const { return dir_; }

 private:
  RootFs(std::string dir, ScopedFd fd)
      : dir_(std::move(dir)), fd_(std::move(fd)) {}

  std::string dir_;
  ScopedFd fd_;
};

// "/<rel>": how messages name a resolved path.
std::string ContainerPath(const std::string& rel);

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_ROOT_FS_H_
