// MemoryActionCache: an ActionCache in RAM for unit tests of the scheduler
// and worker logic above the cache.
#ifndef FARM_CACHE_MEMORY_ACTION_CACHE_H_
#define FARM_CACHE_MEMORY_ACTION_CACHE_H_

#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cache/action_cache.h"
#include "cache/cache_counters.h"

namespace farm::cache {

class MemoryActionCache : public ActionCache {
 public:
  // `counters` (not owned) may be shared with a blob store; null gives the
  // cache its own.
  explicit MemoryActionCache(CacheCounters* counters = nullptr);

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

  size_t size();
  // Removes the entries for which `drop` is true; returns how many.
  size_t RemoveIf(const std::function<bool(const proto::ActionResult&)>& drop);

 private:
  std::unique_ptr<CacheCounters> own_counters_;
  CacheCounters* counters_;
  absl::Mutex mu_;
  absl::flat_hash_map<Digest, proto::ActionResult> entries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_MEMORY_ACTION_CACHE_H_
