// ShardedSnapshot: one membership of a changing sharded cache, frozen: the
// nodes, their clients, their health and the sharded stores over them. A
// new membership is a new snapshot; calls in flight keep the one they
// started with, so nothing they use changes or goes away under them.
#ifndef FARM_CACHE_SHARDED_SHARDED_SNAPSHOT_H_
#define FARM_CACHE_SHARDED_SHARDED_SNAPSHOT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/node_clients.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/sharded_action_cache.h"
#include "cache/sharded/sharded_blob_store.h"
#include "cache/sharded/sharded_cache_admin.h"
#include "common/clock.h"

namespace farm::cache {

// Immutable but for its NodeHealth and the stores' own state, so
// thread-safe.
class ShardedSnapshot {
 public:
  // A snapshot over `nodes`, sorted by address; empty `nodes` give an
  // empty snapshot, whose stores are null. Nodes also in `previous` (may be
  // null) keep their clients, and a node `previous` skips stays skipped
  // (for up to one more skip_after_failure); the others are dialled.
  // `clock` must outlive the snapshot. kInvalidArgument for a list
  // ValidateCacheNodes refuses; dial errors.
  static absl::StatusOr<std::shared_ptr<const ShardedSnapshot>> Build(
      std::vector<CacheNode> nodes, const ShardedSnapshot* previous,
      const DialNode& dial, Clock* clock,
      NodeHealth::Options health_options = {});

  bool empty() const { return nodes_.empty(); }
  const std::vector<CacheNode>& nodes() const { return nodes_; }
  // True when `nodes` are these nodes with these weights, in any order.
  bool SameNodes(const std::vector<CacheNode>& nodes) const;
  // The node's clients; null when it is not a member.
  std::shared_ptr<NodeClients> clients(const std::string& address) const;

  // Null when empty.
  ShardedBlobStore* blobs() const { return blobs_.get(); }
  ShardedActionCache* actions() const { return actions_.get(); }
  ShardedCacheAdmin* admin() const { return admin_.get(); }

 private:
  ShardedSnapshot() = default;

  std::vector<CacheNode> nodes_;
  std::vector<std::shared_ptr<NodeClients>> clients_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::unique_ptr<NodeHealth> health_;
  std::unique_ptr<ShardedBlobStore> blobs_;
  std::unique_ptr<ShardedActionCache> actions_;
  std::unique_ptr<ShardedCacheAdmin> admin_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SHARDED_SNAPSHOT_H_
