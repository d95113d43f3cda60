// LimitsWatch: decides, while a RUN step runs and once it has exited,
// whether the step reached one of its limits, from probes of its cgroup and
// its writable dir and from the clock. The executor's poll loop asks it
// when it says, and kills the container when it names a limit.
#ifndef FARM_WORKER_EXECUTOR_LIMITS_WATCH_H_
#define FARM_WORKER_EXECUTOR_LIMITS_WATCH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "worker/executor/executor.h"

namespace farm::executor {

// Bytes of disk the tree under `dir` takes (allocated blocks), each inode
// once, never following symlinks or crossing into other filesystems. Cheap
// enough to run a few times a second on a step's upper dir: one fstatat per
// entry, and hard links remembered only when they have more than one name.
absl::StatusOr<uint64_t> DiskBytesUnder(const std::string& dir);

class LimitsWatch {
 public:
  // What the watch reads; an empty probe is never asked.
  struct Probes {
    std::function<bool()> oom_killed;    // CgroupLimits::OomKilled
    std::function<bool()> pids_refused;  // CgroupLimits::PidsRefused
    std::function<int64_t()> pids_peak;  // CgroupLimits::PidsPeak
    std::function<absl::StatusOr<uint64_t>()> disk_bytes;  // DiskBytesUnder
  };

  // How often the cgroup's counters are read.
  static constexpr absl::Duration kCounterInterval = absl::Milliseconds(100);
  // The disk walk's least interval; a walk that took T waits at least 4 T
  // before the next, so a large tree costs at most a fifth of a core.
  static constexpr absl::Duration kDiskInterval = absl::Milliseconds(250);

  // The step starts now (`clock`'s time; not owned).
  LimitsWatch(const ResourceLimits& limits, Probes probes, const Clock* clock);

  // While the process runs: the limit it has reached ("memory limit 4 GiB
  // reached"), or "". Reads what is due; call it at least when
  // UntilNextCheck says.
  std::string Check();
  // How long Check may wait; never negative, infinite when nothing is
  // watched.
  absl::Duration UntilNextCheck() const;
  // After the process exited with `exit_code`: the limit that ended it, or
  // "". Reads every probe once more: an OOM kill or a refused fork just
  // before the exit, writes past the disk budget, a failure (non-zero
  // exit) after the step held its whole pids limit at once.
  std::string AfterExit(int exit_code);

 private:
  std::string CheckCounters();
  std::string CheckDisk();

  const ResourceLimits limits_;
  const Probes probes_;
  const Clock* clock_;
  const absl::Time start_;
  absl::Time next_counters_;
  absl::Time next_disk_;
};

}  // namespace farm::executor

#endif  // FARM_WORKER_EXECUTOR_LIMITS_WATCH_H_
