// DescribeStage: what a stage job carries of the plan, so that a worker runs
// the stage without parsing or planning the Dockerfile: the planned stage,
// its typed instructions after expansion, and the ARG values they fall back
// on. The scheduler plans once; the job says the result.
#ifndef FARM_PLANNER_STAGE_JOB_H_
#define FARM_PLANNER_STAGE_JOB_H_

#include "absl/status/status.h"
#include "planner/build_args.h"
#include "planner/planner.h"
#include "proto/worker.pb.h"

namespace farm::planner {

// Sets job->stage, job->instructions and job->meta_args for stage
// `stage_index` of `plan`, planned for `target`. kNotFound when the plan
// does not hold that stage (the target does not need it).
absl::Status DescribeStage(const PlannedBuild& plan, int stage_index,
                           const Platform& target, proto::StageJob* job);

}  // namespace farm::planner

#endif  // FARM_PLANNER_STAGE_JOB_H_
