// MemoryBlobStore: a BlobStore in RAM with the same contract as the RocksDB
// one (verification, visibility, LRU budget), for unit tests of the layers
// above the cache and for the embedded mode's tests.
#ifndef FARM_CACHE_MEMORY_BLOB_STORE_H_
#define FARM_CACHE_MEMORY_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/cache_counters.h"
#include "cache/lru_index.h"

namespace farm::cache {

class MemoryBlobStore : public BlobStore {
 public:
  // `max_bytes` 0 means no budget. `counters` (not owned) may be shared with
  // an action cache; null gives the store its own.
  explicit MemoryBlobStore(uint64_t max_bytes = 0,
                           CacheCounters* counters = nullptr);

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;

  // Blobs the byte budget must never evict; replaces the previous set.
  void SetPinned(absl::flat_hash_set<Digest> pinned);

  // Evicts least-recently-used blobs (not in `keep`) down to `target_bytes`.
  PruneResult EvictTo(uint64_t target_bytes,
                      const absl::flat_hash_set<Digest>& keep);
  bool Contains(const Digest& digest);
  // Fills blob_count, blob_bytes and max_bytes.
  void FillStats(CacheStats& stats);

  // Test hook: flips the bits of the byte at `offset` of a stored blob.
  absl::Status CorruptForTesting(const Digest& digest, size_t offset = 0);

 private:
  class Writer;
  using Data = std::shared_ptr<const std::string>;

  absl::Status Insert(const Digest& digest, Data data);
  void RemoveCorrupt(const Digest& digest, const Data& seen);
  PruneResult EvictLocked(uint64_t target_bytes,
                          const absl::flat_hash_set<Digest>& keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t max_bytes_;
  std::unique_ptr<CacheCounters> own_counters_;
  CacheCounters* counters_;
  absl::Mutex mu_;
  LruIndex index_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Digest, Data> blobs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Digest> pinned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_MEMORY_BLOB_STORE_H_
