#include "cache/rocksdb_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "cache/rocksdb_format.h"
#include "cache/rocksdb_status.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "rocksdb/options.h"

namespace farm::cache {

namespace fmt = rocksdb_format;

namespace {

// Handle order in RocksDbCache::handles_.
enum Family { kDefault, kBlobs, kChunks, kUploads, kActions, kFamilyCount };

// `share` of the budget, kept within [smallest, largest]; largest when
// there is no budget. Chunks sit in the write-ahead log and the memtables
// until a flush, and a blob file's space comes back only once compaction
// has collected it, so these follow the budget: with 64 MiB memtables
// and 256 MiB blob files, a 64 MiB cache used 3.5× its budget on disk
// (cache/rocksdb_disk_budget_test).
uint64_t ShareOfBudget(uint64_t max_bytes, uint64_t share, uint64_t smallest,
                       uint64_t largest) {
  if (max_bytes == 0) return largest;
  return std::clamp<uint64_t>(max_bytes / share, smallest, largest);
}
constexpr uint64_t kMiB = 1 << 20;

rocksdb::ColumnFamilyOptions ChunkFamilyOptions(
    const RocksDbCache::Options& options) {
  rocksdb::ColumnFamilyOptions cf;
  // Layers arrive compressed; compressing again only costs CPU.
  cf.compression = rocksdb::kNoCompression;
  cf.write_buffer_size =
      ShareOfBudget(options.max_bytes, 16, 4 * kMiB, 64 * kMiB);
  cf.max_write_buffer_number = 4;
  cf.target_file_size_base = 64 << 20;
  if (options.storage == ChunkStorage::kBlobFiles) {
    cf.enable_blob_files = true;
    cf.min_blob_size = options.min_blob_size;
    cf.blob_file_size =
        ShareOfBudget(options.max_bytes, 16, 4 * kMiB, 256 * kMiB);
    cf.blob_compression_type = rocksdb::kNoCompression;
    cf.enable_blob_garbage_collection = true;
    cf.blob_garbage_collection_force_threshold = 0.5;
  }
  return cf;
}

// RocksDB 7.8 starts a new write-ahead log at every open, but retires old
// ones only when a flush moves the families' log numbers on. A cache that is
// opened and closed without writes (a cached `farm build`, `farm images`)
// keeps one more empty log each time, and every later open reads them all.
// Past this many, one flushed marker write lets RocksDB retire them.
constexpr int kMaxIdleWals = 4;
// Memtable bytes, over all families, above which closing flushes them.
constexpr uint64_t kFlushAtCloseBytes = 1 << 20;
constexpr char kWalMarker[] = "farm.retire-wals";

absl::Status RetireIdleWals(rocksdb::DB* db,
                            rocksdb::ColumnFamilyHandle* family,
                            const std::string& root) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root));
  int wals = 0;
  for (const std::string& name : names) {
    wals += absl::EndsWith(name, ".log") ? 1 : 0;
  }
  if (wals <= kMaxIdleWals) return absl::OkStatus();
  rocksdb::WriteOptions write;
  RETURN_IF_ERROR(FromRocksDb(db->Put(write, family, kWalMarker, ""),
                              "writing the log marker"));
  RETURN_IF_ERROR(FromRocksDb(db->Delete(write, family, kWalMarker),
                              "deleting the log marker"));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocksDb(db->Flush(flush, family), "flushing the log marker");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbCache>> RocksDbCache::Open(
    const Options& options) {
  // Blobs of every tenant's builds: for the cache's user only.
  RETURN_IF_ERROR(MakeDirs(options.root, 0700));
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.max_total_wal_size =
      ShareOfBudget(options.max_bytes, 8, 16 * kMiB, 256 * kMiB);
  // RocksDB starts this many threads per column family at every open just
  // to open table files; for our five small families that thread churn
  // cost more than the whole of a cached `farm build`. One opens them on
  // the calling thread.
  db_options.max_file_opening_threads = 1;
  // Every open starts a new info LOG; keep a few, not RocksDB's 1000.
  db_options.keep_log_file_num = 4;

  rocksdb::ColumnFamilyOptions small;
  std::vector<rocksdb::ColumnFamilyDescriptor> families(kFamilyCount);
  families[kDefault] = {rocksdb::kDefaultColumnFamilyName, small};
  families[kBlobs] = {fmt::kBlobsFamily, small};
  families[kChunks] = {fmt::kChunksFamily, ChunkFamilyOptions(options)};
  families[kUploads] = {fmt::kUploadsFamily, small};
  families[kActions] = {fmt::kActionsFamily, small};

  std::unique_ptr<RocksDbCache> cache(new RocksDbCache);
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.root, families,
                                             &cache->handles_, &db);
  if (status.IsIOError() &&
      status.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(
        "cache " + options.root +
        " is in use by another process: " + status.ToString());
  }
  RETURN_IF_ERROR(FromRocksDb(status, "opening cache " + options.root));
  cache->db_.reset(db);
  absl::Status retired =
      RetireIdleWals(db, cache->handles_[kDefault], options.root);
  if (!retired.ok()) {
    // Only costs time at later opens; the cache itself is fine.
    FARM_LOG(WARNING) << "cache " << options.root << ": " << retired;
  }

  RocksDbBlobStore::Options blob_options;
  blob_options.max_bytes = options.max_bytes;
  blob_options.chunk_size = options.chunk_size;
  blob_options.clock = options.clock;
  blob_options.atime_granularity = options.atime_granularity;
  blob_options.file_threshold = options.file_threshold;
  blob_options.index_at_open = options.index_blobs_at_open;
  blob_options.min_free_bytes = options.min_free_bytes;
  blob_options.disk_dir = options.root;
  // RocksDB leaves a subdirectory of its own directory alone.
  blob_options.files_dir = JoinPath(options.root, "files");
  RocksDbBlobStore::Families blob_families{cache->handles_[kBlobs],
                                           cache->handles_[kChunks],
                                           cache->handles_[kUploads]};
  ASSIGN_OR_RETURN(cache->blobs_,
                   RocksDbBlobStore::Open(db, blob_families, blob_options,
                                          &cache->counters_));
  ASSIGN_OR_RETURN(cache->actions_,
                   RocksDbActionCache::Open(db, cache->handles_[kActions],
                                            &cache->counters_));
  // RocksDB leaves a subdirectory of its own directory alone.
  ASSIGN_OR_RETURN(
      cache->pins_,
      PinRegistry::Open(JoinPath(options.root, "farm-pins"), options.clock));
  cache->blobs_->SetPinned(cache->pins_->All());
  return cache;
}

absl::Status RocksDbCache::SetPins(const std::string& owner,
                                   absl::flat_hash_set<Digest> digests) {
  ASSIGN_OR_RETURN(absl::flat_hash_set<Digest> all,
                   pins_->Set(owner, std::move(digests)));
  blobs_->SetPinned(std::move(all));
  return absl::OkStatus();
}

absl::Status RocksDbCache::Delete(const std::vector<Digest>& digests) {
  return DeleteUnpinned(*blobs_, pins_->All(), digests);
}

RocksDbCache::~RocksDbCache() {
  blobs_.reset();
  actions_.reset();
  if (db_ == nullptr) return;
  // A command that stored a big context leaves MBs in the memtables, which
  // the next open would replay from the log and flush before serving
  // anything; Debian's RocksDB checks the log with its slow, table-driven
  // CRC32C. Flush them now, when nobody waits for it.
  uint64_t held = 0;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    uint64_t family_bytes = 0;
    if (db_->GetIntProperty(handle,
                            rocksdb::DB::Properties::kCurSizeAllMemTables,
                            &family_bytes)) {
      held += family_bytes;
    }
  }
  if (held > kFlushAtCloseBytes) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    rocksdb::Status flushed = db_->Flush(flush, handles_);
    if (!flushed.ok()) {
      FARM_LOG(WARNING) << "flushing the cache at close: "
                        << flushed.ToString();
    }
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

absl::StatusOr<CacheStats> RocksDbCache::Stats() {
  CacheStats stats;
  blobs_->FillStats(stats);
  counters_.CopyTo(stats);
  stats.action_entries = actions_->size();
  return stats;
}

absl::StatusOr<PruneResult> RocksDbCache::Prune(const PruneOptions& options) {
  absl::flat_hash_set<Digest> keep = pins_->All();
  keep.insert(options.keep.begin(), options.keep.end());
  ASSIGN_OR_RETURN(PruneResult result,
                   blobs_->EvictTo(options.target_bytes, keep));
  ASSIGN_OR_RETURN(
      result.actions_removed,
      actions_->RemoveIf([this](const proto::ActionResult& action) {
        return LayerIsGone(action, [this](const Digest& digest) {
          return blobs_->Contains(digest);
        });
      }));
  if (result.blobs_removed > 0) {
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    RETURN_IF_ERROR(FromRocksDb(
        db_->CompactRange(compact, handles_[kChunks], nullptr, nullptr),
        "compacting after prune"));
  }
  return result;
}

absl::Status RocksDbCache::FlushForTesting() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocksDb(db_->Flush(flush, handles_), "flushing");
}

}  // namespace farm::cache
