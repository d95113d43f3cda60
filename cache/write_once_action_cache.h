// WriteOnceActionCache: an ActionCache decorator that keeps the first usable
// result of a key. Builds already rely on that result, so a later writer
// with a different layer (a second worker, or one that lies) is logged,
// counted and dropped, never allowed to replace it. An entry that reads as
// a miss below it (BlobCheckingActionCache: its layer is gone) may be
// written again: that is how a damaged entry is repaired.
#ifndef FARM_CACHE_WRITE_ONCE_ACTION_CACHE_H_
#define FARM_CACHE_WRITE_ONCE_ACTION_CACHE_H_

#include <array>

#include "absl/synchronization/mutex.h"
#include "cache/action_cache.h"
#include "cache/cache_counters.h"

namespace farm::cache {

class WriteOnceActionCache : public ActionCache {
 public:
  // Neither is owned. `counters` (may be null) gets action_conflicts.
  WriteOnceActionCache(ActionCache* inner, CacheCounters* counters)
      : inner_(inner), counters_(counters) {}

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  // Stores the result when `key` has no usable entry. When it has one, OK
  // is returned and the entry stays as it is; a result with another layer
  // counts as a conflict. Other errors of the inner cache pass through.
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  // Updates of one key are serialised so that two first writers cannot
  // both see a miss; keys spread over a few locks.
  absl::Mutex& LockFor(const Digest& key);

  ActionCache* inner_;
  CacheCounters* counters_;
  std::array<absl::Mutex, 16> locks_;
};

// Whether two results of one key hold the same layer (or both none).
// Timestamps and history text may differ between two runs of a step.
bool SameLayer(const proto::ActionResult& a, const proto::ActionResult& b);

}  // namespace farm::cache

#endif  // FARM_CACHE_WRITE_ONCE_ACTION_CACHE_H_
