// Mounting and unmounting overlayfs for workspaces. Options name their
// directories relative to a base directory, which the mount is made from, so
// a long chain of layers fits the one page the kernel accepts for options;
// the chdir happens on a helper thread with its own filesystem context, so
// the rest of the process never sees its working directory move.
#ifndef FARM_WORKER_SNAPSHOT_OVERLAY_MOUNT_H_
#define FARM_WORKER_SNAPSHOT_OVERLAY_MOUNT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace farm::snapshot {

struct OverlaySpec {
  // Lower directories, the top layer first; at least one.
  std::vector<std::string> lower;
  std::string upper;
  std::string work;
  // Mount "volatile": the overlay drops fsync and syncfs on the upper dir
  // (so `apt-get install`'s thousands of fsyncs cost nothing, and the
  // unmount does not write back the whole filesystem). For upper dirs that
  // a crash may lose: a build step's, which the step redoes.
  bool volatile_upper = false;
};

// The longest option string mount(2) takes: one page, NUL included.
inline constexpr size_t kMaxOverlayOptions = 4095;

// "lowerdir=a:b,upperdir=u,workdir=w,..." with redirect_dir, metacopy and
// index off, so an upper dir always holds whole files and plain whiteouts
// (what image/layer's WriteLayer needs), and ",volatile" when asked. kInvalidArgument for an empty
// lower list or a path holding ',' or ':'; kResourceExhausted when the
// options do not fit kMaxOverlayOptions.
absl::StatusOr<std::string> OverlayOptions(const OverlaySpec& spec);

// Mounts an overlay at `target` (an absolute path), resolving the relative
// paths of `spec` against `base`. A kernel without volatile overlays (before
// 5.10) gets a plain one. Thread-safe. Errors name the target and carry the
// errno code.
absl::Status MountOverlay(const std::string& base, const OverlaySpec& spec,
                          const std::string& target);

// Unmounts `target`: retried while busy, then detached lazily. A target that
// is not a mount point is OK.
absl::Status Unmount(const std::string& target);

// True when `path` is a mount point (its device differs from its parent's).
bool IsMountPoint(const std::string& path);

}  // namespace farm::snapshot

#endif  // FARM_WORKER_SNAPSHOT_OVERLAY_MOUNT_H_
