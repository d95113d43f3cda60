// ShardedCacheAdmin: `farm cache stats|prune` and the image store's pins
// over every node of a sharded cache. Each node holds whatever share of
// the blobs it holds, so every call goes to every node.
#ifndef FARM_CACHE_SHARDED_SHARDED_CACHE_ADMIN_H_
#define FARM_CACHE_SHARDED_SHARDED_CACHE_ADMIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/cache_admin.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/shard_router.h"

namespace farm::cache {

// Thread-safe. Each call asks every node that is not being skipped, all at
// once. A node that is down (skipped, or failing with kUnavailable or
// kDeadlineExceeded, which marks it down) is left out and logged; what
// that means is said per method. Any other error from a node is returned,
// with the node's address before its message. When no node answers:
// kUnavailable naming them.
class ShardedCacheAdmin : public CacheAdmin {
 public:
  // `admins` are the nodes' admins, in the order of `nodes`; `health`
  // tracks the same nodes. Neither is owned; both must outlive this
  // object. kInvalidArgument when `nodes` fail ValidateCacheNodes or the
  // sizes differ.
  static absl::StatusOr<std::unique_ptr<ShardedCacheAdmin>> Create(
      std::vector<CacheNode> nodes, std::vector<CacheAdmin*> admins,
      NodeHealth* health);

  // Summed over the nodes that answer: down nodes are left out, so the
  // totals then undercount. max_bytes is 0 (no budget) if any node has no
  // budget.
  absl::StatusOr<CacheStats> Stats() override;
  // Each node evicts down to its weight's share of target_bytes (its
  // expected share of the blobs), so the nodes together stay within
  // target_bytes; least-recently-used order is per node. `keep` goes to
  // every node. Results are summed. A down node keeps its bytes.
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override;
  // Sets the pins on every node. A down node is left out: its owner renews
  // pins periodically, and the node gets them with the next renewal.
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override;
  // Deletes on every node. Each node's Delete is all-or-nothing; the whole
  // is not (a node may refuse a pinned blob that another has deleted). A
  // down node may still hold the blobs, so Delete then returns kUnavailable
  // naming it, after the others are done; deleting again is harmless.
  absl::Status Delete(const std::vector<Digest>& digests) override;

 private:
  ShardedCacheAdmin(ShardRouter router, std::vector<CacheAdmin*> admins)
      : router_(std::move(router)), admins_(std::move(admins)) {}

  // Runs `call` on every node not being skipped, concurrently: one status
  // per node, kUnavailable for a skipped one.
  std::vector<absl::Status> OnEachNode(
      const std::function<absl::Status(size_t node)>& call) const;
  // The first error that is not a node failure; kUnavailable if no node
  // answered, or if `need_all` and some did not; else OK, after logging
  // the nodes left out.
  absl::Status Outcome(absl::string_view what,
                       const std::vector<absl::Status>& statuses,
                       bool need_all) const;

  const ShardRouter router_;
  const std::vector<CacheAdmin*> admins_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SHARDED_CACHE_ADMIN_H_
