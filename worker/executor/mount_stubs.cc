#include "worker/executor/mount_stubs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "worker/executor/rooted_path.h"

namespace farm::executor {
namespace {

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// "" for a path directly under the root.
std::string ParentOf(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string NameOf(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

absl::StatusOr<struct stat> StatDirInRoot(const std::string& rootfs,
                                          const std::string& rel) {
  ASSIGN_OR_RETURN(ScopedFd dir, OpenDirInRoot(rootfs, rel));
  struct stat st;
  if (fstat(dir.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat /", rel));
  }
  return st;
}

// True if `path` is `prefix` or lies below it (both cleaned, absolute).
bool IsAtOrBelow(const std::string& path, const std::string& prefix) {
  return path == prefix || absl::StartsWith(path, absl::StrCat(prefix, "/"));
}

}  // namespace

absl::StatusOr<MountStubs> MountStubs::Create(
    const std::string& rootfs, const std::vector<Target>& targets) {
  MountStubs stubs;
  stubs.rootfs_ = rootfs;
  std::vector<std::string> earlier;
  for (const Target& target : targets) {
    std::string clean = CleanPath(absl::StrCat("/", target.path));
    bool nested = clean == "/";
    for (const std::string& previous : earlier) {
      nested |= IsAtOrBelow(clean, previous);
    }
    earlier.push_back(clean);
    if (nested || !target.manage) continue;
    absl::Status status = stubs.CreateOne(target);
    if (!status.ok()) {
      stubs.Remove().IgnoreError();
      return Annotate(status,
                      absl::StrCat("preparing mount point ", target.path));
    }
  }
  return stubs;
}

absl::Status MountStubs::CreateOne(const Target& target) {
  ASSIGN_OR_RETURN(std::string rel, ResolveInRoot(rootfs_, target.path));
  std::vector<std::string> parts = absl::StrSplit(rel, '/', absl::SkipEmpty());
  ASSIGN_OR_RETURN(ScopedFd dir, OpenDirInRoot(rootfs_, ""));
  size_t first_missing = 0;
  for (; first_missing < parts.size(); ++first_missing) {
    const std::string& part = parts[first_missing];
    struct stat st;
    if (fstatat(dir.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) break;
      return ErrnoStatus(errno, absl::StrCat("stat /", rel));
    }
    if (first_missing + 1 == parts.size()) return absl::OkStatus();  // exists
    int fd = openat(dir.get(), part.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening /", rel));
    dir = ScopedFd(fd);
  }
  if (first_missing == parts.size()) return absl::OkStatus();

  std::string parent_rel =
      absl::StrJoin(parts.begin(), parts.begin() + first_missing, "/");
  bool parent_is_stub =
      std::any_of(stubs_.begin(), stubs_.end(),
                  [&](const Stub& s) { return s.rel == parent_rel; });
  auto parent =
      std::find_if(parents_.begin(), parents_.end(),
                   [&](const Parent& p) { return p.rel == parent_rel; });
  if (!parent_is_stub && parent == parents_.end()) {
    struct stat st;
    if (fstat(dir.get(), &st) != 0) {
      return ErrnoStatus(errno, "stat " + parent_rel);
    }
    parents_.push_back(Parent{parent_rel, st.st_atim, st.st_mtim, st.st_mtim});
    parent = parents_.end() - 1;
  }
  // Whatever happens below, note the parent's mtime once the stubs are in
  // it: a different mtime after the run means the process changed it.
  ScopedFd parent_dir(dup(dir.get()));
  absl::Cleanup note_mtime = [&] {
    struct stat st;
    if (parent != parents_.end() && parent_dir.get() >= 0 &&
        fstat(parent_dir.get(), &st) == 0) {
      parent->mtime_after_create = st.st_mtim;
    }
  };

  std::string made = parent_rel;
  for (size_t i = first_missing; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    made = made.empty() ? part : absl::StrCat(made, "/", part);
    bool last = i + 1 == parts.size();
    if (last && target.is_file) {
      ScopedFd file(openat(dir.get(), part.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           0644));
      if (file.get() < 0) {
        return ErrnoStatus(errno, absl::StrCat("creating /", made));
      }
      stubs_.push_back(Stub{made, false});
      if (fchmod(file.get(), 0644) != 0) {
        return ErrnoStatus(errno, "chmod /" + made);
      }
      break;
    }
    if (mkdirat(dir.get(), part.c_str(), 0755) != 0) {
      return ErrnoStatus(errno, absl::StrCat("creating /", made));
    }
    stubs_.push_back(Stub{made, true});
    // Stubs are empty and removed again; 0755 whatever the umask, as runc.
    if (fchmodat(dir.get(), part.c_str(), 0755, 0) != 0) {
      return ErrnoStatus(errno, "chmod /" + made);
    }
    int fd = openat(dir.get(), part.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("opening /", made));
    dir = ScopedFd(fd);
  }
  return absl::OkStatus();
}

absl::Status MountStubs::Remove() {
  absl::Status first_error;
  auto note = [&](absl::Status status) {
    if (!status.ok() && first_error.ok()) first_error = std::move(status);
  };

  // What each parent looks like after the run, before any removal changes it.
  struct After {
    bool present = false;
    struct timespec atime, mtime;
  };
  std::vector<After> after(parents_.size());
  for (size_t i = 0; i < parents_.size(); ++i) {
    absl::StatusOr<struct stat> st = StatDirInRoot(rootfs_, parents_[i].rel);
    if (!st.ok()) continue;  // the run removed or replaced it: leave it be
    after[i] = After{true, st->st_atim, st->st_mtim};
  }

  for (auto it = stubs_.rbegin(); it != stubs_.rend(); ++it) {
    absl::StatusOr<ScopedFd> dir = OpenDirInRoot(rootfs_, ParentOf(it->rel));
    if (!dir.ok()) continue;  // gone, or no longer a plain directory
    std::string name = NameOf(it->rel);
    struct stat st;
    if (fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    if (it->is_dir && S_ISDIR(st.st_mode)) {
      if (unlinkat(dir->get(), name.c_str(), AT_REMOVEDIR) != 0 &&
          errno != ENOTEMPTY && errno != EEXIST) {
        note(
            ErrnoStatus(errno, absl::StrCat("removing mount stub /", it->rel)));
      }
    } else if (!it->is_dir && S_ISREG(st.st_mode) && st.st_size == 0) {
      if (unlinkat(dir->get(), name.c_str(), 0) != 0) {
        note(
            ErrnoStatus(errno, absl::StrCat("removing mount stub /", it->rel)));
      }
    }
  }

  for (size_t i = 0; i < parents_.size(); ++i) {
    if (!after[i].present) continue;
    const Parent& parent = parents_[i];
    bool untouched = SameTime(after[i].mtime, parent.mtime_after_create);
    struct timespec times[2] = {untouched ? parent.atime : after[i].atime,
                                untouched ? parent.mtime : after[i].mtime};
    absl::StatusOr<ScopedFd> dir = OpenDirInRoot(rootfs_, parent.rel);
    if (!dir.ok()) continue;
    if (futimens(dir->get(), times) != 0) {
      note(
          ErrnoStatus(errno, absl::StrCat("restoring times of /", parent.rel)));
    }
  }
  stubs_.clear();
  parents_.clear();
  return first_error;
}

std::vector<std::string> MountStubs::created() const {
  std::vector<std::string> out;
  for (const Stub& stub : stubs_) out.push_back(stub.rel);
  return out;
}

}  // namespace farm::executor
