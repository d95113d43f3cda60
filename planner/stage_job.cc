#include "planner/stage_job.h"

#include "absl/strings/str_cat.h"
#include "dockerfile/instruction_proto.h"

namespace farm::planner {

absl::Status DescribeStage(const PlannedBuild& plan, int stage_index,
                           const Platform& target, proto::StageJob* job) {
  const proto::PlannedStage* stage = nullptr;
  for (const proto::PlannedStage& planned : plan.graph.stages()) {
    if (planned.index() == stage_index) stage = &planned;
  }
  auto typed = plan.instructions.find(stage_index);
  if (stage == nullptr || typed == plan.instructions.end()) {
    return absl::NotFoundError(
        absl::StrCat("the plan has no stage ", stage_index));
  }
  *job->mutable_stage() = *stage;
  job->clear_instructions();
  for (const dockerfile::Instruction& instruction : typed->second) {
    *job->add_instructions() = dockerfile::ToProto(instruction);
  }
  // As the planner scoped them: the build platform is the one PlanOptions
  // names, the target the build's.
  auto& meta = *job->mutable_meta_args();
  meta.clear();
  for (const auto& [name, value] :
       PlatformArgs(PlanOptions().build_platform, target)) {
    meta[name] = value;
  }
  for (const auto& [name, value] : plan.graph.meta_args()) meta[name] = value;
  return absl::OkStatus();
}

}  // namespace farm::planner
