// Plan: a parsed Dockerfile plus build args and a target → the StageGraph of
// the stages the build runs, each instruction expanded as Docker expands it,
// with the dependencies (FROM stage, COPY --from, RUN --mount from=) that
// decide the execution order.
#ifndef FARM_PLANNER_PLANNER_H_
#define FARM_PLANNER_PLANNER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/dockerfile.h"
#include "planner/build_args.h"
#include "proto/plan.pb.h"

namespace farm::planner {

// What the planner needs to know of a base image: its Env (variables that
// the stage's expansions see) and its ONBUILD triggers (run at FROM).
struct BaseImage {
  std::vector<std::string> env;
  std::vector<std::string> onbuild;
};

// Looks up base images. `farm plan` plans without one; a build resolves
// every base through the image store or a registry first.
class BaseImageResolver {
 public:
  virtual ~BaseImageResolver() = default;
  // nullopt: unknown, plan without it. An error fails the plan (for example
  // kNotFound for an image that does not exist, or one only for other
  // platforms). `platform` is the stage's FROM --platform, else the build's
  // target platform, as "os/arch[/variant]".
  virtual absl::StatusOr<std::optional<BaseImage>> Resolve(
      const std::string& reference, const std::string& platform) = 0;
};

// The key of a base image in a build's image map (BuildSpec::images,
// StageJob.images): its reference when it was resolved for the build's
// target platform (or no platform), else "REFERENCE for PLATFORM", so that
// `FROM --platform=$BUILDPLATFORM busybox` and `FROM busybox` in one build
// for linux/arm64 get each their own image.
std::string ImageMapKey(const std::string& reference,
                        const std::string& platform,
                        const std::string& target_platform);

struct PlanOptions {
  // The stage to build, by name (case-insensitive); "" means the last stage.
  std::string target;
  // --build-arg values.
  std::map<std::string, std::string> build_args;
  Platform build_platform{"linux", "amd64", ""};
  Platform target_platform{"linux", "amd64", ""};
  // Optional; not owned.
  BaseImageResolver* resolver = nullptr;
};

// A plan together with the expanded, typed instructions of every planned
// stage (by stage index), which is what a worker runs.
struct PlannedBuild {
  proto::StageGraph graph;
  std::map<int, std::vector<dockerfile::Instruction>> instructions;
};

// Errors are kInvalidArgument, "<filename>:<line>: <message>" where a line
// applies: cycles, stage indices out of range, expansion errors in the
// stages that run, bad ONBUILD triggers. An unknown target is
// kInvalidArgument "<filename>: target stage "x" could not be found".
absl::StatusOr<PlannedBuild> PlanBuild(const dockerfile::Dockerfile& dockerfile,
                                       const PlanOptions& options);
// PlanBuild without the typed instructions.
absl::StatusOr<proto::StageGraph> Plan(const dockerfile::Dockerfile& dockerfile,
                                       const PlanOptions& options);

// The name a stage goes by in plans: its AS name in lower case, or its index
// as a decimal string when it has none.
std::string StageDisplayName(const dockerfile::Stage& stage);

}  // namespace farm::planner

#endif  // FARM_PLANNER_PLANNER_H_
