// DynamicShardedCache: a sharded cache whose node list changes while it
// serves (nodes discovered in etcd). Each change builds a new
// ShardedSnapshot, reusing the clients of the nodes that stay, and swaps
// it in; calls already running finish on the snapshot they took.
#ifndef FARM_CACHE_SHARDED_DYNAMIC_SHARDED_CACHE_H_
#define FARM_CACHE_SHARDED_DYNAMIC_SHARDED_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cache/sharded/node_clients.h"
#include "cache/sharded/sharded_snapshot.h"
#include "cache/sharded/snapshot_stores.h"
#include "common/clock.h"

namespace farm::cache {

// Thread-safe.
class DynamicShardedCache : public SnapshotSource {
 public:
  // Starts with no node. `where` names the membership's source in the
  // error calls get while it is empty ("under /farm/cache-nodes/ in
  // etcd"). `clock` must outlive this object.
  DynamicShardedCache(DialNode dial, Clock* clock, std::string where,
                      NodeHealth::Options health_options = {});

  // Makes `nodes` the membership (empty: none). A list equal to the
  // current one, in any order, changes nothing and keeps the health.
  // Errors (the current membership stays): kInvalidArgument for a list
  // ValidateCacheNodes refuses, dial errors.
  absl::Status SetNodes(std::vector<CacheNode> nodes);

  // SnapshotSource: kUnavailable "no cache node is registered <where>"
  // while the membership is empty.
  absl::StatusOr<std::shared_ptr<const ShardedSnapshot>> Acquire()
      const override;
  // The current snapshot, empty or not.
  std::shared_ptr<const ShardedSnapshot> current() const;

  BlobStore* blobs() { return &blobs_; }
  ActionCache* actions() { return &actions_; }
  CacheAdmin* admin() { return &admin_; }

 private:
  const DialNode dial_;
  Clock* const clock_;
  const std::string where_;
  const NodeHealth::Options health_options_;
  // Held while a new snapshot is built, so changes apply one at a time;
  // mu_ only guards the swap, so calls never wait for a build.
  absl::Mutex update_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(update_mu_);
  std::shared_ptr<const ShardedSnapshot> current_ ABSL_GUARDED_BY(mu_);
  SnapshotBlobStore blobs_{this};
  SnapshotActionCache actions_{this};
  SnapshotCacheAdmin admin_{this};
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_DYNAMIC_SHARDED_CACHE_H_
