// RocksDbBlobStore's index: loading the records of every blob into memory,
// at open or when first needed, with the clean-up of what a crash left, and
// reading single records before that. The blob operations are in
// rocksdb_blob_store.cc.
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "cache/rocksdb_blob_store.h"
#include "cache/rocksdb_status.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {

namespace fmt = rocksdb_format;

absl::Status RocksDbBlobStore::RemoveInterruptedUploads() {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), families_.uploads));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<uint64_t> id = fmt::ParseUploadKey(ToView(it->key()));
    if (id.ok()) {
      batch.DeleteRange(families_.chunks, fmt::ChunkKey(*id, 0),
                        fmt::ChunkKey(*id + 1, 0));
      next_upload_id_ = std::max<uint64_t>(next_upload_id_, *id + 1);
    }
    batch.Delete(families_.uploads, it->key());
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "listing interrupted uploads"));
  if (batch.Count() > 0) {
    FARM_LOG(INFO) << "removing " << batch.Count() / 2
                   << " interrupted blob uploads";
  }
  return FromRocksDb(db_->Write(WriteOptions(), &batch),
                     "removing interrupted uploads");
}

absl::Status RocksDbBlobStore::SkipStoredChunkIds() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), families_.chunks));
  it->SeekToLast();
  if (it->Valid() && it->key().size() >= 8) {
    absl::StatusOr<uint64_t> id =
        fmt::ParseUploadKey(ToView(it->key()).substr(0, 8));
    if (id.ok()) {
      next_upload_id_ = std::max<uint64_t>(next_upload_id_, *id + 1);
    }
  }
  return FromRocksDb(it->status(), "finding the last chunk");
}

absl::Status RocksDbBlobStore::EnsureIndexedLocked() {
  if (indexed_) return absl::OkStatus();
  RETURN_IF_ERROR(LoadLocked());
  indexed_ = true;
  return absl::OkStatus();
}

rocksdb_format::BlobRecord* RocksDbBlobStore::FindRecordLocked(
    const Digest& digest) {
  auto it = records_.find(digest);
  if (it != records_.end()) return &it->second;
  if (indexed_) return nullptr;
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), families_.blobs,
                                    fmt::DigestKey(digest), &value);
  if (!status.ok()) {
    if (!status.IsNotFound()) {
      FARM_LOG(WARNING) << "reading the record of " << digest.ToString()
                        << ": " << status.ToString();
    }
    return nullptr;
  }
  absl::StatusOr<fmt::BlobRecord> record = fmt::DecodeBlobRecord(value);
  if (!record.ok()) return nullptr;  // the load drops it
  if (record->in_file) {
    // As the load would: a record whose file is gone or torn is no blob.
    struct stat st;
    if (files_ == nullptr || stat(files_->PathOf(digest).c_str(), &st) != 0 ||
        static_cast<uint64_t>(st.st_size) != record->size) {
      return nullptr;
    }
  }
  return &(records_[digest] = *record);
}

absl::Status RocksDbBlobStore::LoadLocked() {
  LoadedRecords loaded;
  rocksdb::WriteBatch dropped;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), families_.blobs));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<Digest> digest = fmt::ParseDigestKey(ToView(it->key()));
    absl::StatusOr<fmt::BlobRecord> record =
        fmt::DecodeBlobRecord(ToView(it->value()));
    if (!digest.ok() || !record.ok()) {
      FARM_LOG(WARNING) << "dropping unreadable blob record: "
                        << (digest.ok() ? record.status() : digest.status());
      dropped.Delete(families_.blobs, it->key());
      continue;
    }
    loaded.emplace_back(*digest, *record);
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "loading the blob index"));
  RETURN_IF_ERROR(ReconcileFiles(loaded, dropped));
  RETURN_IF_ERROR(FromRocksDb(db_->Write(WriteOptions(), &dropped),
                              "dropping unreadable blob records"));
  // Oldest use first, so the rebuilt LRU order follows the stored times.
  std::stable_sort(loaded.begin(), loaded.end(),
                   [](const auto& a, const auto& b) {
                     return a.second.last_access_unix_seconds <
                            b.second.last_access_unix_seconds;
                   });
  // Records read one at a time before the load are all read again here.
  records_.clear();
  records_.reserve(loaded.size());
  index_.Reserve(index_.count() + loaded.size());
  for (const auto& [digest, record] : loaded) {
    index_.Insert(digest, record.size);
    records_[digest] = record;
    next_upload_id_ = std::max<uint64_t>(next_upload_id_, record.upload_id + 1);
  }
  return absl::OkStatus();
}

absl::Status RocksDbBlobStore::ReconcileFiles(LoadedRecords& loaded,
                                              rocksdb::WriteBatch& dropped) {
  absl::flat_hash_map<Digest, uint64_t> on_disk;
  if (files_ != nullptr) {
    ASSIGN_OR_RETURN(auto listed, files_->List());
    on_disk.insert(listed.begin(), listed.end());
  }
  absl::flat_hash_set<Digest> wanted;
  auto lost = [&](const std::pair<Digest, fmt::BlobRecord>& entry) {
    const auto& [digest, record] = entry;
    if (!record.in_file) return false;
    auto file = on_disk.find(digest);
    if (file != on_disk.end() && file->second == record.size) {
      wanted.insert(digest);
      return false;
    }
    FARM_LOG(WARNING) << "dropping blob " << digest.ToString()
                      << ": its file is missing or not " << record.size
                      << " bytes";
    dropped.Delete(families_.blobs, fmt::DigestKey(digest));
    return true;
  };
  loaded.erase(std::remove_if(loaded.begin(), loaded.end(), lost),
               loaded.end());
  for (const auto& [digest, size] : on_disk) {
    if (wanted.contains(digest)) continue;
    FARM_LOG(WARNING) << "removing blob file " << files_->PathOf(digest)
                      << ": no record refers to it";
    RETURN_IF_ERROR(files_->Remove(digest));
  }
  return absl::OkStatus();
}

}  // namespace farm::cache
