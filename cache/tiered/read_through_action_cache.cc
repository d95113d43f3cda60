#include "cache/tiered/read_through_action_cache.h"

#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<proto::ActionResult> ReadThroughActionCache::Get(
    const Digest& key) {
  std::vector<absl::StatusOr<proto::ActionResult>> results =
      GetMany(absl::MakeConstSpan(&key, 1));
  return std::move(results[0]);
}

std::vector<absl::StatusOr<proto::ActionResult>>
ReadThroughActionCache::GetMany(absl::Span<const Digest> keys) {
  std::vector<absl::StatusOr<proto::ActionResult>> results =
      fast_->GetMany(keys);
  std::vector<size_t> missed;
  std::vector<Digest> slow_keys;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    missed.push_back(i);
    slow_keys.push_back(keys[i]);
  }
  if (missed.empty()) return results;
  std::vector<absl::StatusOr<proto::ActionResult>> slow =
      slow_->GetMany(slow_keys);
  for (size_t j = 0; j < missed.size(); ++j) {
    if (slow[j].ok()) fast_->Update(slow_keys[j], *slow[j]).IgnoreError();
    results[missed[j]] = std::move(slow[j]);
  }
  return results;
}

absl::Status ReadThroughActionCache::Update(const Digest& key,
                                            const proto::ActionResult& result) {
  RETURN_IF_ERROR(slow_->Update(key, result));
  fast_->Update(key, result).IgnoreError();
  return absl::OkStatus();
}

}  // namespace farm::cache
