// BlobCheckingActionCache: an ActionCache decorator that turns a hit whose
// layer blob is gone (evicted, deleted, or found corrupt) into a miss, so a
// build re-runs the step and repairs the cache instead of failing.
#ifndef FARM_CACHE_BLOB_CHECKING_ACTION_CACHE_H_
#define FARM_CACHE_BLOB_CHECKING_ACTION_CACHE_H_

#include "cache/action_cache.h"
#include "cache/blob_store.h"

namespace farm::cache {

class BlobCheckingActionCache : public ActionCache {
 public:
  struct Options {
    // Read and hash the whole layer on every hit rather than only checking
    // that it exists. A corrupt layer is then removed and the hit is a miss.
    bool verify_content = false;
  };

  // Neither `inner` nor `blobs` is owned; both must outlive this object.
  BlobCheckingActionCache(ActionCache* inner, BlobStore* blobs,
                          Options options);
  BlobCheckingActionCache(ActionCache* inner, BlobStore* blobs)
      : BlobCheckingActionCache(inner, blobs, Options()) {}

  // kNotFound also when the entry exists but its layer blob does not.
  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  // Asks the inner cache once and, unless verify_content, checks every
  // hit's layer with one FindMissing.
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  // kFailedPrecondition when the result names a layer that is not stored:
  // the blob must be uploaded before the action result that points at it.
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  absl::Status CheckLayer(const Digest& layer);
  // The miss a hit whose layer is unusable becomes.
  static absl::Status Unusable(const Digest& key, const absl::Status& layer);

  ActionCache* inner_;
  BlobStore* blobs_;
  Options options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_BLOB_CHECKING_ACTION_CACHE_H_
