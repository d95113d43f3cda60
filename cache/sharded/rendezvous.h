// RendezvousRanking: which cache node holds a digest, by weighted rendezvous
// (highest random weight) hashing, as Buildbarn shards its storage. Adding
// or removing a node moves only that node's share of the digests, and every
// client that lists the same nodes picks the same node, without talking to
// the others.
#ifndef FARM_CACHE_SHARDED_RENDEZVOUS_H_
#define FARM_CACHE_SHARDED_RENDEZVOUS_H_

#include <cstdint>
#include <vector>

#include "cache/sharded/cache_nodes.h"
#include "common/digest.h"

namespace farm::cache {

// Each node scores each digest with
//   score = -weight / ln(u),  u = Hash64(node address, digest) mapped to (0,1)
// and the digest belongs to the highest score. -ln(u) / weight is an
// exponential variable of rate `weight`, and the least of independent
// exponentials is node i's with probability weight_i / sum(weights): shares
// follow the weights. A node's score for a digest never depends on the
// other nodes, so removing one hands each of its digests to that digest's
// runner-up and leaves every other digest where it was.
//
// The hash is fixed (not absl::Hash, which is seeded per process): every
// scheduler and worker must agree on the owner. Node identity is the
// address, so the order of the list does not matter; ties (astronomically
// rare) go to the smaller address.
//
// Immutable after construction, so thread-safe.
class RendezvousRanking {
 public:
  // `nodes` must pass ValidateCacheNodes (non-empty, distinct addresses,
  // positive weights); indices below are positions in it.
  explicit RendezvousRanking(std::vector<CacheNode> nodes);

  size_t size() const { return nodes_.size(); }
  const CacheNode& node(size_t index) const { return nodes_[index]; }

  // Every node's index, best first: the owner, then where the digest goes
  // when the owner is down, and so on.
  std::vector<size_t> Rank(const Digest& digest) const;
  // Rank(digest)[0], without sorting.
  size_t Owner(const Digest& digest) const;

 private:
  double Score(size_t node, uint64_t digest_key) const;
  // True when node `a`, scoring `score_a`, ranks before node `b`.
  bool Before(size_t a, double score_a, size_t b, double score_b) const;

  std::vector<CacheNode> nodes_;
  // 64 bits of sha256(address) per node, computed once.
  std::vector<uint64_t> node_keys_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_RENDEZVOUS_H_
