// S3ActionCache: action results in an S3-compatible bucket, one object per
// cache key at PREFIX/ac/HEX holding the serialized proto::ActionResult.
#ifndef FARM_CACHE_S3_S3_ACTION_CACHE_H_
#define FARM_CACHE_S3_S3_ACTION_CACHE_H_

#include "cache/action_cache.h"
#include "cache/s3/s3_bucket.h"

namespace farm::cache::s3 {

// Thread-safe. Errors are S3Bucket's; a stored object that does not parse
// is kDataLoss. Update replaces: S3's last writer wins, which is what
// ActionCache asks (WriteOnceActionCache in front keeps the first result).
class S3ActionCache : public ActionCache {
 public:
  explicit S3ActionCache(S3Bucket* bucket) : bucket_(bucket) {}

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  // Parallel GETs.
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

  static std::string KeyOf(const Digest& key);

 private:
  S3Bucket* bucket_;
};

}  // namespace farm::cache::s3

#endif  // FARM_CACHE_S3_S3_ACTION_CACHE_H_
