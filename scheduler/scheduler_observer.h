// SchedulerObserver: hears what a snapshot of the SchedulerCore cannot
// show, how long each build and each stage took. The scheduler's metrics
// implement it (scheduler/scheduler_metrics.h).
#ifndef FARM_SCHEDULER_SCHEDULER_OBSERVER_H_
#define FARM_SCHEDULER_SCHEDULER_OBSERVER_H_

#include <cstdint>

#include "absl/time/time.h"

namespace farm::scheduler {

enum class BuildOutcome { kSucceeded, kFailed, kCancelled };

// "succeeded", "failed" or "cancelled", as `farm builds` says it.
const char* BuildOutcomeName(BuildOutcome outcome);

// A build that ended, however it ended (a Dockerfile error, a failed stage,
// a client that left, or an image).
struct BuildEnd {
  BuildOutcome outcome = BuildOutcome::kSucceeded;
  bool fully_cached = false;   // succeeded without running a job
  int64_t uploaded_bytes = 0;  // context bytes the client sent
  int64_t skipped_bytes = 0;   // context bytes read that the CAS already had
  absl::Duration took;         // from the session's start to its result
};

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  // Both are called with the core's lock held: record and return, and never
  // call back into the core.
  virtual void BuildFinished(const BuildEnd& build) = 0;
  // A worker ran a stage job to its end, `ok` or not, in `took` (from its
  // assignment to its result).
  virtual void StageFinished(bool ok, absl::Duration took) = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_SCHEDULER_OBSERVER_H_
