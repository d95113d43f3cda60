// TieredCacheAdmin: `farm cache stats|prune` on a node in front of an
// object store. The operator manages the node's own copies; the bucket's
// size and lifetime are the bucket's (a lifecycle rule), so only an
// explicit Delete reaches it.
#ifndef FARM_CACHE_TIERED_TIERED_CACHE_ADMIN_H_
#define FARM_CACHE_TIERED_TIERED_CACHE_ADMIN_H_

#include "cache/blob_store.h"
#include "cache/cache_admin.h"

namespace farm::cache {

// Stats, Prune and SetPins are the fast tier's (pins keep an image's blobs
// on the node, where they are read most). Delete removes from the fast
// tier first, which refuses pinned blobs before anything is deleted, and
// then from the slow store. Neither argument is owned.
class TieredCacheAdmin : public CacheAdmin {
 public:
  TieredCacheAdmin(CacheAdmin* fast, BlobStore* slow)
      : fast_(fast), slow_(slow) {}

  absl::StatusOr<CacheStats> Stats() override { return fast_->Stats(); }
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override {
    return fast_->Prune(options);
  }
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override {
    return fast_->SetPins(owner, std::move(digests));
  }
  absl::Status Delete(const std::vector<Digest>& digests) override;

 private:
  CacheAdmin* fast_;
  BlobStore* slow_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_TIERED_TIERED_CACHE_ADMIN_H_
