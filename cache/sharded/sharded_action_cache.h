// ShardedActionCache: one ActionCache over several farm-cache nodes, each
// key handled by the node its rendezvous ranking puts first, as
// ShardedBlobStore does for blobs.
#ifndef FARM_CACHE_SHARDED_SHARDED_ACTION_CACHE_H_
#define FARM_CACHE_SHARDED_SHARDED_ACTION_CACHE_H_

#include <memory>
#include <vector>

#include "cache/action_cache.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/shard_router.h"

namespace farm::cache {

// Thread-safe. Get and Update go to the first node of the key's ranking
// that is not being skipped, and on to the next one on kUnavailable or
// kDeadlineExceeded (the node is then marked down); kNotFound is a miss,
// not a failure. GetMany groups the keys by node, one concurrent call per
// node, and asks a failed node's keys again of their next nodes. When no
// node answers for a key: kUnavailable naming the nodes.
class ShardedActionCache : public ActionCache {
 public:
  // `caches` are the nodes' action caches, in the order of `nodes`;
  // `health` tracks the same nodes. Neither is owned; both must outlive
  // this object. kInvalidArgument when `nodes` fail ValidateCacheNodes or
  // the sizes differ.
  static absl::StatusOr<std::unique_ptr<ShardedActionCache>> Create(
      std::vector<CacheNode> nodes, std::vector<ActionCache*> caches,
      NodeHealth* health);

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  ShardedActionCache(ShardRouter router, std::vector<ActionCache*> caches)
      : router_(std::move(router)), caches_(std::move(caches)) {}

  const ShardRouter router_;
  const std::vector<ActionCache*> caches_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SHARDED_ACTION_CACHE_H_
