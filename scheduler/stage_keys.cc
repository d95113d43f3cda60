#include "scheduler/stage_keys.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "planner/cache_keys.h"
#include "scheduler/secret_digests.h"

namespace farm::scheduler {

namespace {

bool IsUrl(absl::string_view path) {
  return absl::StartsWith(path, "http://") ||
         absl::StartsWith(path, "https://");
}

// The excludes an instruction applies to its sources.
std::vector<std::string> Excludes(const dockerfile::Instruction& in) {
  if (const auto* copy = in.As<dockerfile::CopyInstruction>()) {
    return copy->excludes;
  }
  if (const auto* add = in.As<dockerfile::AddInstruction>()) {
    return add->excludes;
  }
  return {};
}

// Digests of what the instruction reads, or nullopt when a --from source
// is not known yet.
absl::StatusOr<std::optional<std::vector<Digest>>> SourceDigests(
    const StageKeyInputs& inputs, const proto::PlannedInstruction& planned,
    const dockerfile::Instruction& in) {
  std::vector<Digest> out;
  for (const proto::StageRef& ref : planned.sources()) {
    std::optional<Digest> digest = inputs.source_digest(ref);
    if (!digest.has_value()) return std::optional<std::vector<Digest>>();
    out.push_back(*digest);
  }
  std::vector<std::string> paths = planner::ContextPaths(in);
  if (const auto* run = in.As<dockerfile::RunInstruction>()) {
    // One digest per context bind mount, in mount order.
    for (const std::string& path : paths) {
      ASSIGN_OR_RETURN(Digest d,
                       planner::SourcesDigest(*inputs.context, {path}, {}));
      out.push_back(d);
    }
    // Then one per secret mount, so that a layer made with a secret is
    // never a hit for a build without it (or with another value).
    for (const dockerfile::Mount& mount : run->mounts) {
      if (mount.type != "secret") continue;
      const std::string id = dockerfile::SecretId(mount);
      auto it = inputs.secret_digests.find(id);
      out.push_back(it != inputs.secret_digests.end() ? it->second
                                                      : AbsentSecretDigest(id));
    }
  } else if (!paths.empty()) {
    ASSIGN_OR_RETURN(
        Digest d, planner::SourcesDigest(*inputs.context, paths, Excludes(in)));
    out.push_back(d);
  }
  if (const auto* add = in.As<dockerfile::AddInstruction>()) {
    for (const std::string& path : add->files.paths) {
      if (!IsUrl(path)) continue;
      auto it = inputs.url_digests.find(path);
      if (it == inputs.url_digests.end()) {
        return std::optional<std::vector<Digest>>();
      }
      out.push_back(it->second);
    }
  }
  return std::optional<std::vector<Digest>>(std::move(out));
}

}  // namespace

absl::StatusOr<std::vector<Digest>> ComputeStageKeys(
    const StageKeyInputs& inputs) {
  std::vector<Digest> keys;
  Digest previous = inputs.base_key;
  const auto& planned = inputs.stage->instructions();
  for (int i = 0; i < planned.size(); ++i) {
    const dockerfile::Instruction& in = (*inputs.instructions)[i];
    absl::StatusOr<std::optional<std::vector<Digest>>> sources =
        SourceDigests(inputs, planned[i], in);
    if (!sources.ok()) {
      return absl::Status(
          sources.status().code(),
          absl::StrCat(inputs.dockerfile_name, ":", planned[i].line(), ": ",
                       planned[i].text(), ": ", sources.status().message()));
    }
    if (!sources->has_value()) break;
    previous = planner::InstructionKey(previous, planned[i], **sources);
    keys.push_back(previous);
  }
  return keys;
}

}  // namespace farm::scheduler
