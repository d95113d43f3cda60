// ReadThroughActionCache: a node's action cache in front of the object
// store's, with ReadThroughBlobStore's rules: a miss in the fast cache is
// asked of the slow one and kept, and an update is acknowledged once the
// slow cache has it.
#ifndef FARM_CACHE_TIERED_READ_THROUGH_ACTION_CACHE_H_
#define FARM_CACHE_TIERED_READ_THROUGH_ACTION_CACHE_H_

#include "cache/action_cache.h"

namespace farm::cache {

// Thread-safe if both caches are; neither is owned. A fast cache that fails
// is passed over for the slow one; its failure to keep a copy is not an
// error.
class ReadThroughActionCache : public ActionCache {
 public:
  ReadThroughActionCache(ActionCache* fast, ActionCache* slow)
      : fast_(fast), slow_(slow) {}

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  ActionCache* fast_;
  ActionCache* slow_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_TIERED_READ_THROUGH_ACTION_CACHE_H_
