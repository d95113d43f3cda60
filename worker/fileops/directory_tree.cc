#include "worker/fileops/directory_tree.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/layer/secure_root.h"
#include "image/layer/whiteout.h"
#include "worker/fileops/rel_path.h"

namespace farm::fileops {

using dockerfile::SourceStat;

absl::StatusOr<DirectoryTree> DirectoryTree::Open(const std::string& dir) {
  int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", dir));
  return DirectoryTree(dir, ScopedFd(fd));
}

absl::StatusOr<ScopedFd> DirectoryTree::OpenBeneath(const std::string& path,
                                                    int flags) const {
  int fd =
      OpenBelow(fd_.get(), path, flags | O_NOFOLLOW,
                RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return ScopedFd(fd);
  int err = errno;
  std::string label = absl::StrCat("\"", path, "\" in ", dir_);
  // A symlink on the way (ELOOP) or a file where a directory should be:
  // the path does not exist as given.
  if (err == ELOOP || err == ENOTDIR || err == EXDEV || err == ENOENT) {
    return absl::NotFoundError(absl::StrCat(label, ": not found"));
  }
  return ErrnoStatus(err, label);
}

absl::StatusOr<struct stat> DirectoryTree::Stat(const std::string& path) const {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenBeneath(path, O_PATH));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat \"", path, "\""));
  }
  return st;
}

absl::StatusOr<SourceStat> DirectoryTree::Lstat(const std::string& path) const {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenBeneath(path, O_PATH));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat \"", path, "\""));
  }
  SourceStat out;
  out.mode = st.st_mode & 07777;
  out.uid = st.st_uid;
  out.gid = st.st_gid;
  out.size = st.st_size;
  if (S_ISREG(st.st_mode)) {
    out.type = SourceStat::Type::kFile;
  } else if (S_ISDIR(st.st_mode)) {
    out.type = SourceStat::Type::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    out.type = SourceStat::Type::kSymlink;
    std::string target(st.st_size + 1, '\0');
    ssize_t n = readlinkat(fd.get(), "", target.data(), target.size());
    if (n < 0)
      return ErrnoStatus(errno, absl::StrCat("readlink \"", path, "\""));
    target.resize(n);
    out.link_target = std::move(target);
  } else {
    out.type = SourceStat::Type::kOther;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DirectoryTree::List(
    const std::string& path) const {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenDir(path));
  return ListAt(fd.get());
}

absl::StatusOr<std::vector<std::string>> DirectoryTree::ListAt(int dirfd) {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   image::layer::ListDirFd(dirfd));
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

absl::Status MustBeRegular(int fd, absl::string_view name) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat \"", name, "\""));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", name, "\" is not a regular file"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScopedFd> DirectoryTree::OpenFile(
    const std::string& path) const {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenBeneath(path, O_RDONLY | O_NONBLOCK));
  RETURN_IF_ERROR(MustBeRegular(fd.get(), path));
  return fd;
}

absl::StatusOr<struct stat> DirectoryTree::StatAt(int dirfd,
                                                  const std::string& name,
                                                  absl::string_view path) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat \"", path, "\""));
  }
  return st;
}

absl::StatusOr<ScopedFd> DirectoryTree::OpenFileAt(int dirfd,
                                                   const std::string& name,
                                                   absl::string_view path) {
  int fd = openat(dirfd, name.c_str(),
                  O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("opening \"", path, "\""));
  }
  ScopedFd file(fd);
  RETURN_IF_ERROR(MustBeRegular(fd, path));
  return file;
}

absl::StatusOr<std::string> DirectoryTree::ReadLink(
    const std::string& path) const {
  ASSIGN_OR_RETURN(SourceStat st, Lstat(path));
  if (st.type != SourceStat::Type::kSymlink) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", path, "\" is not a symlink"));
  }
  return st.link_target;
}

std::optional<std::string> DirectoryTree::Capability(
    const std::string& path) const {
  absl::StatusOr<ScopedFd> fd = OpenBeneath(path, O_RDONLY | O_NONBLOCK);
  if (!fd.ok()) return std::nullopt;
  char buf[256];
  ssize_t n =
      fgetxattr(fd->get(), image::layer::kCapabilityXattr, buf, sizeof(buf));
  if (n < 0) return std::nullopt;
  return std::string(buf, n);
}

}  // namespace farm::fileops
