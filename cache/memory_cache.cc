#include "cache/memory_cache.h"

#include "common/status_macros.h"

namespace farm::cache {

absl::StatusOr<CacheStats> MemoryCache::Stats() {
  CacheStats stats;
  blobs_.FillStats(stats);
  counters_.CopyTo(stats);
  stats.action_entries = actions_.size();
  return stats;
}

absl::Status MemoryCache::SetPins(const std::string& owner,
                                  absl::flat_hash_set<Digest> digests) {
  ASSIGN_OR_RETURN(absl::flat_hash_set<Digest> all,
                   pins_->Set(owner, std::move(digests)));
  blobs_.SetPinned(std::move(all));
  return absl::OkStatus();
}

absl::Status MemoryCache::Delete(const std::vector<Digest>& digests) {
  return DeleteUnpinned(blobs_, pins_->All(), digests);
}

absl::StatusOr<PruneResult> MemoryCache::Prune(const PruneOptions& options) {
  absl::flat_hash_set<Digest> keep = pins_->All();
  keep.insert(options.keep.begin(), options.keep.end());
  PruneResult result = blobs_.EvictTo(options.target_bytes, keep);
  result.actions_removed =
      actions_.RemoveIf([this](const proto::ActionResult& action) {
        return LayerIsGone(action, [this](const Digest& digest) {
          return blobs_.Contains(digest);
        });
      });
  return result;
}

}  // namespace farm::cache
