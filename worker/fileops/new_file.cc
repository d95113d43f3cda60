#include "worker/fileops/new_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "worker/fileops/rel_path.h"

namespace farm::fileops {

uint32_t ApplyChmod(uint32_t mode, std::optional<uint32_t> chmod) {
  mode &= 07777;
  return chmod.has_value() ? (mode & ~0777u) | (*chmod & 0777) : mode;
}

absl::Status MakeRoomFor(int dirfd, const std::string& name,
                         const std::string& target, absl::string_view what) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "stat " + ContainerPath(target));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot replace directory ", ContainerPath(target), " with ", what));
  }
  if (unlinkat(dirfd, name.c_str(), 0) != 0) {
    return ErrnoStatus(errno, "unlink " + ContainerPath(target));
  }
  return absl::OkStatus();
}

absl::Status WriteNewFile(const RootFs& root, const std::string& target,
                          ByteReader& content, const NewFileMeta& meta) {
  std::string name = RelBase(target);
  ASSIGN_OR_RETURN(ScopedFd dir, root.OpenDir(RelParent(target)));
  RETURN_IF_ERROR(MakeRoomFor(dir.get(), name, target, "a file"));
  int fd = openat(dir.get(), name.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "creating " + ContainerPath(target));
  ScopedFd file(fd);
  char buf[1 << 16];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, content.Read(buf, sizeof(buf)));
    if (n == 0) break;
    for (size_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus(errno, "writing " + ContainerPath(target));
      off += w;
    }
  }
  timespec mtime = absl::ToTimespec(meta.mtime);
  struct timespec times[2] = {mtime, mtime};
  if (fchown(fd, meta.owner.uid, meta.owner.gid) != 0 ||
      fchmod(fd, ApplyChmod(meta.mode, meta.chmod)) != 0 ||
      futimens(fd, times) != 0) {
    return ErrnoStatus(errno, "setting metadata of " + ContainerPath(target));
  }
  return absl::OkStatus();
}

}  // namespace farm::fileops
