// RocksDbCache: opens the one RocksDB database that holds a node's layer
// cache and hands out its blob store and action cache, which share it
// through column families (see rocksdb_format.h and docs/cache.md).
#ifndef FARM_CACHE_ROCKSDB_CACHE_H_
#define FARM_CACHE_ROCKSDB_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cache/cache_admin.h"
#include "cache/cache_counters.h"
#include "cache/pin_registry.h"
#include "cache/rocksdb_action_cache.h"
#include "cache/rocksdb_blob_store.h"
#include "common/clock.h"
#include "rocksdb/db.h"

namespace farm::cache {

// Where chunk values go. Measured in bench/cache_storage_bench.cc.
enum class ChunkStorage {
  // Integrated BlobDB: chunks of at least min_blob_size go to blob files,
  // and compactions move only small references. The default.
  kBlobFiles,
  // Chunks stay in the LSM tree's SST files like any other value.
  kInline,
};

class RocksDbCache : public CacheAdmin {
 public:
  struct Options {
    std::string root;        // the database directory; created if missing
    uint64_t max_bytes = 0;  // blob byte budget; 0: none
    uint32_t chunk_size = 1 << 20;
    ChunkStorage storage = ChunkStorage::kBlobFiles;
    // Smaller chunks (small blobs, the tails of large ones) stay in SSTs.
    // 4 KiB puts a context's typical files (tens of kB) in blob files too:
    // at 64 KiB the 20,000 files of a 315 MB context sat in the SSTs, and
    // compacting them took a core from the next build (the first fully
    // cached rebuild after a cold one, embedded: about 250 → 160 ms).
    uint64_t min_blob_size = 4 << 10;
    Clock* clock = RealClock::Get();
    absl::Duration atime_granularity = absl::Hours(1);
    // Blobs larger than this are plain files under <root>/files instead of
    // chunks (see RocksDbBlobStore::Options); 0 keeps every new blob in
    // RocksDB.
    uint64_t file_threshold = kDefaultFileThreshold;
    // See RocksDbBlobStore::Options::index_at_open.
    bool index_blobs_at_open = true;
    // Free bytes kept on the cache's filesystem (RocksDbBlobStore::Options::
    // min_free_bytes): well above what RocksDB needs to flush its memtables
    // (four of 64 MiB), which it must be able to do to keep working.
    uint64_t min_free_bytes = uint64_t{512} << 20;
  };
  static constexpr uint64_t kDefaultFileThreshold = 8 << 20;

  // Opens or creates the cache. kUnavailable if another process holds it.
  static absl::StatusOr<std::unique_ptr<RocksDbCache>> Open(
      const Options& options);
  // Every reader and writer must be gone before the cache is destroyed.
  ~RocksDbCache() override;

  RocksDbBlobStore* blobs() { return blobs_.get(); }
  RocksDbActionCache* actions() { return actions_.get(); }
  CacheCounters* counters() { return &counters_; }

  absl::StatusOr<CacheStats> Stats() override;
  // Evicts, drops dangling action results, then compacts the chunk data so
  // that the disk space comes back.
  absl::StatusOr<PruneResult> Prune(const PruneOptions& options) override;
  // Kept under <root>/farm-pins.
  absl::Status SetPins(const std::string& owner,
                       absl::flat_hash_set<Digest> digests) override;
  absl::Status Delete(const std::vector<Digest>& digests) override;

  // Writes memtables out, so tests can find the data in files.
  absl::Status FlushForTesting();

 private:
  RocksDbCache() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  CacheCounters counters_;
  std::unique_ptr<RocksDbBlobStore> blobs_;
  std::unique_ptr<RocksDbActionCache> actions_;
  std::unique_ptr<PinRegistry> pins_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_CACHE_H_
