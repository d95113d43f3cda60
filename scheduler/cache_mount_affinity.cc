#include "scheduler/cache_mount_affinity.h"

#include "absl/strings/str_cat.h"

namespace farm::scheduler {

namespace {

using MountProto = proto::TypedInstruction::Mount;

// The first cache mount of instruction `i`, or null.
const MountProto* CacheMountOf(const proto::TypedInstruction& instruction) {
  if (!instruction.has_run()) return nullptr;
  for (const MountProto& mount : instruction.run().mounts()) {
    if (mount.type() == "cache") return &mount;
  }
  return nullptr;
}

// Instruction i's key is keys(i + 1): keys(0) is the stage's base.
bool IsCacheHit(const proto::StageJob& job, int i) {
  return !job.no_cache() && job.looked_up() && job.cached().count(i + 1) > 0;
}

}  // namespace

bool UsesCacheMounts(const proto::StageJob& job) {
  for (const proto::TypedInstruction& instruction : job.instructions()) {
    if (CacheMountOf(instruction) != nullptr) return true;
  }
  return false;
}

std::optional<Digest> CacheMountAffinity(const proto::StageJob& job) {
  for (int i = 0; i < job.instructions_size(); ++i) {
    const MountProto* mount = CacheMountOf(job.instructions(i));
    if (mount == nullptr || IsCacheHit(job, i)) continue;
    const std::string& id = mount->id().empty() ? mount->target() : mount->id();
    return Digest::Of(absl::StrCat(job.tenant(), std::string(1, '\0'), id));
  }
  return std::nullopt;
}

}  // namespace farm::scheduler
