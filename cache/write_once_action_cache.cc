#include "cache/write_once_action_cache.h"

#include <functional>
#include <string>

#include "common/logging.h"

namespace farm::cache {

bool SameLayer(const proto::ActionResult& a, const proto::ActionResult& b) {
  if (a.empty_layer() != b.empty_layer()) return false;
  if (a.has_layer() != b.has_layer()) return false;
  return !a.has_layer() || (a.layer().digest() == b.layer().digest() &&
                            a.layer().diff_id() == b.layer().diff_id());
}

absl::Mutex& WriteOnceActionCache::LockFor(const Digest& key) {
  return locks_[std::hash<std::string>()(key.hex()) % locks_.size()];
}

absl::StatusOr<proto::ActionResult> WriteOnceActionCache::Get(
    const Digest& key) {
  return inner_->Get(key);
}

std::vector<absl::StatusOr<proto::ActionResult>> WriteOnceActionCache::GetMany(
    absl::Span<const Digest> keys) {
  return inner_->GetMany(keys);
}

absl::Status WriteOnceActionCache::Update(const Digest& key,
                                          const proto::ActionResult& result) {
  absl::MutexLock lock(&LockFor(key));
  absl::StatusOr<proto::ActionResult> existing = inner_->Get(key);
  if (absl::IsNotFound(existing.status())) return inner_->Update(key, result);
  if (!existing.ok()) return existing.status();
  if (!SameLayer(*existing, result)) {
    if (counters_ != nullptr) CacheCounters::Add(counters_->action_conflicts);
    FARM_LOG(WARNING) << "action " << key.ToString()
                      << ": kept the first result (layer "
                      << existing->layer().digest()
                      << "); a later writer sent layer "
                      << result.layer().digest();
  }
  return absl::OkStatus();
}

}  // namespace farm::cache
