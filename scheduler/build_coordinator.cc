#include "scheduler/build_coordinator.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/registry/platform.h"
#include "planner/cache_keys.h"
#include "planner/source_key.h"
#include "planner/stage_job.h"
#include "scheduler/context_subset.h"
#include "scheduler/stage_keys.h"

namespace farm::scheduler {

namespace {

std::vector<std::string> DiffIds(const proto::StageOutput& output) {
  std::vector<std::string> out;
  for (const proto::LayerRef& layer : output.layers()) {
    out.push_back(layer.diff_id());
  }
  return out;
}

bool IsScratch(const proto::PlannedStage& stage) {
  return stage.base_stage_index() < 0 &&
         absl::AsciiStrToLower(stage.base()) == "scratch";
}

}  // namespace

BuildCoordinator::BuildCoordinator(BuildSpec spec)
    : spec_(std::move(spec)), context_tree_(spec_.context) {
  target_ = spec_.plan.graph.target_index();
  for (const proto::PlannedStage& stage : spec_.plan.graph.stages()) {
    stages_[stage.index()].planned = &stage;
  }
}

std::vector<CoordinatorAction> BuildCoordinator::Start() { return Advance(); }

std::optional<Digest> BuildCoordinator::BaseKey(const StageState& s) const {
  const proto::PlannedStage& stage = *s.planned;
  if (stage.base_stage_index() >= 0) {
    const StageState& parent = stages_.at(stage.base_stage_index());
    if (!parent.keys_complete) return std::nullopt;
    if (!parent.keys.empty()) return parent.keys.back();
    return BaseKey(parent);
  }
  // The stage's own platform, not the build's: a `FROM --platform=
  // $BUILDPLATFORM` stage is then the same work, with the same keys, in a
  // build for any target.
  const std::string platform = RunPlatformOf(stage);
  if (IsScratch(stage)) {
    return planner::NamespacedKey(spec_.cache_namespace,
                                  planner::ScratchKey(platform));
  }
  auto it = spec_.images.find(
      planner::ImageMapKey(stage.base(), stage.platform(), spec_.platform));
  if (it == spec_.images.end()) return std::nullopt;
  return planner::NamespacedKey(
      spec_.cache_namespace,
      planner::ImageBaseKey(it->second.manifest_digest(), platform));
}

std::optional<proto::StageOutput> BuildCoordinator::BaseOutput(
    const StageState& s) const {
  const proto::PlannedStage& stage = *s.planned;
  if (stage.base_stage_index() >= 0) {
    return stages_.at(stage.base_stage_index()).output;
  }
  proto::StageOutput output;
  std::optional<Digest> key = BaseKey(s);
  if (key.has_value()) output.set_final_key(key->ToString());
  if (IsScratch(stage)) return output;
  auto it = spec_.images.find(
      planner::ImageMapKey(stage.base(), stage.platform(), spec_.platform));
  if (it == spec_.images.end()) return std::nullopt;
  output.set_config(it->second.config());
  *output.mutable_layers() = it->second.layers();
  return output;
}

google::protobuf::RepeatedPtrField<proto::LayerRef>
BuildCoordinator::SourceLayers(const proto::StageRef& ref) const {
  if (ref.stage_index() >= 0) {
    return stages_.at(ref.stage_index()).output->layers();
  }
  auto it = spec_.images.find(ref.image());
  if (it == spec_.images.end()) return {};  // scratch
  return it->second.layers();
}

std::optional<Digest> BuildCoordinator::SourceDigest(
    const proto::StageRef& ref) const {
  if (ref.stage_index() >= 0) {
    const StageState& source = stages_.at(ref.stage_index());
    if (!source.output.has_value()) return std::nullopt;
    return planner::LayersDigest(DiffIds(*source.output));
  }
  auto it = spec_.images.find(ref.image());
  if (it == spec_.images.end()) return std::nullopt;
  std::vector<std::string> ids;
  for (const proto::LayerRef& layer : it->second.layers()) {
    ids.push_back(layer.diff_id());
  }
  return planner::LayersDigest(ids);
}

absl::Status BuildCoordinator::ComputeKeys(StageState& s) {
  std::optional<Digest> base = BaseKey(s);
  if (!base.has_value()) return absl::OkStatus();
  StageKeyInputs inputs;
  inputs.stage = s.planned;
  inputs.instructions = &spec_.plan.instructions.at(s.planned->index());
  inputs.base_key = *base;
  inputs.context = &context_tree_;
  inputs.source_digest = [this](const proto::StageRef& ref) {
    return SourceDigest(ref);
  };
  inputs.url_digests = spec_.url_digests;
  inputs.secret_digests = spec_.secret_digests;
  inputs.dockerfile_name = spec_.request.dockerfile_name();
  ASSIGN_OR_RETURN(s.keys, ComputeStageKeys(inputs));
  s.keys_complete =
      static_cast<int>(s.keys.size()) == s.planned->instructions_size();
  return absl::OkStatus();
}

bool BuildCoordinator::TakeFromCache(StageState& s,
                                     std::vector<CoordinatorAction>& out) {
  if (!s.keys_complete || !s.lookup_sent || s.output.has_value()) return false;
  std::optional<proto::StageOutput> base = BaseOutput(s);
  if (!base.has_value()) return false;
  proto::StageOutput output = *base;
  for (const Digest& key : s.keys) {
    auto it = s.results.find(key);
    if (it == s.results.end() || !it->second.has_value()) return false;
    const proto::ActionResult& result = *it->second;
    if (!result.empty_layer()) *output.add_layers() = result.layer();
    output.set_config(result.config());
  }
  if (!s.keys.empty()) output.set_final_key(s.keys.back().ToString());
  s.output = std::move(output);
  s.state = State::kDone;
  for (int i = 0; i <= static_cast<int>(s.keys.size()); ++i) {
    out.push_back(EmitEvent{Event(s, i, proto::BuildEvent::STEP_CACHED)});
  }
  return true;
}

bool BuildCoordinator::ReadyToRun(const StageState& s) const {
  if (s.state != State::kWaiting || !s.keys_complete || !s.lookup_sent) {
    return false;
  }
  if (!BaseOutput(s).has_value()) return false;
  for (const proto::PlannedInstruction& in : s.planned->instructions()) {
    for (const proto::StageRef& ref : in.sources()) {
      if (ref.stage_index() >= 0 &&
          !stages_.at(ref.stage_index()).output.has_value()) {
        return false;
      }
    }
  }
  return true;
}

std::vector<CoordinatorAction> BuildCoordinator::Advance() {
  std::vector<CoordinatorAction> out;
  if (finished_ || lookup_pending_) return out;
  bool progress = true;
  std::vector<Digest> lookups;
  while (progress) {
    progress = false;
    for (const proto::PlannedStage& stage : spec_.plan.graph.stages()) {
      StageState& s = stages_.at(stage.index());
      if (!s.keys_complete) {
        size_t before = s.keys.size();
        absl::Status status = ComputeKeys(s);
        if (!status.ok()) return Fail(status);
        progress |= s.keys_complete || s.keys.size() != before;
      }
      if (s.keys_complete && !s.lookup_sent) {
        s.lookup_sent = true;
        if (!spec_.request.no_cache()) {
          lookups.insert(lookups.end(), s.keys.begin(), s.keys.end());
        }
        progress = true;
      }
      if (lookups.empty()) progress |= TakeFromCache(s, out);
    }
  }
  if (!lookups.empty()) {
    lookup_pending_ = true;
    out.push_back(LookupKeys{std::move(lookups)});
    return out;
  }
  if (stages_.at(target_).output.has_value()) {
    finished_ = true;
    out.push_back(FinishBuild{absl::OkStatus(), *stages_.at(target_).output,
                              !dispatched_any_});
    return out;
  }
  // Which stages must run: the target, and what a stage that must run reads
  // but nobody has produced yet.
  std::set<int> needed;
  std::vector<int> todo = {target_};
  while (!todo.empty()) {
    int index = todo.back();
    todo.pop_back();
    const StageState& s = stages_.at(index);
    if (s.output.has_value() || !needed.insert(index).second) continue;
    for (int dep : s.planned->depends_on()) todo.push_back(dep);
  }
  bool running = false;
  for (const auto& [index, s] : stages_) running |= s.state == State::kRunning;
  for (int index : needed) {
    StageState& s = stages_.at(index);
    if (!ReadyToRun(s)) continue;
    absl::StatusOr<proto::StageJob> job = MakeJob(s);
    if (!job.ok()) return Fail(job.status());
    s.state = State::kRunning;
    dispatched_any_ = true;
    ++jobs_dispatched_;
    out.push_back(DispatchStage{index, *std::move(job)});
    running = true;
  }
  if (!running) {
    // Nothing runs and nothing can start: an input is missing. Fail rather
    // than wait forever.
    const StageState& target = stages_.at(target_);
    return Fail(absl::InternalError(absl::StrCat(
        "the build cannot make progress: stage ",
        target.planned->name().empty() ? absl::StrCat(target_)
                                       : target.planned->name(),
        " waits for inputs nothing produces (", target.keys.size(), " of ",
        target.planned->instructions_size(), " keys known)")));
  }
  return out;
}

std::vector<CoordinatorAction> BuildCoordinator::OnLookup(
    const std::map<Digest, std::optional<proto::ActionResult>>& results) {
  lookup_pending_ = false;
  for (auto& [index, s] : stages_) {
    for (const Digest& key : s.keys) {
      auto it = results.find(key);
      if (it != results.end()) s.results[key] = it->second;
    }
  }
  return Advance();
}

std::vector<CoordinatorAction> BuildCoordinator::OnStageDone(
    int stage, proto::StageOutput output) {
  StageState& s = stages_.at(stage);
  if (finished_ || s.state != State::kRunning) return {};
  s.output = std::move(output);
  s.state = State::kDone;
  return Advance();
}

std::vector<CoordinatorAction> BuildCoordinator::OnStageFailed(
    int stage, const absl::Status& status) {
  if (finished_) return {};
  stages_.at(stage).state = State::kFailed;
  return Fail(status);
}

std::vector<CoordinatorAction> BuildCoordinator::OnCancel(
    const std::string& reason) {
  if (finished_) return {};
  return Fail(absl::CancelledError(reason.empty() ? "the build was cancelled"
                                                  : reason));
}

std::vector<CoordinatorAction> BuildCoordinator::Fail(
    const absl::Status& status) {
  finished_ = true;
  return {FinishBuild{status, {}, false}};
}

proto::BuildEvent BuildCoordinator::Event(const StageState& s, int instruction,
                                          proto::BuildEvent::Kind kind) const {
  proto::BuildEvent event;
  event.set_kind(kind);
  event.set_stage_index(s.planned->index());
  event.set_stage_name(s.planned->name().empty()
                           ? absl::StrCat(s.planned->index())
                           : s.planned->name());
  event.set_instruction_index(instruction);
  event.set_instruction_count(s.planned->instructions_size() + 1);
  if (instruction == 0) {
    event.set_text(absl::StrCat("FROM ", s.planned->base()));
  } else {
    event.set_text(s.planned->instructions(instruction - 1).text());
  }
  return event;
}

std::string BuildCoordinator::RunPlatformOf(
    const proto::PlannedStage& stage) const {
  std::string platform = spec_.platform;
  if (!stage.platform().empty()) {
    platform = stage.platform();
  } else if (stage.base_stage_index() >= 0) {
    return RunPlatformOf(*stages_.at(stage.base_stage_index()).planned);
  }
  absl::StatusOr<image::oci::Platform> parsed =
      image::registry::ParsePlatform(platform);
  return parsed.ok() ? image::registry::PlatformString(*parsed) : platform;
}

absl::StatusOr<proto::StageJob> BuildCoordinator::MakeJob(const StageState& s) {
  const proto::PlannedStage& stage = *s.planned;
  proto::StageJob job;
  job.set_dockerfile_name(spec_.request.dockerfile_name());
  *job.mutable_build_args() = spec_.request.build_args();
  job.set_target_platform(spec_.platform);
  job.set_platform(RunPlatformOf(stage));
  job.set_stage_index(stage.index());
  planner::Platform target;
  if (!spec_.platform.empty()) {
    ASSIGN_OR_RETURN(target, planner::Platform::Parse(spec_.platform));
  }
  RETURN_IF_ERROR(
      planner::DescribeStage(spec_.plan, stage.index(), target, &job));
  std::optional<proto::StageOutput> base = BaseOutput(s);
  *job.mutable_base() = *base;
  job.mutable_base()->clear_final_key();
  for (const proto::LayerRef& layer : base->layers()) {
    job.add_base_diff_ids(layer.diff_id());
  }
  std::vector<std::string> context_paths;
  const auto& typed = spec_.plan.instructions.at(stage.index());
  for (int i = 0; i < stage.instructions_size(); ++i) {
    for (const proto::StageRef& ref : stage.instructions(i).sources()) {
      *(*job.mutable_sources())[planner::SourceKey(ref)].mutable_layers() =
          SourceLayers(ref);
    }
    for (const std::string& path : planner::ContextPaths(typed[i])) {
      context_paths.push_back(path);
    }
  }
  ASSIGN_OR_RETURN(*job.mutable_context(),
                   ContextSubset(context_tree_, spec_.context, context_paths));
  job.add_keys(BaseKey(s)->ToString());
  for (const Digest& key : s.keys) {
    job.add_keys(key.ToString());
    auto hit = s.results.find(key);
    if (hit != s.results.end() && hit->second.has_value()) {
      (*job.mutable_cached())[job.keys_size() - 1] = *hit->second;
    }
  }
  job.set_looked_up(!spec_.request.no_cache());
  job.set_no_cache(spec_.request.no_cache());
  job.set_attempt(1);
  for (const auto& [url, digest] : spec_.url_digests) {
    (*job.mutable_url_blobs())[url] = digest.ToString();
  }
  *job.mutable_secrets() = spec_.request.secrets();
  job.set_tenant(spec_.tenant);
  if (spec_.request.has_run_limits()) {
    *job.mutable_run_limits() = spec_.request.run_limits();
  }
  job.add_build_ids(spec_.build_id);
  return job;
}

}  // namespace farm::scheduler
