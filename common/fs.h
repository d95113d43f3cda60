// Filesystem helpers shared by every component: errno → Status, file I/O,
// lexical path cleaning (Go's path.Clean rules, which Docker relies on).
#ifndef FARM_COMMON_FS_H_
#define FARM_COMMON_FS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace farm {

// Maps an errno value to the closest absl code: ENOENT → kNotFound,
// ENOSPC/EDQUOT → kResourceExhausted, EACCES/EPERM → kPermissionDenied,
// EEXIST → kAlreadyExists, anything else → kInternal.
absl::Status ErrnoStatus(int err, absl::string_view context);

// Closes a file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes through a temporary file and rename(2), so readers never see half.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data,
                             mode_t mode = 0644);
absl::Status WriteFile(const std::string& path, absl::string_view data,
                       mode_t mode = 0644);

// mkdir -p. Existing directories are fine.
absl::Status MakeDirs(const std::string& path, mode_t mode = 0755);
// rm -rf. A missing path is fine. Never follows symlinks.
absl::Status RemoveAll(const std::string& path);
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
// Names in a directory, sorted, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path);

// Joins with exactly one '/' between parts; an empty part is skipped.
std::string JoinPath(absl::string_view a, absl::string_view b);
// Lexical cleaning as Go's path.Clean: collapses "//", removes ".", resolves
// ".." against earlier elements (never above "/" for absolute paths).
// "" becomes ".".
std::string CleanPath(absl::string_view path);
// `path` cleaned, and joined to the working directory when relative.
absl::StatusOr<std::string> AbsolutePath(const std::string& path);
// Directory part and base part, as path.Dir / path.Base.
std::string DirName(absl::string_view path);
std::string BaseName(absl::string_view path);

// A fresh directory under $TEST_TMPDIR or /tmp. Removed by the caller.
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

}  // namespace farm

#endif  // FARM_COMMON_FS_H_
