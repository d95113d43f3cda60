// What a worker that died (kill -9, a crash, a power cut) may have left on
// its root: runc containers still running (a container outlives the `runc
// run` that started it), its steps' cgroups, and overlay and network
// namespace mounts under the root. A worker removes them when it starts on
// that root again, before it touches anything else there.
#ifndef FARM_WORKER_EXECUTOR_LEFTOVERS_H_
#define FARM_WORKER_EXECUTOR_LEFTOVERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/fs.h"

namespace farm::executor {

// Where live workers keep their CgroupParentLease.
inline constexpr char kCgroupLeaseDir[] = "/run/farm/cgroups";

struct LeftoverScope {
  std::string runc = "runc";
  // runc's --root, e.g. <worker root>/executor/runc; "" skips containers.
  std::string runc_root;
  // The cgroup the worker's steps live under (CgroupParentForRoot); ""
  // skips cgroups.
  std::string cgroup_parent;
  // The worker's root; "" skips mounts.
  std::string mount_root;
  // Where live workers lease their cgroup parents (CgroupParentLease).
  std::string lease_dir = kCgroupLeaseDir;
};

// The cgroup under which a worker on `root` runs its steps:
// "/farm-worker-" and 12 hex digits of the SHA-256 of the root's real path.
// It is the same for every run on that root (the default worker id is not:
// it carries the pid) and differs between roots. `root` must exist.
absl::StatusOr<std::string> CgroupParentForRoot(const std::string& root);

// A live worker's hold on its cgroup parent (CgroupParentForRoot). A
// parent is empty between two RUN steps without being a leftover, so the
// sweep of empty parents in CleanLeftovers (any worker's start) keeps the
// ones leased. A shared flock on DIR/NAME.lock, gone with the process (the
// file stays: a few bytes on /run's tmpfs per root ever used).
class CgroupParentLease {
 public:
  // Leases `cgroup_parent` ("/farm-worker-..."). A lease that cannot be
  // taken (no writable /run) is empty and protects nothing; the worker
  // still runs, as before leases.
  static CgroupParentLease Take(const std::string& cgroup_parent,
                                const std::string& dir = kCgroupLeaseDir);
  bool held() const { return fd_.get() >= 0; }

 private:
  ScopedFd fd_;
};

// Removes what `scope` names: `runc delete --force` of every container in
// runc_root (which kills it), then every task left in cgroup_parent's
// subtree and the subtree itself in every hierarchy, then every overlay and
// nsfs mount strictly under mount_root, deepest first (mounts of other
// types there are the admin's and stay). Also removes the empty
// /farm-worker-* cgroups of other roots (a worker killed on a root that was
// then deleted leaves one; rmdir(2) refuses any that is in use) but those
// a live worker leases in `scope.lease_dir`. Tries
// everything and returns the first error. Only for a root no live process
// uses.
absl::Status CleanLeftovers(const LeftoverScope& scope);

// Only the last part of CleanLeftovers: the overlay and nsfs mounts
// strictly under `mount_root`, deepest first. The reaper's, once the steps
// of a killed worker are gone: their overlays would stay mounted until the
// worker starts again. (Network namespaces are held by descriptors and go
// with the worker; nsfs mounts are those of older versions.)
absl::Status UnmountUnder(const std::string& mount_root);

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_LEFTOVERS_H_
