// Cgroups for RUN steps, on cgroup v1, the hybrid of v1 and v2, or v2 alone:
// where the hierarchies are mounted, and killing and removing a subtree
// (a finished step's cgroup; what a worker that died left running).
#ifndef FARM_WORKER_EXECUTOR_CGROUP_H_
#define FARM_WORKER_EXECUTOR_CGROUP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace farm::executor {

// The cgroup filesystems of this process's mount namespace.
struct CgroupMounts {
  // v1 hierarchies by controller ("memory" → /sys/fs/cgroup/memory), named
  // ones as "name=systemd"; co-mounted controllers share a mount point.
  std::map<std::string, std::string> v1;
  // The cgroup2 mount ("/sys/fs/cgroup", or /sys/fs/cgroup/unified in the
  // hybrid mode); "" when there is none.
  std::string unified;

  // True when the controllers are cgroup v2's: no v1 memory hierarchy and a
  // cgroup2 mount.
  bool v2() const { return !v1.count("memory") && !unified.empty(); }
  // The directory of absolute cgroup `path` in the hierarchy that holds
  // `controller` ("memory", "pids", "cpu", "freezer"); "" when none does.
  std::string Dir(const std::string& controller, const std::string& path) const;
  // `path` in every hierarchy, v1 and v2, each once.
  std::vector<std::string> AllDirs(const std::string& path) const;
};

// One line of /proc/self/mountinfo, as far as farm cares.
struct MountEntry {
  std::string mount_point;  // unescaped
  std::string type;         // "cgroup", "cgroup2", "overlay", ...
  std::string options;      // the superblock's options, "rw,memory"
};
std::vector<MountEntry> ParseMountInfo(absl::string_view mountinfo);

// Reads /proc/self/mountinfo. kFailedPrecondition when no cgroup
// filesystem is mounted.
absl::StatusOr<CgroupMounts> FindCgroupMounts();
// The cgroup mounts listed in a mountinfo text.
CgroupMounts ParseCgroupMounts(absl::string_view mountinfo);

// Reads "key value" lines (memory.events, pids.events, memory.oom_control)
// and returns the value of `key`, or 0 when the file or the key is missing.
int64_t ReadCgroupCounter(const std::string& file, absl::string_view key);

// Writes `value` to a cgroup control file, with the file and value in the
// error.
absl::Status WriteCgroupFile(const std::string& file, absl::string_view value);

// Kills every process in the subtree `path` (cgroup.kill where the kernel
// has it; else freezer, SIGKILL to each task, thaw) and removes its
// directories, deepest first, from every hierarchy. Waits up to `wait` for
// the tasks to be gone. kInvalidArgument unless `path` is absolute and not
// "/"; kDeadlineExceeded when tasks stay. A path that does not exist is OK.
absl::Status KillCgroupTree(const CgroupMounts& mounts, const std::string& path,
                            absl::Duration wait = absl::Seconds(5));

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_CGROUP_H_
