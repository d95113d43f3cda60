// JobPlan: the stage a StageJob carries, ready to run. The scheduler plans
// the Dockerfile once and sends each job its stage (planner::DescribeStage):
// the planned stage, its typed instructions after expansion, the ARG values
// they fall back on, its base and the layers of its sources. The worker
// reads them; it never parses or plans the Dockerfile.
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

// Reads the stage the job carries. Errors: kFailedPrecondition when the
// job carries no stage, or its instructions, its planned instructions and
// its keys (FROM's plus one per instruction) do not match in number;
// kInvalidArgument for an instruction or platform that does not read.
absl::StatusOr<JobPlan> ReadJobPlan(const proto::StageJob& job);

// What a stage starts from: a base image, a stage output, or scratch.
struct JobBase {
  std::optional<std::string> config;  // nullopt for scratch
  std::vector<proto::LayerRef> layers;
};

// The job's base (StageJob.base): an empty config is scratch.
JobBase BaseOfJob(const proto::StageJob& job);

// The layers of a COPY --from / RUN --mount from= source: a stage output or
// an image (scratch has none). kFailedPrecondition when the job lacks it.
absl::StatusOr<std::vector<proto::LayerRef>> SourceLayers(
    const proto::StageJob& job, const proto::StageRef& ref);

}  // namespace farm::worker

#endif  // FARM_WORKER_JOB_PLAN_H_
