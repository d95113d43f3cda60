#include "worker/fileops/root_fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "worker/fileops/rel_path.h"

namespace farm::fileops {
namespace {

constexpr int kMaxLinks = 255;

// openat2 with the root as "/"; -1 with errno on failure.
int OpenInRoot(int root, const std::string& rel, int flags) {
  return OpenBelow(root, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

}  // namespace

std::string ContainerPath(const std::string& rel) { return "/" + rel; }

absl::StatusOr<RootFs> RootFs::Open(const std::string& dir) {
  int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening rootfs ", dir));
  return RootFs(dir, ScopedFd(fd));
}

absl::StatusOr<ScopedFd> RootFs::OpenAt(const std::string& rel,
                                        int flags) const {
  int fd = OpenInRoot(fd_.get(), rel, flags | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, ContainerPath(rel));
  return ScopedFd(fd);
}

absl::StatusOr<ScopedFd> RootFs::OpenDir(const std::string& rel) const {
  int fd = OpenInRoot(fd_.get(), rel, O_PATH | O_DIRECTORY);
  if (fd >= 0) return ScopedFd(fd);
  if (errno == ENOTDIR) {
    return absl::FailedPreconditionError(
        absl::StrCat(ContainerPath(rel), " is not a directory"));
  }
  return ErrnoStatus(errno, ContainerPath(rel));
}

absl::StatusOr<std::optional<struct stat>> RootFs::Lstat(
    const std::string& rel) const {
  struct stat st;
  if (rel.empty()) {
    if (fstat(fd_.get(), &st) != 0) return ErrnoStatus(errno, "stat /");
    return st;
  }
  std::string parent = RelParent(rel), base = RelBase(rel);
  int pfd = OpenInRoot(fd_.get(), parent, O_PATH | O_DIRECTORY);
  if (pfd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    return ErrnoStatus(errno, ContainerPath(parent));
  }
  ScopedFd dir(pfd);
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return ErrnoStatus(errno, absl::StrCat("stat ", ContainerPath(rel)));
  }
  return st;
}

absl::StatusOr<std::string> RootFs::Resolve(absl::string_view path,
                                            bool follow_last) const {
  std::vector<std::string> pending;  // the next component is at the back
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    pending.emplace_back(part);
  }
  std::reverse(pending.begin(), pending.end());
  std::vector<std::string> done;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    if (pending.empty() && !follow_last) break;
    std::string rel = absl::StrJoin(done, "/");
    ASSIGN_OR_RETURN(std::optional<struct stat> st, Lstat(rel));
    if (!st.has_value() || !S_ISLNK(st->st_mode)) continue;
    if (++links > kMaxLinks) {
      return absl::InvalidArgumentError(absl::StrCat(
          "resolving ", path, ": too many levels of symbolic links"));
    }
    std::string base = RelBase(rel);
    ASSIGN_OR_RETURN(ScopedFd pfd, OpenDir(RelParent(rel)));
    std::string target(st->st_size + 1, '\0');
    ssize_t n =
        readlinkat(pfd.get(), base.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoStatus(errno, "readlink " + ContainerPath(rel));
    target.resize(n);
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> parts =
        absl::StrSplit(target, '/', absl::SkipEmpty());
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      pending.push_back(*it);
    }
  }
  return absl::StrJoin(done, "/");
}

absl::StatusOr<std::optional<std::string>> RootFs::ReadFile(
    absl::string_view path, size_t max_bytes) const {
  std::string rel(absl::StripPrefix(path, "/"));
  int fd = OpenInRoot(fd_.get(), rel, O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    return ErrnoStatus(errno, absl::StrCat("opening ", path));
  }
  ScopedFd file(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus(errno, "stat");
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  }
  std::string out;
  char buf[1 << 14];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("reading ", path));
    if (n == 0) break;
    if (out.size() + n > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    out.append(buf, n);
  }
  return out;
}

absl::Status RootFs::MkdirAll(const std::string& rel,
                              std::optional<Owner> owner) const {
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(rel, '/', absl::SkipEmpty())) {
    std::string parent = prefix;
    prefix =
        prefix.empty() ? std::string(part) : absl::StrCat(prefix, "/", part);
    ASSIGN_OR_RETURN(std::optional<struct stat> st, Lstat(prefix));
    if (st.has_value()) {
      if (S_ISDIR(st->st_mode)) continue;
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create directory ", ContainerPath(rel), ": ",
                       ContainerPath(prefix), " is not a directory"));
    }
    ASSIGN_OR_RETURN(ScopedFd pfd, OpenDir(parent));
    std::string name(part);
    if (mkdirat(pfd.get(), name.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;  // made meanwhile
      return ErrnoStatus(errno, "mkdir " + ContainerPath(prefix));
    }
    // Not left to the umask: Docker's daemon makes these 0755.
    if (fchmodat(pfd.get(), name.c_str(), 0755, 0) != 0) {
      return ErrnoStatus(errno, "chmod " + ContainerPath(prefix));
    }
    if (owner.has_value() && fchownat(pfd.get(), name.c_str(), owner->uid,
                                      owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "chown " + ContainerPath(prefix));
    }
  }
  return absl::OkStatus();
}

}  // namespace farm::fileops
