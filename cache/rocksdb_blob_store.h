// RocksDbBlobStore: the persistent BlobStore behind every worker and the
// farm-cache server. Blob data lives in chunks (in RocksDB blob files or
// inline, see RocksDbCache); an in-memory index of every blob's size and
// last use answers FindMissing and Stat without touching disk and drives LRU
// eviction under a byte budget.
#ifndef FARM_CACHE_ROCKSDB_BLOB_STORE_H_
#define FARM_CACHE_ROCKSDB_BLOB_STORE_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/cache_counters.h"
#include "cache/lru_index.h"
#include "cache/rocksdb_format.h"
#include "common/clock.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace farm::cache {

class RocksDbBlobStore : public BlobStore {
 public:
  struct Options {
    uint64_t max_bytes = 0;  // 0: no budget
    uint32_t chunk_size = 1 << 20;
    Clock* clock = RealClock::Get();
    // A blob's persisted last-use time is rewritten only when it is older
    // than this, so reads almost never write. The in-memory LRU order is
    // exact; after a restart it is rebuilt at this granularity.
    absl::Duration atime_granularity = absl::Hours(1);
  };
  struct Families {
    rocksdb::ColumnFamilyHandle* blobs;
    rocksdb::ColumnFamilyHandle* chunks;
    rocksdb::ColumnFamilyHandle* uploads;
  };

  // Loads the index and removes the chunks of uploads that a crash cut
  // short. Nothing is owned; all must outlive the store. Readers and writers
  // must be destroyed before the store.
  static absl::StatusOr<std::unique_ptr<RocksDbBlobStore>> Open(
      rocksdb::DB* db, Families families, Options options,
      CacheCounters* counters);

  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;

  // Blobs the byte budget must never evict, such as the layers of tagged
  // images. Replaces the previous set; held in memory only, so the owner of
  // the pins sets them again after a restart.
  void SetPinned(absl::flat_hash_set<Digest> pinned);

  // Evicts least-recently-used blobs (not in `keep`) down to `target_bytes`.
  absl::StatusOr<PruneResult> EvictTo(uint64_t target_bytes,
                                      const absl::flat_hash_set<Digest>& keep);
  bool Contains(const Digest& digest);
  // Fills blob_count, blob_bytes and max_bytes.
  void FillStats(CacheStats& stats);
  // Test hook: flips the byte at `offset` of a stored blob inside RocksDB.
  absl::Status CorruptForTesting(const Digest& digest, uint64_t offset = 0);

 private:
  class Writer;

  RocksDbBlobStore(rocksdb::DB* db, Families families, Options options,
                   CacheCounters* counters);
  absl::Status Load();
  absl::Status RemoveInterruptedUploads();

  // Writer's steps. Chunks go straight to RocksDB; only Commit and Abort
  // take the lock.
  absl::Status BeginUpload(uint64_t upload_id);
  absl::Status WriteChunk(uint64_t upload_id, uint32_t index,
                          absl::string_view data);
  absl::Status CommitUpload(const Digest& digest, uint64_t upload_id,
                            uint64_t size, uint32_t chunks_written,
                            absl::string_view tail, bool began);
  void AbortUpload(uint64_t upload_id, uint32_t chunks_written, bool began);

  void RemoveCorrupt(const Digest& digest, uint64_t upload_id);
  // Marks a use; queues a record rewrite in `batch` if the stored time is
  // older than the granularity.
  void TouchLocked(const Digest& digest, rocksdb_format::BlobRecord& record,
                   rocksdb::WriteBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddRemoval(const Digest& digest,
                  const rocksdb_format::BlobRecord& record,
                  rocksdb::WriteBatch& batch);
  // Removes `victims` from RocksDB and then from the index.
  absl::StatusOr<PruneResult> EvictLocked(
      const std::vector<std::pair<Digest, uint64_t>>& victims,
      rocksdb::WriteBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  rocksdb::WriteOptions WriteOptions() const;

  rocksdb::DB* const db_;
  const Families families_;
  const Options options_;
  CacheCounters* const counters_;
  std::atomic<uint64_t> next_upload_id_{1};

  absl::Mutex mu_;
  LruIndex index_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Digest> pinned_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Digest, rocksdb_format::BlobRecord> records_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_BLOB_STORE_H_
