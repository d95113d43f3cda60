// MemoryCache: a whole cache in RAM (blob store, action cache, admin) with
// shared counters; what tests of the scheduler and workers construct.
#ifndef FARM_CACHE_MEMORY_CACHE_H_
#define FARM_CACHE_MEMORY_CACHE_H_

#include "cache/cache_admin.h"
#include "cache/cache_counters.h"
#include "cache/memory_action_cache.h"
#include "cache/memory_blob_store.h"
#include "cache/pin_registry.h"
#include "common/clock.h"

namespace farm::cache {

class MemoryCache : public CacheAdmin {
 public:
  // `max_bytes` 0 means no budget.
  explicit MemoryCache(uint64_t max_bytes = 0)
      : blobs_(max_bytes, &counters_),
        actions_(&counters_),
        pins_(*PinRegistry::Open("", RealClock::Get())) {}

  MemoryBlobStore* blobs() { return &blobs_; }
  MemoryActionCache* actions() { return &actions_; }
  CacheCounters* counters() { return &counters_; }

  absl::StatusOr<CacheStats> Stats() override;
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override;
  // Held in memory only.
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override;
  absl::Status Delete(const std::vector<Digest>& digests) override;

 private:
  CacheCounters counters_;
  MemoryBlobStore blobs_;
  MemoryActionCache actions_;
  std::unique_ptr<PinRegistry> pins_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_MEMORY_CACHE_H_
