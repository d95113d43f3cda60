// Computes the cache keys of one planned stage (ARCHITECTURE.md, "Cache
// keys"): its first key comes from its base, and each instruction chains
// the one before it. Instructions that read other stages can be keyed only
// once those stages' outputs are known, so keys are computed as far as the
// inputs allow.
#ifndef FARM_SCHEDULER_STAGE_KEYS_H_
#define FARM_SCHEDULER_STAGE_KEYS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "dockerfile/instructions.h"
#include "dockerfile/source_tree.h"
#include "proto/plan.pb.h"

namespace farm::scheduler {

struct StageKeyInputs {
  const proto::PlannedStage* stage = nullptr;
  // The stage's expanded instructions, parallel to stage->instructions().
  const std::vector<dockerfile::Instruction>* instructions = nullptr;
  Digest base_key;
  // The build context (COPY/ADD without --from, RUN bind mounts).
  const dockerfile::SourceTree* context = nullptr;
  // What a --from reference reads: the LayersDigest of that stage's or
  // image's layers, or nullopt while it is not known yet.
  std::function<std::optional<Digest>(const proto::StageRef&)> source_digest;
  // ADD <url> sources fetched into the CAS: url → content digest.
  std::map<std::string, Digest> url_digests;
  // What a RUN's secret mount adds to its key, by secret id: a keyed hash
  // of the value (SecretDigests), or, for an id the build does not
  // provide, AbsentSecretDigest.
  std::map<std::string, Digest> secret_digests;
  std::string dockerfile_name = "Dockerfile";
};

// Keys of the stage's instructions, in order, as far as they can be known
// (a prefix of the instructions; all of them when nothing is pending).
// Errors name the line: kNotFound for a COPY source missing from the
// context ("Dockerfile:5: COPY app.js /app: \"/app.js\": not found").
absl::StatusOr<std::vector<Digest>> ComputeStageKeys(
    const StageKeyInputs& inputs);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_STAGE_KEYS_H_
