// StageRunner: runs one StageJob on a worker. It plans the job's stage
// again, then walks its instructions: a hit in the shared action cache
// takes the cached layer and config; a miss runs the instruction in an
// overlay workspace over the layers so far (RUN in a container, COPY/ADD
// through the file operations, WORKDIR's mkdir, metadata through the
// ConfigBuilder), turns the upper dir into a deterministic layer in the
// CAS and records key → result in the action cache. Progress goes out as
// BuildEvents.
#ifndef FARM_WORKER_STAGE_RUNNER_H_
#define FARM_WORKER_STAGE_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "common/clock.h"
#include "proto/worker.pb.h"
#include "worker/cache_mounts.h"
#include "worker/context_mirrors.h"
#include "worker/executor/cancellation.h"
#include "worker/executor/executor.h"
#include "worker/job_runner.h"
#include "worker/snapshot/snapshot_store.h"
#include "worker/stage_events.h"

namespace farm::worker {

// What the runner works with; nothing is owned, all must outlive it.
struct StageRunnerEnv {
  cache::BlobStore* blobs = nullptr;
  cache::ActionCache* actions = nullptr;
  snapshot::SnapshotStore* snapshots = nullptr;
  executor::Executor* executor = nullptr;
  CacheMounts* cache_mounts = nullptr;
  // Build contexts kept between jobs; null: each job writes its own copy.
  ContextMirrors* context_mirrors = nullptr;
  const Clock* clock = RealClock::Get();
  // Where jobs keep their temporary files (contexts, layers, downloads).
  std::string scratch_dir;
  // SOURCE_DATE_EPOCH of the worker's environment; a build arg of that
  // name takes precedence.
  std::optional<int64_t> source_date_epoch;
  // The worker's limits of each RUN (farm-worker --run-*); a job's own
  // (StageJob.run_limits) can only lower them. None by default.
  executor::ResourceLimits run_limits;
};

class StageRunner : public JobRunner {
 public:
  explicit StageRunner(StageRunnerEnv env) : env_(std::move(env)) {}

  // Runs `job` and returns its output: the config after the last
  // instruction, every layer (base first) and the last key. Thread-safe:
  // jobs may run at once. Errors name the Dockerfile line and the
  // instruction ("Dockerfile:4: RUN make: exit code 2" and the last output
  // lines, kInvalidArgument; "Dockerfile:4: RUN make was killed: memory
  // limit 4 GiB reached" and the lines, kResourceExhausted, for a RUN that
  // reached one of its limits), kCancelled once `cancel` fires (the running
  // container is stopped, the workspaces removed), kFailedPrecondition
  // when the job does not match its Dockerfile, and the codes of the
  // caches and the snapshot store.
  absl::StatusOr<proto::StageOutput> Run(
      const proto::StageJob& job, EventSink& events,
      const executor::Cancellation& cancel) override;

 private:
  StageRunnerEnv env_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_STAGE_RUNNER_H_
