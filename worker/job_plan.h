// JobPlan: what a worker makes of a StageJob before running it. The job
// carries the Dockerfile, not its instructions; the planner is
// deterministic, so planning it again with the job's build args, target,
// platform and images gives exactly the stage the scheduler keyed.
#ifndef FARM_WORKER_JOB_PLAN_H_
#define FARM_WORKER_JOB_PLAN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/instructions.h"
#include "planner/build_args.h"
#include "proto/plan.pb.h"
#include "proto/worker.pb.h"

namespace farm::worker {

struct JobPlan {
  std::string dockerfile_name;
  proto::PlannedStage stage;
  // The stage's expanded instructions, parallel to stage.instructions().
  std::vector<dockerfile::Instruction> instructions;
  planner::Platform platform;
  // Global ARG values and the platform ARGs, for ARGs without a default.
  std::map<std::string, std::string> meta_args;
};

// Plans the job's Dockerfile, answering base-image questions from
// job.images. Errors: the planner's (kInvalidArgument naming file:line);
// kFailedPrecondition when the plan lacks the job's stage or its
// instruction count differs from job.keys (FROM's key plus one per
// instruction), i.e. the worker and the scheduler disagree.
absl::StatusOr<JobPlan> PlanJob(const proto::StageJob& job);

// What a stage starts from: a base image, a stage output, or scratch.
struct JobBase {
  std::optional<std::string> config;  // nullopt for scratch
  std::vector<proto::LayerRef> layers;
};

// The base of `stage` from job.stages / job.images. kFailedPrecondition
// when the job does not carry it.
absl::StatusOr<JobBase> BaseOfJob(const proto::StageJob& job,
                                  const proto::PlannedStage& stage);

// The layers of a COPY --from / RUN --mount from= source: a stage output or
// an image (scratch has none). kFailedPrecondition when the job lacks it.
absl::StatusOr<std::vector<proto::LayerRef>> SourceLayers(
    const proto::StageJob& job, const proto::StageRef& ref);

}  // namespace farm::worker

#endif  // FARM_WORKER_JOB_PLAN_H_
