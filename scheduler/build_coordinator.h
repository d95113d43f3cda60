// BuildCoordinator: one build as a state machine over its stage graph. It
// computes cache keys as far as the inputs allow, asks for them to be looked
// up in batches, takes fully cached stages from the action cache, and
// dispatches the stages that must run once what they read is known. It
// performs no I/O: events go in, actions come out, so every path (cached,
// failed, cancelled) is tested without threads or sockets.
#ifndef FARM_SCHEDULER_BUILD_COORDINATOR_H_
#define FARM_SCHEDULER_BUILD_COORDINATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "common/digest.h"
#include "planner/manifest_tree.h"
#include "planner/planner.h"
#include "proto/build.pb.h"
#include "proto/cache.pb.h"
#include "proto/worker.pb.h"

namespace farm::scheduler {

struct BuildSpec {
  std::string build_id;
  proto::BuildRequest request;
  planner::PlannedBuild plan;
  proto::ContextManifest context;
  // Every image the plan uses, by reference as the plan names it.
  std::map<std::string, proto::ImageContent> images;
  std::map<std::string, Digest> url_digests;
  std::string platform = "linux/amd64";
  // Whose build it is, and the namespace its action results are kept in
  // ("" when tenants share them): every base key is namespaced, so every
  // key of the build is too.
  std::string tenant;
  std::string cache_namespace;
  // What each secret contributes to the keys of RUNs that mount it
  // (scheduler/secret_digests.h).
  std::map<std::string, Digest> secret_digests;
};

// Look these keys up in the action cache and report with OnLookup.
struct LookupKeys {
  std::vector<Digest> keys;
};
// Run this stage on a worker and report with OnStageDone / OnStageFailed.
struct DispatchStage {
  int stage = 0;
  proto::StageJob job;
};
struct EmitEvent {
  proto::BuildEvent event;
};
// The build is over: `output` is the target stage's output when ok.
struct FinishBuild {
  absl::Status status;
  proto::StageOutput output;
  bool fully_cached = false;
};
using CoordinatorAction =
    std::variant<LookupKeys, DispatchStage, EmitEvent, FinishBuild>;

class BuildCoordinator {
 public:
  explicit BuildCoordinator(BuildSpec spec);

  std::vector<CoordinatorAction> Start();
  // One entry per key of the last LookupKeys; nullopt is a miss.
  std::vector<CoordinatorAction> OnLookup(
      const std::map<Digest, std::optional<proto::ActionResult>>& results);
  std::vector<CoordinatorAction> OnStageDone(int stage,
                                             proto::StageOutput output);
  std::vector<CoordinatorAction> OnStageFailed(int stage,
                                               const absl::Status& status);
  std::vector<CoordinatorAction> OnCancel(const std::string& reason);

  // What stage `stage` builds on (its base's layers and config), once known.
  std::optional<proto::StageOutput> BaseOutputOf(int stage) const {
    auto it = stages_.find(stage);
    if (it == stages_.end()) return std::nullopt;
    return BaseOutput(it->second);
  }

  bool finished() const { return finished_; }
  int jobs_dispatched() const { return jobs_dispatched_; }
  const BuildSpec& spec() const { return spec_; }
  // The build context's manifest as a tree, built once per build.
  const planner::ManifestTree& context_tree() const { return context_tree_; }

 private:
  enum class State { kWaiting, kRunning, kDone, kFailed };
  struct StageState {
    const proto::PlannedStage* planned = nullptr;
    std::vector<Digest> keys;
    bool keys_complete = false;
    bool lookup_sent = false;
    std::map<Digest, std::optional<proto::ActionResult>> results;
    std::optional<proto::StageOutput> output;
    State state = State::kWaiting;
  };

  // Runs key computation, cache resolution and dispatch to a fixpoint.
  std::vector<CoordinatorAction> Advance();
  absl::Status ComputeKeys(StageState& s);
  std::optional<Digest> BaseKey(const StageState& s) const;
  // The base's layers and config, when known.
  std::optional<proto::StageOutput> BaseOutput(const StageState& s) const;
  std::optional<Digest> SourceDigest(const proto::StageRef& ref) const;
  // The layers of a source whose digest is known (scratch has none).
  google::protobuf::RepeatedPtrField<proto::LayerRef> SourceLayers(
      const proto::StageRef& ref) const;
  // Builds the stage's output from its cached results, if all hit.
  bool TakeFromCache(StageState& s, std::vector<CoordinatorAction>& out);
  bool ReadyToRun(const StageState& s) const;
  absl::StatusOr<proto::StageJob> MakeJob(const StageState& s);
  // The platform a stage's RUN steps execute for: its FROM --platform, else
  // its base stage's, else the build's; normalised ("linux/arm64").
  std::string RunPlatformOf(const proto::PlannedStage& stage) const;
  std::vector<CoordinatorAction> Fail(const absl::Status& status);
  proto::BuildEvent Event(const StageState& s, int instruction,
                          proto::BuildEvent::Kind kind) const;

  BuildSpec spec_;
  planner::ManifestTree context_tree_;  // of spec_.context
  std::map<int, StageState> stages_;    // by stage index
  int target_ = 0;
  bool lookup_pending_ = false;
  bool finished_ = false;
  bool dispatched_any_ = false;
  int jobs_dispatched_ = 0;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BUILD_COORDINATOR_H_
