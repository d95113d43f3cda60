#include "worker/job_plan.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/dockerfile.h"
#include "image/oci/config.h"
#include "planner/planner.h"

namespace farm::worker {
namespace {

bool IsScratch(absl::string_view reference) {
  return absl::AsciiStrToLower(reference) == "scratch";
}

// Answers the planner's base-image questions from the images the scheduler
// resolved for the build.
class JobImageResolver : public planner::BaseImageResolver {
 public:
  explicit JobImageResolver(const proto::StageJob& job) : job_(job) {}

  absl::StatusOr<std::optional<planner::BaseImage>> Resolve(
      const std::string& reference, const std::string& platform) override {
    auto it = job_.images().find(
        planner::ImageMapKey(reference, platform, job_.target_platform()));
    if (it == job_.images().end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the job carries no image \"", reference, "\""));
    }
    ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                     image::oci::ImageConfig::Parse(it->second.config()));
    planner::BaseImage base;
    base.env = config.config.env;
    base.onbuild = config.config.on_build;
    return base;
  }

 private:
  const proto::StageJob& job_;
};

}  // namespace

absl::StatusOr<JobPlan> PlanJob(const proto::StageJob& job) {
  JobPlan out;
  out.dockerfile_name =
      job.dockerfile_name().empty() ? "Dockerfile" : job.dockerfile_name();
  ASSIGN_OR_RETURN(
      dockerfile::Dockerfile df,
      dockerfile::ParseDockerfile(job.dockerfile(), out.dockerfile_name));
  JobImageResolver resolver(job);
  planner::PlanOptions options;
  options.target = job.target();
  options.build_args.insert(job.build_args().begin(), job.build_args().end());
  if (!job.target_platform().empty()) {
    ASSIGN_OR_RETURN(options.target_platform,
                     planner::Platform::Parse(job.target_platform()));
  }
  options.resolver = &resolver;
  ASSIGN_OR_RETURN(planner::PlannedBuild plan, planner::PlanBuild(df, options));

  const proto::PlannedStage* stage = nullptr;
  for (const proto::PlannedStage& planned : plan.graph.stages()) {
    if (planned.index() == job.stage_index()) stage = &planned;
  }
  if (stage == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.dockerfile_name, ": the plan has no stage ",
                     job.stage_index(), " for target \"", job.target(), "\""));
  }
  if (stage->instructions_size() + 1 != job.keys_size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        out.dockerfile_name, ":", stage->from_line(), ": stage ",
        job.stage_index(), " plans ", stage->instructions_size(),
        " instructions after FROM but the job has ", job.keys_size(),
        " cache keys; the scheduler planned it differently"));
  }
  out.stage = *stage;
  out.instructions = std::move(plan.instructions.at(stage->index()));
  out.platform = options.target_platform;
  out.meta_args =
      planner::PlatformArgs(options.build_platform, options.target_platform);
  for (const auto& [name, value] : plan.graph.meta_args()) {
    out.meta_args[name] = value;
  }
  return out;
}

absl::StatusOr<JobBase> BaseOfJob(const proto::StageJob& job,
                                  const proto::PlannedStage& stage) {
  JobBase base;
  if (stage.base_stage_index() >= 0) {
    auto it = job.stages().find(stage.base_stage_index());
    if (it == job.stages().end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the job carries no output of its base stage ",
                       stage.base_stage_index()));
    }
    base.config = it->second.config();
    base.layers.assign(it->second.layers().begin(), it->second.layers().end());
    return base;
  }
  if (IsScratch(stage.base())) return base;
  auto it = job.images().find(planner::ImageMapKey(
      stage.base(), stage.platform(), job.target_platform()));
  if (it == job.images().end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the job carries no base image \"", stage.base(), "\""));
  }
  base.config = it->second.config();
  base.layers.assign(it->second.layers().begin(), it->second.layers().end());
  return base;
}

absl::StatusOr<std::vector<proto::LayerRef>> SourceLayers(
    const proto::StageJob& job, const proto::StageRef& ref) {
  if (ref.stage_index() >= 0) {
    auto it = job.stages().find(ref.stage_index());
    if (it == job.stages().end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the job carries no output of stage ", ref.stage_index()));
    }
    return std::vector<proto::LayerRef>(it->second.layers().begin(),
                                        it->second.layers().end());
  }
  if (IsScratch(ref.image())) return std::vector<proto::LayerRef>();
  auto it = job.images().find(ref.image());
  if (it == job.images().end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the job carries no image \"", ref.image(), "\""));
  }
  return std::vector<proto::LayerRef>(it->second.layers().begin(),
                                      it->second.layers().end());
}

}  // namespace farm::worker
