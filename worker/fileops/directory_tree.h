// DirectoryTree: a SourceTree over a directory on disk (the materialised
// build context, or a stage's or image's rootfs for COPY --from), so the
// worker selects COPY sources with the same code the scheduler uses on the
// context manifest. Every lookup is confined to the directory: paths are
// opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so neither
// ".." nor a symlink can lead out of it.
#ifndef FARM_WORKER_FILEOPS_DIRECTORY_TREE_H_
#define FARM_WORKER_FILEOPS_DIRECTORY_TREE_H_

#include <fcntl.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/fs.h"
#include "dockerfile/source_tree.h"

namespace farm::fileops {

class DirectoryTree : public dockerfile::SourceTree {
 public:
  // Opens `dir`, which must be an existing directory.
  static absl::StatusOr<DirectoryTree> Open(const std::string& dir);

  // SourceTree. Paths are clean and relative ("" is the root) and may not
  // pass through a symlink; one that does is kNotFound, as if absent.
  absl::StatusOr<dockerfile::SourceStat> Lstat(
      const std::string& path) const override;
  absl::StatusOr<std::vector<std::string>> List(
      const std::string& path) const override;

  // The full lstat of `path`, for what SourceStat leaves out (times, inode,
  // device numbers).
  absl::StatusOr<struct stat> Stat(const std::string& path) const;
  // An O_PATH fd of `path` itself (for linkat through /proc/self/fd).
  absl::StatusOr<ScopedFd> OpenPath(const std::string& path) const {
    return OpenBeneath(path, O_PATH);
  }
  // Opens a regular file for reading; kFailedPrecondition if it is not one.
  absl::StatusOr<ScopedFd> OpenFile(const std::string& path) const;
  absl::StatusOr<std::string> ReadLink(const std::string& path) const;
  // The security.capability xattr of a file or directory, if set.
  std::optional<std::string> Capability(const std::string& path) const;

  // For a walk over many entries: a directory opened once, then its
  // entries by name, one component each (never followed if a symlink), so
  // each costs one call instead of a walk from the top.
  absl::StatusOr<ScopedFd> OpenDir(const std::string& path) const {
    return OpenBeneath(path, O_RDONLY | O_DIRECTORY);
  }
  // Sorted names in a directory from OpenDir.
  static absl::StatusOr<std::vector<std::string>> ListAt(int dirfd);
  // As Stat and OpenFile, for the entry `name` of a directory from OpenDir;
  // `path` is its path in the tree, for errors.
  static absl::StatusOr<struct stat> StatAt(int dirfd, const std::string& name,
                                            absl::string_view path);
  static absl::StatusOr<ScopedFd> OpenFileAt(int dirfd,
                                             const std::string& name,
                                             absl::string_view path);

  const std::string& dir() const { return dir_; }

 private:
  DirectoryTree(std::string dir, ScopedFd fd)
      : dir_(std::move(dir)), fd_(std::move(fd)) {}
  // An fd of `path` itself (a symlink is not followed) with `flags`.
  absl::StatusOr<ScopedFd> OpenBeneath(const std::string& path,
                                       int flags) const;

  std::string dir_;
  ScopedFd fd_;
};

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_DIRECTORY_TREE_H_
