// RocksDbActionCache: the persistent ActionCache, one RocksDB entry per cache
// key in the "actions" column family of the cache's database.
#ifndef FARM_CACHE_ROCKSDB_ACTION_CACHE_H_
#define FARM_CACHE_ROCKSDB_ACTION_CACHE_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "cache/action_cache.h"
#include "cache/cache_counters.h"
#include "rocksdb/db.h"

namespace farm::cache {

class RocksDbActionCache : public ActionCache {
 public:
  // Counts the stored entries. Nothing is owned; all must outlive the cache.
  static absl::StatusOr<std::unique_ptr<RocksDbActionCache>> Open(
      rocksdb::DB* db, rocksdb::ColumnFamilyHandle* actions,
      CacheCounters* counters);

  // An entry that no longer parses is deleted and reported as a miss.
  absl::StatusOr<proto::ActionResult> Get(const Digest& key) override;
  // One MultiGet for the whole batch.
  std::vector<absl::StatusOr<proto::ActionResult>> GetMany(
      absl::Span<const Digest> keys) override;
  absl::Status Update(const Digest& key,
                      const proto::ActionResult& result) override;

  uint64_t size() const { return entries_.load(std::memory_order_relaxed); }
  // Deletes the entries for which `drop` is true; returns how many.
  absl::StatusOr<uint64_t> RemoveIf(
      const std::function<bool(const proto::ActionResult&)>& drop);

 private:
  RocksDbActionCache(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* actions,
                     CacheCounters* counters)
      : db_(db), actions_(actions), counters_(counters) {}

  // The result a read of `key` gave, counted as a hit or a miss; an entry
  // that does not parse is deleted.
  absl::StatusOr<proto::ActionResult> Decode(const Digest& key,
                                             const rocksdb::Status& status,
                                             absl::string_view value);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const actions_;
  CacheCounters* const counters_;
  // Serialises writers so the entry count stays exact.
  absl::Mutex write_mu_;
  std::atomic<uint64_t> entries_{0};
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_ACTION_CACHE_H_
