// TestCluster: three MemoryCaches behind FlakyNodes, and the sharded blob
// store, action cache and admin over them, sharing one NodeHealth on a
// simulated clock. What the sharded cache's tests construct.
#ifndef FARM_CACHE_SHARDED_TESTING_TEST_CLUSTER_H_
#define FARM_CACHE_SHARDED_TESTING_TEST_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "cache/memory_cache.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/rendezvous.h"
#include "cache/sharded/sharded_action_cache.h"
#include "cache/sharded/sharded_blob_store.h"
#include "cache/sharded/sharded_cache_admin.h"
#include "cache/sharded/testing/flaky_node.h"
#include "common/clock.h"

namespace farm::cache::testing {

class TestCluster {
 public:
  static constexpr size_t kNodes = 3;
  static constexpr absl::Duration kSkip = absl::Seconds(5);

  // `max_bytes` is each node's budget (0: none). `clock` (not owned) is the
  // health's clock; null uses the cluster's own SimulatedClock.
  explicit TestCluster(uint64_t max_bytes = 0, Clock* clock = nullptr,
                       ShardedBlobStore::Options options = {});

  ShardedBlobStore& blobs() { return *blobs_; }
  ShardedActionCache& actions() { return *actions_; }
  ShardedCacheAdmin& admin() { return *admin_; }
  NodeHealth& health() { return health_; }
  SimulatedClock& clock() { return clock_; }
  const RendezvousRanking& ranking() const { return ranking_; }
  const std::vector<CacheNode>& nodes() const { return nodes_; }

  MemoryCache& cache(size_t node) { return *caches_[node]; }
  FlakyNode& node(size_t node) { return *flaky_[node]; }
  // The node that owns `digest` when all are up.
  size_t Owner(const Digest& digest) const { return ranking_.Owner(digest); }
  // Bytes starting with `prefix` whose digest `node` owns.
  std::string DataOwnedBy(size_t node, const std::string& prefix) const;

 private:
  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
  std::vector<CacheNode> nodes_;
  RendezvousRanking ranking_;
  std::vector<std::unique_ptr<MemoryCache>> caches_;
  std::vector<std::unique_ptr<FlakyNode>> flaky_;
  NodeHealth health_;
  std::unique_ptr<ShardedBlobStore> blobs_;
  std::unique_ptr<ShardedActionCache> actions_;
  std::unique_ptr<ShardedCacheAdmin> admin_;
};

}  // namespace farm::cache::testing

#endif  // FARM_CACHE_SHARDED_TESTING_TEST_CLUSTER_H_
