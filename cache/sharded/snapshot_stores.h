// The BlobStore, ActionCache and CacheAdmin of a sharded cache whose
// membership changes: each call takes the current snapshot once and runs
// on it to the end, and a reader or writer keeps its snapshot alive until
// it is destroyed.
#ifndef FARM_CACHE_SHARDED_SNAPSHOT_STORES_H_
#define FARM_CACHE_SHARDED_SNAPSHOT_STORES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/sharded/sharded_snapshot.h"

namespace farm::cache {

// Where the stores below find the membership of the moment. Thread-safe.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // A non-empty snapshot, or kUnavailable when no node is a member.
  virtual absl::StatusOr<std::shared_ptr<const ShardedSnapshot>> Acquire()
      const = 0;
};

// Each forwards to the snapshot's sharded store (see there for routing
// and errors). `source` is not owned and must outlive them.
class SnapshotBlobStore : public BlobStore {
 public:
  explicit SnapshotBlobStore(const SnapshotSource* source) : source_(source) {}

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;
  absl::Status PutFile(const Digest& digest, const std::string& path) override;
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override;

 private:
  const SnapshotSource* source_;
};

class SnapshotActionCache : public ActionCache {
 public:
  explicit SnapshotActionCache(const SnapshotSource* source)
      : source_(source) {}

  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

 private:
  const SnapshotSource* source_;
};

class SnapshotCacheAdmin : public CacheAdmin {
 public:
  explicit SnapshotCacheAdmin(const SnapshotSource* source) : source_(source) {}

  absl::StatusOr<CacheStats> Stats() override;
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override;
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override;
  absl::Status Delete(const std::vector<Digest>& digests) override;

 private:
  const SnapshotSource* source_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SHARDED_SNAPSHOT_STORES_H_
