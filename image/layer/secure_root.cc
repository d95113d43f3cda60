#include "image/layer/secure_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace farm::image::layer {
namespace {

int OpenInRoot(int root, const std::string& rel, uint64_t flags) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = rel.empty() ? "." : rel.c_str();
  while (true) {
    int fd = static_cast<int>(syscall(SYS_openat2, root, p, &how, sizeof(how)));
    if (fd >= 0 || errno != EAGAIN) return fd;
  }
}

absl::Status ComponentError(int err, const std::string& path) {
  if (err == ENOTDIR) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", path, "\" is not a directory"));
  }
  if (err == ENOENT) {
    return absl::NotFoundError(absl::StrCat("\"", path, "\" does not exist"));
  }
  return ErrnoStatus(err, absl::StrCat("resolving \"", path, "\""));
}

}  // namespace

absl::StatusOr<SecureRoot> SecureRoot::Open(const std::string& path) {
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening root ", path));
  return SecureRoot(ScopedFd(fd));
}

absl::StatusOr<ScopedFd> SecureRoot::OpenDir(absl::string_view rel_view,
                                             bool create) const {
  std::string rel(rel_view == "." ? "" : rel_view);
  int fd = OpenInRoot(fd_.get(), rel, O_PATH | O_DIRECTORY);
  if (fd >= 0) return ScopedFd(fd);
  if (errno != ENOENT || !create) return ComponentError(errno, rel);

  // Walk down, making what is missing. Each step resolves from the root
  // again, so a symlink met on the way is still confined.
  ScopedFd cur(OpenInRoot(fd_.get(), "", O_PATH | O_DIRECTORY));
  if (cur.get() < 0) return ErrnoStatus(errno, "reopening root");
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(rel, '/', absl::SkipEmpty())) {
    std::string name(part);
    prefix = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
    int next = OpenInRoot(fd_.get(), prefix, O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, absl::StrCat("mkdir \"", prefix, "\""));
      }
      next = OpenInRoot(fd_.get(), prefix, O_PATH | O_DIRECTORY);
      if (next < 0 && errno == ENOENT) {
        return absl::NotFoundError(absl::StrCat(
            "\"", prefix, "\" is a symlink to a path that does not exist"));
      }
    }
    if (next < 0) return ComponentError(errno, prefix);
    cur = ScopedFd(next);
  }
  return cur;
}

absl::StatusOr<ScopedFd> ReopenDir(int path_fd) {
  int fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "reopening directory");
  return ScopedFd(fd);
}

absl::StatusOr<std::vector<std::string>> ListDirFd(int dirfd) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "opening directory to list");
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return ErrnoStatus(errno, "listing directory");
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    absl::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  closedir(d);
  return names;
}

absl::Status RemoveAt(int dirfd, const std::string& name) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("stat \"", name, "\""));
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(dirfd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open \"", name, "\""));
    ScopedFd dir(fd);
    ASSIGN_OR_RETURN(std::vector<std::string> children, ListDirFd(fd));
    for (const std::string& child : children) {
      RETURN_IF_ERROR(RemoveAt(fd, child));
    }
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) {
      return ErrnoStatus(errno, absl::StrCat("rmdir \"", name, "\""));
    }
    return absl::OkStatus();
  }
  if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unlink \"", name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace farm::image::layer
