#include "worker/executor/rooted_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace farm::executor {
namespace {

constexpr int kMaxSymlinks = 255;

std::vector<std::string> SplitPath(absl::string_view path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

absl::StatusOr<std::string> ReadLink(const std::string& path) {
  std::string target(PATH_MAX, '\0');
  ssize_t n = readlink(path.c_str(), target.data(), target.size());
  if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", path));
  target.resize(static_cast<size_t>(n));
  return target;
}

// Opens directory `rel` under `root` one component at a time, never
// following a symlink. With `create`, missing components are made first
// (0755 exactly, whatever the umask, as Docker makes them). `what` starts
// error messages.
absl::StatusOr<ScopedFd> WalkDirs(const std::string& root,
                                  absl::string_view rel, bool create,
                                  absl::string_view what) {
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  ScopedFd dir(open(root.c_str(), flags & ~O_NOFOLLOW));
  if (dir.get() < 0) return ErrnoStatus(errno, absl::StrCat("opening ", root));
  for (const std::string& part : SplitPath(rel)) {
    int fd = openat(dir.get(), part.c_str(), flags);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, what);
      }
      if (fchmodat(dir.get(), part.c_str(), 0755, 0) != 0) {
        return ErrnoStatus(errno, what);
      }
      fd = openat(dir.get(), part.c_str(), flags);
    }
    if (fd < 0) {
      if (errno == ENOTDIR || errno == ELOOP) {
        return absl::FailedPreconditionError(
            absl::StrCat(what, ": ", part, " is not a directory"));
      }
      return ErrnoStatus(errno, what);
    }
    dir = ScopedFd(fd);
  }
  return dir;
}

}  // namespace

absl::StatusOr<std::string> ResolveInRoot(const std::string& root,
                                          absl::string_view path) {
  std::vector<std::string> done;
  std::vector<std::string> parts = SplitPath(path);
  std::deque<std::string> todo(parts.begin(), parts.end());
  int links = 0;
  // Components of `done` from this index on do not exist on disk.
  size_t missing_from = SIZE_MAX;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      if (done.size() <= missing_from) missing_from = SIZE_MAX;
      continue;
    }
    if (missing_from != SIZE_MAX) {
      done.push_back(std::move(part));
      continue;
    }
    std::string host =
        JoinPath(root, absl::StrCat(absl::StrJoin(done, "/"), "/", part));
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        return ErrnoStatus(errno, absl::StrCat("resolving ", path));
      }
      missing_from = done.size();
      done.push_back(std::move(part));
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      done.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxSymlinks) {
      return absl::InvalidArgumentError(absl::StrCat(
          "resolving ", path, ": too many levels of symbolic links"));
    }
    ASSIGN_OR_RETURN(std::string target, ReadLink(host));
    if (absl::StartsWith(target, "/")) done.clear();
    std::vector<std::string> target_parts = SplitPath(target);
    todo.insert(todo.begin(), target_parts.begin(), target_parts.end());
  }
  return absl::StrJoin(done, "/");
}

absl::StatusOr<ScopedFd> OpenDirInRoot(const std::string& root,
                                       absl::string_view rel) {
  return WalkDirs(root, rel, /*create=*/false, absl::StrCat("/", rel));
}

absl::StatusOr<std::string> ReadFileInRoot(const std::string& root,
                                           absl::string_view path,
                                           size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string rel, ResolveInRoot(root, path));
  std::string parent = std::string(DirName(rel));
  if (parent == ".") parent.clear();
  ASSIGN_OR_RETURN(ScopedFd dir, OpenDirInRoot(root, parent));
  std::string name = BaseName(rel);
  // O_NONBLOCK: a FIFO planted at the path must not hang the worker.
  ScopedFd file(openat(dir.get(), name.c_str(),
                       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) return ErrnoStatus(errno, absl::StrCat("opening ", path));
  struct stat st;
  if (fstat(file.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  }
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = read(file.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("reading ", path));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status MkdirAllInRoot(const std::string& root, absl::string_view path) {
  ASSIGN_OR_RETURN(std::string rel, ResolveInRoot(root, path));
  return WalkDirs(root, rel, /*create=*/true, absl::StrCat("creating ", path))
      .status();
}

}  // namespace farm::executor
