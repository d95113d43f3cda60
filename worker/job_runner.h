// JobRunner: what the agent hands each assigned StageJob to. StageRunner
// implements it for real work; agent tests use a scripted fake.
#ifndef FARM_WORKER_JOB_RUNNER_H_
#define FARM_WORKER_JOB_RUNNER_H_

#include "absl/status/statusor.h"
#include "proto/worker.pb.h"
#include "worker/executor/cancellation.h"
#include "worker/stage_events.h"

namespace farm::worker {

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs one job to its end, reporting progress to `events`; returns early
  // with kCancelled once `cancel` fires. Thread-safe: the agent runs up to
  // its slot count of jobs at once.
  virtual absl::StatusOr<proto::StageOutput> Run(
      const proto::StageJob& job, EventSink& events,
      const executor::Cancellation& cancel) = 0;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_JOB_RUNNER_H_
