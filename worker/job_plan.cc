#include "worker/job_plan.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/instruction_proto.h"
#include "planner/source_key.h"

namespace farm::worker {

absl::StatusOr<JobPlan> ReadJobPlan(const proto::StageJob& job) {
  JobPlan out;
  out.dockerfile_name =
      job.dockerfile_name().empty() ? "Dockerfile" : job.dockerfile_name();
  if (!job.has_stage()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the job carries no planned stage (stage ", job.stage_index(),
        "); is the scheduler older than this worker?"));
  }
  const proto::PlannedStage& stage = job.stage();
  if (stage.instructions_size() != job.instructions_size() ||
      stage.instructions_size() + 1 != job.keys_size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        out.dockerfile_name, ":", stage.from_line(), ": stage ", stage.index(),
        " has ", stage.instructions_size(),
        " planned instructions after FROM, ", job.instructions_size(),
        " typed ones and ", job.keys_size(), " cache keys"));
  }
  out.stage = stage;
  out.instructions.reserve(job.instructions_size());
  for (int i = 0; i < job.instructions_size(); ++i) {
    absl::StatusOr<dockerfile::Instruction> instruction =
        dockerfile::FromProto(job.instructions(i));
    if (!instruction.ok()) {
      return Annotate(
          instruction.status(),
          absl::StrCat(out.dockerfile_name, ":", stage.instructions(i).line()));
    }
    out.instructions.push_back(*std::move(instruction));
  }
  if (!job.target_platform().empty()) {
    ASSIGN_OR_RETURN(out.platform,
                     planner::Platform::Parse(job.target_platform()));
  }
  out.meta_args.insert(job.meta_args().begin(), job.meta_args().end());
  return out;
}

JobBase BaseOfJob(const proto::StageJob& job) {
  JobBase base;
  if (!job.base().config().empty()) base.config = job.base().config();
  base.layers.assign(job.base().layers().begin(), job.base().layers().end());
  return base;
}

absl::StatusOr<std::vector<proto::LayerRef>> SourceLayers(
    const proto::StageJob& job, const proto::StageRef& ref) {
  auto it = job.sources().find(planner::SourceKey(ref));
  if (it == job.sources().end()) {
    if (ref.stage_index() < 0 &&
        absl::AsciiStrToLower(ref.image()) == "scratch") {
      return std::vector<proto::LayerRef>();
    }
    return absl::FailedPreconditionError(
        absl::StrCat("the job carries no layers of ", planner::SourceKey(ref)));
  }
  return std::vector<proto::LayerRef>(it->second.layers().begin(),
                                      it->second.layers().end());
}

}  // namespace farm::worker
