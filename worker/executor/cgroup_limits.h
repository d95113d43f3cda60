// CgroupLimits: the cgroup farm makes for one RUN step and sets the step's
// limits on (memory with no swap, pids, CPU quota). runc's cgroup for the
// container nests inside it (runc_path()). runc removes its own cgroup, and
// with it the kernel's counters, the moment the container exits; this one
// stays until Remove, so the executor can still tell which limit ended the
// step. See docs/executor.md, "Resource limits".
#ifndef FARM_WORKER_EXECUTOR_CGROUP_LIMITS_H_
#define FARM_WORKER_EXECUTOR_CGROUP_LIMITS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/fs.h"
#include "worker/executor/cgroup.h"
#include "worker/executor/executor.h"

namespace farm::executor {

// Not thread-safe.
class CgroupLimits {
 public:
  // Creates the cgroup `path` (absolute, e.g. /farm-worker-ab12/farm-0123)
  // with `limits` set, in the memory, pids and cpu hierarchies of v1 or in
  // v2, where the controllers are enabled from the root down. On v1 it also
  // registers for the memory cgroup's OOM notification before anything
  // runs, so none is missed. Without limits it is only a place for runc's
  // cgroup. Errors: the filesystem's (kPermissionDenied without root),
  // kFailedPrecondition when a controller a limit needs is not mounted.
  static absl::StatusOr<std::unique_ptr<CgroupLimits>> Create(
      const CgroupMounts& mounts, std::string path,
      const ResourceLimits& limits);
  // Remove(), logging a failure.
  ~CgroupLimits();
  CgroupLimits(const CgroupLimits&) = delete;
  CgroupLimits& operator=(const CgroupLimits&) = delete;

  const std::string& path() const { return path_; }
  // The cgroupsPath runc gets: a child of path().
  std::string runc_path() const { return path_ + "/run"; }

  // True once the step reached its memory limit and the kernel's OOM
  // killer had to act (v1: the notification; v2: memory.events oom and
  // oom_kill, which count the whole subtree).
  bool OomKilled();
  // True once a fork or clone in the step was refused because it already
  // had as many tasks as its pids limit (pids.events "max", here or in
  // runc's cgroup while that exists: older kernels count it only where the
  // refused task lived).
  bool PidsRefused();
  // The most tasks the step had at once (pids.peak), or -1 where the kernel
  // does not keep it.
  int64_t PidsPeak() const;

  // Kills whatever is left in the cgroup and removes it from every
  // hierarchy. Idempotent.
  absl::Status Remove();

 private:
  CgroupLimits(CgroupMounts mounts, std::string path)
      : mounts_(std::move(mounts)), path_(std::move(path)) {}
  absl::Status SetLimits(const ResourceLimits& limits);
  absl::Status WatchOom();

  CgroupMounts mounts_;
  std::string path_;
  ScopedFd oom_event_;  // v1: the eventfd the kernel signals on OOM
  bool oom_ = false;
  bool refused_ = false;
  bool removed_ = false;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_CGROUP_LIMITS_H_
