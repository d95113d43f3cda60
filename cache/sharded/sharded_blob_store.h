// ShardedBlobStore: one BlobStore over several farm-cache nodes, each blob
// handled by the node its rendezvous ranking puts first (rendezvous.h).
// Every node reads and writes through to one shared object store, so a
// node that does not answer is skipped and the digest's next node serves
// it; a node's own copy is only a cache.
#ifndef FARM_CACHE_SHARDED_SHARDED_BLOB_STORE_H_
#define FARM_CACHE_SHARDED_SHARDED_BLOB_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "cache/blob_store.h"
#include "cache/sharded/cache_nodes.h"
#include "cache/sharded/node_health.h"
#include "cache/sharded/shard_router.h"

namespace farm::cache {

// Thread-safe, as BlobStore requires. Routing, per call:
//   - Get, Stat, Delete, PutFile: the first node of the digest's ranking
//     that is not being skipped (NodeHealth); on kUnavailable or
//     kDeadlineExceeded the node is marked down and the next one is asked.
//     Any other status, kNotFound included, is the answer.
//   - FindMissing, GetSmall: the digests grouped by their first live node,
//     one call per node, the calls concurrent; a group whose node fails is
//     marked down and its digests asked again of their next live nodes.
//   - Put: a FailoverBlobWriter (see there for a node dying mid-write).
// When no node answers: kUnavailable naming each node and why it was
// passed over. A reader whose node dies mid-stream returns the node's
// error and is not resumed elsewhere; a retried Get finds the node dead,
// marks it down and goes on to the next. Delete reaches the first live
// node only; ShardedCacheAdmin::Delete reaches every node's copy.
class ShardedBlobStore : public BlobStore {
 public:
  struct Options {
    // A writer keeps up to this many bytes to replay on another node; as
    // much as a remote writer sends in one batch (RemoteOptions).
    size_t replay_bytes = 1 << 20;
  };

  // `stores` are the nodes' stores, in the order of `nodes`; `health`
  // tracks the same nodes and may be shared with the sharded action cache
  // and admin. Neither is owned; both must outlive the store.
  // kInvalidArgument when `nodes` fail ValidateCacheNodes or the sizes
  // differ.
  static absl::StatusOr<std::unique_ptr<ShardedBlobStore>> Create(
      std::vector<CacheNode> nodes, std::vector<BlobStore*> stores,
      NodeHealth* health, Options options);
  static absl::StatusOr<std::unique_ptr<ShardedBlobStore>> Create(
      std::vector<CacheNode> nodes, std::vector<BlobStore*> stores,
      NodeHealth* health) {
    return Create(std::move(nodes), std::move(stores), health, Options());
  }

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;
  // The node's PutFile, so a node that fails mid-upload costs a re-read of
  // the file from the next node, whatever the size.
  absl::Status PutFile(const Digest& digest, const std::string& path) override;
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override;

 private:
  ShardedBlobStore(ShardRouter router, std::vector<BlobStore*> stores,
                   Options options)
      : router_(std::move(router)),
        stores_(std::move(stores)),
        options_(options) {}

  const ShardRouter router_;
  const std::vector<BlobStore*> stores_;
  const Options options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SHARDED_BLOB_STORE_H_
