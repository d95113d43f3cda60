#include "worker/snapshot/overlay_mount.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::snapshot {
namespace {

absl::Status CheckPath(const std::string& path) {
  if (path.empty() || path.find_first_of(",:") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlay: unusable path \"", path, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> OverlayOptions(const OverlaySpec& spec) {
  if (spec.lower.empty()) {
    return absl::InvalidArgumentError("overlay: no lower directory");
  }
  for (const std::string& p : spec.lower) RETURN_IF_ERROR(CheckPath(p));
  RETURN_IF_ERROR(CheckPath(spec.upper));
  RETURN_IF_ERROR(CheckPath(spec.work));
  std::string options = absl::StrCat(
      "lowerdir=", absl::StrJoin(spec.lower, ":"), ",upperdir=", spec.upper,
      ",workdir=", spec.work, ",redirect_dir=off,metacopy=off,index=off",
      spec.volatile_upper ? ",volatile" : "");
  if (options.size() > kMaxOverlayOptions) {
    return absl::ResourceExhaustedError(
        absl::StrCat("overlay: mount options for ", spec.lower.size(),
                     " layers take ", options.size(), " bytes, more than the ",
                     kMaxOverlayOptions, " the kernel accepts"));
  }
  return options;
}

absl::Status MountOverlay(const std::string& base, const OverlaySpec& spec,
                          const std::string& target) {
  static std::atomic<bool> no_volatile{false};
  if (spec.volatile_upper && no_volatile) {
    OverlaySpec plain = spec;
    plain.volatile_upper = false;
    return MountOverlay(base, plain, target);
  }
  ASSIGN_OR_RETURN(std::string options, OverlayOptions(spec));
  absl::Status result;
  int error = 0;
  // unshare(CLONE_FS) gives this thread its own cwd, so chdir cannot race
  // with relative paths used anywhere else in the process.
  std::thread helper([&] {
    if (unshare(CLONE_FS) != 0) {
      result = ErrnoStatus(errno, "overlay: unshare(CLONE_FS)");
      return;
    }
    if (chdir(base.c_str()) != 0) {
      result = ErrnoStatus(errno, absl::StrCat("overlay: chdir ", base));
      return;
    }
    if (mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) {
      error = errno;
      result = ErrnoStatus(errno,
                           absl::StrCat("overlay: mounting ", spec.lower.size(),
                                        " layers at ", target));
    }
  });
  helper.join();
  if (error == EINVAL && spec.volatile_upper) {
    // An older kernel: every later mount goes without "volatile".
    no_volatile = true;
    return MountOverlay(base, spec, target);
  }
  return result;
}

absl::Status Unmount(const std::string& target) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return absl::OkStatus();
    if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY) {
      return ErrnoStatus(errno, absl::StrCat("unmounting ", target));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 &&
      errno != EINVAL) {
    return ErrnoStatus(errno, absl::StrCat("detaching ", target));
  }
  return absl::OkStatus();
}

bool IsMountPoint(const std::string& path) {
  struct stat self, parent;
  if (lstat(path.c_str(), &self) != 0) return false;
  if (lstat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

}  // namespace farm::snapshot
