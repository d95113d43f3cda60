#include "worker/snapshot/layer_form.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/secure_root.h"
#include "image/layer/whiteout.h"

namespace farm::snapshot {
namespace {

using image::layer::kCapabilityXattr;
using image::layer::kTrustedOpaqueXattr;
using image::layer::kUserOpaqueXattr;

#ifndef __NR_listxattrat
#define __NR_listxattrat 465  // Linux 6.13, the same number on every arch
#endif

// listxattrat(2) of `name` in `dirfd` itself (not followed): one lookup
// instead of a walk through /proc, which on a tree of 20,000 files is most
// of the cost. -1 with ENOSYS on kernels before 6.13.
ssize_t ListXattrsAt(int dirfd, const char* name, char* list, size_t size) {
  static std::atomic<bool> missing{false};
  if (missing.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  long n = syscall(__NR_listxattrat, dirfd, name, AT_SYMLINK_NOFOLLOW, list,
                   size);
  if (n < 0 && errno == ENOSYS) missing = true;
  return n;
}

// xattr calls for one entry: through an fd when the entry could be opened,
// else by its name in its directory (listxattrat) or through
// /proc/self/fd/<dir>/<name> with the l* calls, which act on the entry
// itself (symlinks, devices, fifos).
class XattrTarget {
 public:
  XattrTarget(int fd, int dirfd, const std::string& name)
      : fd_(fd),
        dirfd_(dirfd),
        name_(name),
        path_(fd >= 0 ? "" : absl::StrCat("/proc/self/fd/", dirfd, "/", name)) {
  }

  absl::StatusOr<std::vector<std::string>> List() const {
    // Most entries have no xattrs at all: ask for the size first, so they
    // cost one call and no buffer.
    std::string buf;
    while (true) {
      ssize_t n = fd_ >= 0 ? flistxattr(fd_, buf.data(), buf.size())
                           : ListXattrsAt(dirfd_, name_.c_str(), buf.data(),
                                          buf.size());
      if (n < 0 && errno == ENOSYS && fd_ < 0) {
        n = llistxattr(path_.c_str(), buf.data(), buf.size());
      }
      if (n == 0) return std::vector<std::string>();
      if (n > 0 && !buf.empty()) {
        buf.resize(n);
        break;
      }
      if (n < 0 && errno == ENOTSUP) return std::vector<std::string>();
      if (n < 0 && errno != ERANGE) {
        return ErrnoStatus(errno, "listing xattrs");
      }
      buf.resize(n > 0 ? n + 256 : buf.size() * 4);  // grew in between
    }
    std::vector<std::string> names;
    for (absl::string_view n : absl::StrSplit(buf, '\0', absl::SkipEmpty())) {
      names.emplace_back(n);
    }
    return names;
  }

  std::string Get(const std::string& name) const {
    char buf[256];
    ssize_t n = fd_ >= 0
                    ? fgetxattr(fd_, name.c_str(), buf, sizeof(buf))
                    : lgetxattr(path_.c_str(), name.c_str(), buf, sizeof(buf));
    return n < 0 ? std::string() : std::string(buf, n);
  }

  absl::Status Remove(const std::string& name) const {
    int r = fd_ >= 0 ? fremovexattr(fd_, name.c_str())
                     : lremovexattr(path_.c_str(), name.c_str());
    if (r != 0 && errno != ENODATA) {
      return ErrnoStatus(errno, absl::StrCat("removing xattr ", name));
    }
    return absl::OkStatus();
  }

  absl::Status SetOpaque() const {
    if (fsetxattr(fd_, kTrustedOpaqueXattr, "y", 1, 0) != 0) {
      return ErrnoStatus(errno, "setting the opaque mark");
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  int dirfd_;
  std::string name_;
  std::string path_;
};

class Converter {
 public:
  explicit Converter(std::optional<int64_t> sde) : sde_(sde) {}

  absl::Status Dir(int dirfd, const std::string& path) {
    ASSIGN_OR_RETURN(std::vector<std::string> names,
                     image::layer::ListDirFd(dirfd));
    for (const std::string& name : names) {
      std::string child = absl::StrCat(path, "/", name);
      absl::Status s = Entry(dirfd, name, child);
      if (!s.ok() && !absl::StartsWith(s.message(), "/")) {
        s = Annotate(s, child);
      }
      RETURN_IF_ERROR(s);
    }
    return absl::OkStatus();
  }

  int64_t Mtime(const struct stat& st) const {
    int64_t t = st.st_mtim.tv_sec;
    return sde_.has_value() && t > *sde_ ? *sde_ : t;
  }

 private:
  absl::Status Entry(int dirfd, const std::string& name,
                     const std::string& path) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "stat");
    }
    if (S_ISSOCK(st.st_mode)) {
      if (unlinkat(dirfd, name.c_str(), 0) != 0) {
        return ErrnoStatus(errno, "removing socket");
      }
      return absl::OkStatus();
    }
    // What the tree takes on disk, each inode once (the changes below
    // leave every size as it is).
    if (inodes_.insert({st.st_dev, st.st_ino}).second) {
      disk_bytes_ += static_cast<uint64_t>(st.st_blocks) * 512;
    }
    bool whiteout = S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
    int64_t mtime = whiteout ? 0 : Mtime(st);
    if (S_ISREG(st.st_mode) && st.st_mtim.tv_sec == mtime &&
        st.st_mtim.tv_nsec == 0) {
      // Already in form (a COPY's link to a context file, whose inode the
      // mirror shares): not opened, and only xattrs it should not have go.
      return CleanXattrs(XattrTarget(-1, dirfd, name), false);
    }
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
      int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
      if (S_ISDIR(st.st_mode)) flags |= O_DIRECTORY;
      int fd = openat(dirfd, name.c_str(), flags);
      if (fd < 0) return ErrnoStatus(errno, "opening");
      ScopedFd entry(fd);
      // Children first: removing a socket would move this dir's mtime.
      if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(Dir(fd, path));
      RETURN_IF_ERROR(
          CleanXattrs(XattrTarget(fd, dirfd, name), S_ISDIR(st.st_mode)));
      struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
      if (futimens(fd, times) != 0) return ErrnoStatus(errno, "futimens");
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CleanXattrs(XattrTarget(-1, dirfd, name), false));
    if (whiteout) {
      if (fchownat(dirfd, name.c_str(), 0, 0, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoStatus(errno, "chown whiteout");
      }
      if (fchmodat(dirfd, name.c_str(), 0, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoStatus(errno, "chmod whiteout");
      }
    }
    struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    if (utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "utimensat");
    }
    return absl::OkStatus();
  }

  static absl::Status CleanXattrs(const XattrTarget& target, bool dir) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, target.List());
    bool opaque = false;
    for (const std::string& name : names) {
      if (name == kCapabilityXattr) continue;
      if (dir && (name == kTrustedOpaqueXattr || name == kUserOpaqueXattr)) {
        opaque = opaque || target.Get(name) == "y";
      }
      RETURN_IF_ERROR(target.Remove(name));
    }
    return opaque ? target.SetOpaque() : absl::OkStatus();
  }

  std::optional<int64_t> sde_;
  absl::flat_hash_set<std::pair<dev_t, ino_t>> inodes_;
  uint64_t disk_bytes_ = 0;

 public:
  uint64_t disk_bytes() const { return disk_bytes_; }
};

}  // namespace

absl::StatusOr<uint64_t> ToLayerForm(
    const std::string& dir, std::optional<int64_t> source_date_epoch) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening ", dir));
  ScopedFd root(fd);
  Converter converter(source_date_epoch);
  RETURN_IF_ERROR(Annotate(converter.Dir(fd, ""), "layer form of " + dir));
  if (fchown(fd, 0, 0) != 0 || fchmod(fd, 0755) != 0) {
    return ErrnoStatus(errno, absl::StrCat("resetting the root of ", dir));
  }
  XattrTarget self(fd, -1, "");
  ASSIGN_OR_RETURN(std::vector<std::string> names, self.List());
  for (const std::string& name : names) RETURN_IF_ERROR(self.Remove(name));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", dir));
  }
  return converter.disk_bytes() + static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace farm::snapshot
