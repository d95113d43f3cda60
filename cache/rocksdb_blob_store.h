// RocksDbBlobStore: the persistent BlobStore behind every worker and the
// farm-cache server. Blob data lives in chunks (in RocksDB blob files or
// inline, see RocksDbCache), or for large blobs in plain files
// (BlobFileDir); an in-memory index of every blob's size and last use
// answers FindMissing and Stat without touching disk and drives LRU eviction
// under a byte budget, whichever way a blob is stored.
#ifndef FARM_CACHE_ROCKSDB_BLOB_STORE_H_
#define FARM_CACHE_ROCKSDB_BLOB_STORE_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/blob_file_dir.h"
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
    // Blobs larger than this many bytes are written to a file under
    // `files_dir` instead of chunks; 0 writes every blob as chunks. A
    // writer holds up to this many bytes in memory until the blob outgrows
    // it. Blob files already stored are read whatever the threshold.
    uint64_t file_threshold = 0;
    std::string files_dir;  // required when file_threshold is set
    // False defers loading the index (and the clean-up of what a crash
    // left) to the first write, eviction, stats call or FindMissing of many
    // digests; reads before then look records up one at a time. For short
    // commands, which mostly only read: a cached `farm build` never loads
    // the 20,000 records of a big context's blobs.
    bool index_at_open = true;
    // Free bytes to keep on the cache's filesystem (measured at `disk_dir`).
    // A new upload that finds less evicts least recently used blobs to make
    // room, and fails with kResourceExhausted when that cannot: RocksDB
    // itself never meets a full disk, after which it would refuse every
    // write until reopened. 0: no check.
    uint64_t min_free_bytes = 0;
    std::string disk_dir;
  };
  struct Families {
    rocksdb::ColumnFamilyHandle* blobs;
    rocksdb::ColumnFamilyHandle* chunks;
    rocksdb::ColumnFamilyHandle* uploads;
  };

  // Loads the index and removes what a crash left: the chunks and temp
  // files of uploads cut short, blob files without a record (a crash between
  // rename and record) and records whose file is missing or of the wrong
  // size. Nothing is owned; all must outlive the store. Readers and writers
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
  // Renames a file above Options::file_threshold into the file directory
  // (one on another filesystem, or a smaller one, is copied through Put).
  absl::Status PutFile(const Digest& digest, const std::string& path) override;

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
  // Test hook: flips the byte at `offset` of a stored blob, in RocksDB or in
  // its file.
  absl::Status CorruptForTesting(const Digest& digest, uint64_t offset = 0);

 private:
  friend class RocksDbBlobWriter;
  using LoadedRecords =
      std::vector<std::pair<Digest, rocksdb_format::BlobRecord>>;

  RocksDbBlobStore(rocksdb::DB* db, Families families, Options options,
                   CacheCounters* counters);
  // Loads the index unless it is loaded already: before the first new
  // record, delete, eviction or count.
  absl::Status EnsureIndexedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The record of `digest`, or null. Before the index is loaded, read from
  // RocksDB and kept in records_ until the load replaces them all.
  rocksdb_format::BlobRecord* FindRecordLocked(const Digest& digest)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RemoveInterruptedUploads();
  // Starts upload ids past every stored chunk's, which the last chunk key
  // holds, so uploads before the index loads need not wait for it. (Blobs
  // in files use their id only in their record; sharing one is harmless.)
  absl::Status SkipStoredChunkIds();
  // Drops from `loaded` (and into `dropped`) file records without their
  // file, and removes files without a record.
  absl::Status ReconcileFiles(LoadedRecords& loaded,
                              rocksdb::WriteBatch& dropped);

  // Before an upload writes: keeps Options::min_free_bytes free on the
  // disk, evicting if it must; kResourceExhausted when it cannot.
  absl::Status MakeRoom();
  // RocksDbBlobWriter's steps. Chunks go straight to RocksDB and files to
  // files_'s temp names; only Commit and Abort take the lock.
  absl::Status BeginUpload(uint64_t upload_id);
  absl::Status WriteChunk(uint64_t upload_id, uint32_t index,
                          absl::string_view data);
  absl::Status CommitUpload(const Digest& digest, uint64_t upload_id,
                            uint64_t size, uint32_t chunks_written,
                            absl::string_view tail, bool began);
  void AbortUpload(uint64_t upload_id, uint32_t chunks_written, bool began);
  // Renames the upload's temp file into place, then writes its record.
  // Removes the temp file on every path that does not publish it.
  absl::Status CommitFile(const Digest& digest, uint64_t upload_id,
                          uint64_t size);
  // True (and a use recorded) if `digest` is already stored.
  bool KeepExistingLocked(const Digest& digest)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the new blob's record in `batch`, with the evictions the budget
  // needs, then indexes the blob.
  absl::Status AddRecordLocked(const Digest& digest,
                               const rocksdb_format::BlobRecord& record,
                               rocksdb::WriteBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void RemoveCorrupt(const Digest& digest, uint64_t upload_id);
  // Marks a use; queues a record rewrite in `batch` if the stored time is
  // older than the granularity.
  void TouchLocked(const Digest& digest, rocksdb_format::BlobRecord& record,
                   rocksdb::WriteBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddRemoval(const Digest& digest,
                  const rocksdb_format::BlobRecord& record,
                  rocksdb::WriteBatch& batch);
  // After the record is gone: removes the blob's file, if it has one. Under
  // the lock, so that it cannot remove a re-upload's fresh file.
  void RemoveFileLocked(const Digest& digest,
                        const rocksdb_format::BlobRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `victims` from RocksDB and then from the index.
  absl::StatusOr<PruneResult> EvictLocked(
      const std::vector<std::pair<Digest, uint64_t>>& victims,
      rocksdb::WriteBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  rocksdb::WriteOptions WriteOptions() const;

  rocksdb::DB* const db_;
  const Families families_;
  const Options options_;
  CacheCounters* const counters_;
  std::unique_ptr<BlobFileDir> files_;  // null without options_.files_dir
  std::atomic<uint64_t> next_upload_id_{1};

  absl::Mutex mu_;
  bool indexed_ ABSL_GUARDED_BY(mu_) = false;
  LruIndex index_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Digest> pinned_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Digest, rocksdb_format::BlobRecord> records_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_BLOB_STORE_H_
