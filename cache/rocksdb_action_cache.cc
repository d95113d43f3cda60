#include "cache/rocksdb_action_cache.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cache/rocksdb_format.h"
#include "cache/rocksdb_status.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "rocksdb/write_batch.h"

namespace farm::cache {

namespace fmt = rocksdb_format;

absl::StatusOr<std::unique_ptr<RocksDbActionCache>> RocksDbActionCache::Open(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* actions,
    CacheCounters* counters) {
  std::unique_ptr<RocksDbActionCache> cache(
      new RocksDbActionCache(db, actions, counters));
  uint64_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), actions));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  RETURN_IF_ERROR(FromRocksDb(it->status(), "counting action results"));
  cache->entries_ = count;
  return cache;
}

absl::StatusOr<proto::ActionResult> RocksDbActionCache::Get(const Digest& key) {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), actions_, fmt::DigestKey(key), &value);
  return Decode(key, status, value);
}

std::vector<absl::StatusOr<proto::ActionResult>> RocksDbActionCache::GetMany(
    absl::Span<const Digest> keys) {
  std::vector<std::string> db_keys;
  db_keys.reserve(keys.size());
  for (const Digest& key : keys) db_keys.push_back(fmt::DigestKey(key));
  std::vector<rocksdb::Slice> slices(db_keys.begin(), db_keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), actions_, keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<absl::StatusOr<proto::ActionResult>> results;
  results.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    results.push_back(
        Decode(keys[i], statuses[i],
               absl::string_view(values[i].data(), values[i].size())));
  }
  return results;
}

absl::StatusOr<proto::ActionResult> RocksDbActionCache::Decode(
    const Digest& key, const rocksdb::Status& status, absl::string_view value) {
  proto::ActionResult result;
  if (status.ok() &&
      result.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    CacheCounters::Add(counters_->action_hits);
    return result;
  }
  CacheCounters::Add(counters_->action_misses);
  if (status.ok()) {
    FARM_LOG(WARNING) << "dropping unreadable action result " << key.ToString();
    absl::MutexLock lock(&write_mu_);
    if (db_->Delete(rocksdb::WriteOptions(), actions_, fmt::DigestKey(key))
            .ok()) {
      entries_.fetch_sub(1, std::memory_order_relaxed);
    }
    return absl::NotFoundError(absl::StrCat("action result for key ",
                                            key.ToString(), " was unreadable"));
  }
  if (status.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("no action result for key ", key.ToString()));
  }
  return FromRocksDb(status, absl::StrCat("reading action ", key.ToString()));
}

absl::Status RocksDbActionCache::Update(const Digest& key,
                                        const proto::ActionResult& result) {
  std::string context = absl::StrCat("action ", key.ToString());
  RETURN_IF_ERROR(Annotate(ValidateActionResult(result), context));
  std::string value;
  if (!result.SerializeToString(&value)) {
    return absl::InternalError(absl::StrCat(context, ": cannot serialize"));
  }
  std::string db_key = fmt::DigestKey(key);
  absl::MutexLock lock(&write_mu_);
  std::string old;
  rocksdb::Status exists =
      db_->Get(rocksdb::ReadOptions(), actions_, db_key, &old);
  if (!exists.ok() && !exists.IsNotFound()) {
    return FromRocksDb(exists, context);
  }
  RETURN_IF_ERROR(FromRocksDb(
      db_->Put(rocksdb::WriteOptions(), actions_, db_key, value), context));
  if (exists.IsNotFound()) entries_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RocksDbActionCache::RemoveIf(
    const std::function<bool(const proto::ActionResult&)>& drop) {
  absl::MutexLock lock(&write_mu_);
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), actions_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    proto::ActionResult result;
    if (!result.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size())) ||
        drop(result)) {
      batch.Delete(actions_, it->key());
    }
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "listing action results"));
  RETURN_IF_ERROR(FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch),
                              "removing action results"));
  entries_.fetch_sub(batch.Count(), std::memory_order_relaxed);
  return batch.Count();
}

}  // namespace farm::cache
