#include "cache/memory_cache.h"

namespace farm::cache {

absl::StatusOr<CacheStats> MemoryCache::Stats() {
  CacheStats stats;
  blobs_.FillStats(stats);
  counters_.CopyTo(stats);
  stats.action_entries = actions_.size();
  return stats;
}

absl::StatusOr<PruneResult> MemoryCache::Prune(const PruneOptions& options) {
  PruneResult result = blobs_.EvictTo(options.target_bytes, options.keep);
  result.actions_removed =
      actions_.RemoveIf([this](const proto::ActionResult& action) {
        return LayerIsGone(action, [this](const Digest& digest) {
          return blobs_.Contains(digest);
        });
      });
  return result;
}

}  // namespace farm::cache
