#include "cache/rocksdb_blob_store.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/rocksdb_blob_writer.h"
#include "cache/rocksdb_chunk_reader.h"
#include "cache/rocksdb_status.h"
#include "cache/verifying_stream.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace farm::cache {

namespace fmt = rocksdb_format;

namespace {

absl::Status NotStored(const Digest& digest) {
  return absl::NotFoundError(
      absl::StrCat("blob ", digest.ToString(), " is not in the cache"));
}

absl::Status TooLarge(const Digest& digest, uint64_t size, uint64_t budget) {
  return absl::ResourceExhaustedError(
      absl::StrCat("blob ", digest.ToString(), " of ", size,
                   " bytes exceeds the cache budget of ", budget, " bytes"));
}

// The reader of a blob whose file has vanished: its one Read is the error,
// so that VerifyingReader reports the blob corrupt and removes it.
class FailedReader : public ByteReader {
 public:
  explicit FailedReader(absl::Status status) : status_(std::move(status)) {}
  absl::StatusOr<size_t> Read(char*, size_t) override { return status_; }

 private:
  absl::Status status_;
};

}  // namespace

RocksDbBlobStore::RocksDbBlobStore(rocksdb::DB* db, Families families,
                                   Options options, CacheCounters* counters)
    : db_(db), families_(families), options_(options), counters_(counters) {}

absl::StatusOr<std::unique_ptr<RocksDbBlobStore>> RocksDbBlobStore::Open(
    rocksdb::DB* db, Families families, Options options,
    CacheCounters* counters) {
  if (options.chunk_size == 0) {
    return absl::InvalidArgumentError("chunk_size must be positive");
  }
  if (options.file_threshold != 0 && options.files_dir.empty()) {
    return absl::InvalidArgumentError("file_threshold needs a files_dir");
  }
  std::unique_ptr<RocksDbBlobStore> store(
      new RocksDbBlobStore(db, families, options, counters));
  if (!options.files_dir.empty()) {
    ASSIGN_OR_RETURN(store->files_, BlobFileDir::Open(options.files_dir));
  }
  RETURN_IF_ERROR(store->RemoveInterruptedUploads());
  RETURN_IF_ERROR(store->SkipStoredChunkIds());
  if (options.index_at_open) {
    absl::MutexLock lock(&store->mu_);
    RETURN_IF_ERROR(store->EnsureIndexedLocked());
  }
  return store;
}

rocksdb::WriteOptions RocksDbBlobStore::WriteOptions() const {
  rocksdb::WriteOptions options;
  options.sync = false;  // a lost tail after a crash is only a cache miss
  return options;
}

void RocksDbBlobStore::TouchLocked(const Digest& digest,
                                   fmt::BlobRecord& record,
                                   rocksdb::WriteBatch& batch) {
  index_.Touch(digest);
  int64_t now = absl::ToUnixSeconds(options_.clock->Now());
  if (now - record.last_access_unix_seconds <
      absl::ToInt64Seconds(options_.atime_granularity)) {
    return;
  }
  record.last_access_unix_seconds = now;
  batch.Put(families_.blobs, fmt::DigestKey(digest),
            fmt::EncodeBlobRecord(record));
}

absl::StatusOr<std::vector<Digest>> RocksDbBlobStore::FindMissing(
    absl::Span<const Digest> digests) {
  std::vector<Digest> missing;
  absl::flat_hash_set<Digest> seen;
  rocksdb::WriteBatch touched;
  absl::MutexLock lock(&mu_);
  // One scan of the records beats as many point reads past a few hundred.
  constexpr size_t kIndexAbove = 256;
  if (digests.size() > kIndexAbove) RETURN_IF_ERROR(EnsureIndexedLocked());
  for (const Digest& digest : digests) {
    if (fmt::BlobRecord* record = FindRecordLocked(digest)) {
      TouchLocked(digest, *record, touched);
    } else if (seen.insert(digest).second) {
      missing.push_back(digest);
    }
  }
  if (touched.Count() > 0) {
    rocksdb::Status status = db_->Write(WriteOptions(), &touched);
    if (!status.ok()) {
      FARM_LOG(WARNING) << "recording blob access times: " << status.ToString();
    }
  }
  return missing;
}

absl::StatusOr<std::unique_ptr<ByteReader>> RocksDbBlobStore::Get(
    const Digest& digest) {
  fmt::BlobRecord record;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  std::unique_ptr<ByteReader> file;
  {
    absl::MutexLock lock(&mu_);
    fmt::BlobRecord* found = FindRecordLocked(digest);
    if (found == nullptr) {
      CacheCounters::Add(counters_->blob_misses);
      return NotStored(digest);
    }
    rocksdb::WriteBatch touched;
    TouchLocked(digest, *found, touched);
    if (touched.Count() > 0) {
      rocksdb::Status status = db_->Write(WriteOptions(), &touched);
      if (!status.ok()) {
        FARM_LOG(WARNING) << "recording access to " << digest.ToString() << ": "
                          << status.ToString();
      }
    }
    record = *found;
    if (record.in_file) {
      // Opened under the lock, so no Delete can remove the file first; the
      // open file then outlives any later Delete.
      absl::StatusOr<std::unique_ptr<ByteReader>> opened =
          files_->Read(digest, record.size);
      if (opened.ok()) {
        file = std::move(*opened);
      } else if (opened.status().code() == absl::StatusCode::kNotFound) {
        file = std::make_unique<FailedReader>(
            absl::DataLossError(opened.status().message()));
      } else {
        return opened.status();
      }
    } else {
      // Taken under the lock, so the snapshot holds every chunk of the blob.
      snapshot = RocksDbChunkReader::TakeSnapshot(db_);
    }
  }
  CacheCounters::Add(counters_->blob_hits);
  if (file == nullptr) {
    file = std::make_unique<RocksDbChunkReader>(db_, families_.chunks,
                                                std::move(snapshot), record);
  }
  uint64_t upload_id = record.upload_id;
  return std::make_unique<VerifyingReader>(
      std::move(file), digest,
      [this, digest, upload_id] { RemoveCorrupt(digest, upload_id); },
      &counters_->bytes_read);
}

absl::StatusOr<std::unique_ptr<BlobWriter>> RocksDbBlobStore::Put(
    const Digest& digest) {
  return std::make_unique<RocksDbBlobWriter>(this, digest, next_upload_id_++);
}

absl::Status RocksDbBlobStore::PutFile(const Digest& digest,
                                       const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      options_.file_threshold == 0 ||
      static_cast<uint64_t>(st.st_size) <= options_.file_threshold) {
    return BlobStore::PutFile(digest, path);
  }
  const uint64_t upload_id = next_upload_id_++;
  if (rename(path.c_str(), files_->TempPath(upload_id).c_str()) != 0) {
    return BlobStore::PutFile(digest, path);  // EXDEV and the like
  }
  // CommitFile removes the file again on failure.
  RETURN_IF_ERROR(CommitFile(digest, upload_id, st.st_size));
  CacheCounters::Add(counters_->bytes_written, st.st_size);
  return absl::OkStatus();
}

namespace {

absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) != 0) {
    return absl::InternalError(
        absl::StrCat("statvfs ", dir, ": ", strerror(errno)));
  }
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace

absl::Status RocksDbBlobStore::MakeRoom() {
  if (options_.min_free_bytes == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(uint64_t free, FreeBytes(options_.disk_dir));
  if (free >= options_.min_free_bytes) return absl::OkStatus();
  const uint64_t short_by = options_.min_free_bytes - free;
  {
    // Blobs in files give their bytes back at once; chunks only once
    // RocksDB compacts them away, which the next uploads will find. When
    // even every unpinned blob would not cover the shortfall, the disk is
    // someone else's to free: keep the blobs.
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(EnsureIndexedLocked());
    uint64_t total = index_.total_bytes();
    std::vector<std::pair<Digest, uint64_t>> victims =
        index_.Victims(total > short_by ? total - short_by : 0, pinned_);
    uint64_t freed = 0;
    for (const auto& victim : victims) freed += victim.second;
    if (freed >= short_by) {
      rocksdb::WriteBatch batch;
      RETURN_IF_ERROR(EvictLocked(victims, batch).status());
    }
  }
  ASSIGN_OR_RETURN(free, FreeBytes(options_.disk_dir));
  if (free >= options_.min_free_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("the cache's disk is full: ", free >> 20, " MiB free at ",
                   options_.disk_dir, ", and the cache keeps ",
                   options_.min_free_bytes >> 20,
                   " MiB free, which its own blobs cannot make up"));
}

absl::Status RocksDbBlobStore::BeginUpload(uint64_t upload_id) {
  RETURN_IF_ERROR(MakeRoom());
  return FromRocksDb(db_->Put(WriteOptions(), families_.uploads,
                              fmt::UploadKey(upload_id), ""),
                     "starting a blob upload");
}

absl::Status RocksDbBlobStore::WriteChunk(uint64_t upload_id, uint32_t index,
                                          absl::string_view data) {
  // Full chunks skip the write-ahead log, which would double the bytes a
  // layer costs the disk. CommitUpload flushes them to files before the
  // blob record is written, so a process that dies keeps every committed
  // blob whole; if the machine itself goes down, a lost chunk is found on
  // read (kDataLoss, blob removed) and costs only a cache miss.
  rocksdb::WriteOptions options = WriteOptions();
  options.disableWAL = true;
  return FromRocksDb(
      db_->Put(options, families_.chunks, fmt::ChunkKey(upload_id, index),
               rocksdb::Slice(data.data(), data.size())),
      absl::StrCat("writing chunk ", index, " of upload ", upload_id));
}

void RocksDbBlobStore::AbortUpload(uint64_t upload_id, uint32_t chunks_written,
                                   bool began) {
  if (!began && chunks_written == 0) return;
  rocksdb::WriteBatch batch;
  for (uint32_t i = 0; i < chunks_written; ++i) {
    batch.Delete(families_.chunks, fmt::ChunkKey(upload_id, i));
  }
  if (began) batch.Delete(families_.uploads, fmt::UploadKey(upload_id));
  rocksdb::Status status = db_->Write(WriteOptions(), &batch);
  if (!status.ok()) {
    // The upload record stays, so the next open removes the chunks.
    FARM_LOG(WARNING) << "discarding upload " << upload_id << ": "
                      << status.ToString();
  }
}

absl::Status RocksDbBlobStore::CommitUpload(const Digest& digest,
                                            uint64_t upload_id, uint64_t size,
                                            uint32_t chunks_written,
                                            absl::string_view tail,
                                            bool began) {
  if (options_.max_bytes != 0 && size > options_.max_bytes) {
    AbortUpload(upload_id, chunks_written, began);
    return TooLarge(digest, size, options_.max_bytes);
  }
  if (chunks_written > 0) {
    // The chunks went around the write-ahead log: make them durable before
    // the record that makes the blob visible.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    flush.allow_write_stall = true;
    absl::Status flushed =
        FromRocksDb(db_->Flush(flush, families_.chunks),
                    absl::StrCat("flushing the chunks of ", digest.ToString()));
    if (!flushed.ok()) {
      AbortUpload(upload_id, chunks_written, began);
      return flushed;
    }
  }
  fmt::BlobRecord record;
  record.upload_id = upload_id;
  record.size = size;
  record.chunk_size = options_.chunk_size;
  record.last_access_unix_seconds = absl::ToUnixSeconds(options_.clock->Now());

  absl::MutexLock lock(&mu_);
  if (KeepExistingLocked(digest)) {
    AbortUpload(upload_id, chunks_written, began);
    return absl::OkStatus();
  }
  if (absl::Status indexed = EnsureIndexedLocked(); !indexed.ok()) {
    AbortUpload(upload_id, chunks_written, began);
    return indexed;
  }
  rocksdb::WriteBatch batch;
  if (!tail.empty()) {
    batch.Put(families_.chunks, fmt::ChunkKey(upload_id, chunks_written),
              rocksdb::Slice(tail.data(), tail.size()));
  }
  if (began) batch.Delete(families_.uploads, fmt::UploadKey(upload_id));
  absl::Status added = AddRecordLocked(digest, record, batch);
  if (!added.ok()) AbortUpload(upload_id, chunks_written, began);
  return added;
}

absl::Status RocksDbBlobStore::CommitFile(const Digest& digest,
                                          uint64_t upload_id, uint64_t size) {
  if (options_.max_bytes != 0 && size > options_.max_bytes) {
    files_->RemoveTemp(upload_id);
    return TooLarge(digest, size, options_.max_bytes);
  }
  fmt::BlobRecord record;
  record.upload_id = upload_id;
  record.size = size;
  record.last_access_unix_seconds = absl::ToUnixSeconds(options_.clock->Now());
  record.in_file = true;

  absl::MutexLock lock(&mu_);
  if (KeepExistingLocked(digest)) {
    files_->RemoveTemp(upload_id);
    return absl::OkStatus();
  }
  if (absl::Status indexed = EnsureIndexedLocked(); !indexed.ok()) {
    files_->RemoveTemp(upload_id);
    return indexed;
  }
  // File first, record second: a crash in between leaves only a file
  // without a record, which the next open removes.
  absl::Status published = files_->Publish(upload_id, digest);
  if (!published.ok()) {
    files_->RemoveTemp(upload_id);
    return Annotate(published,
                    absl::StrCat("committing blob ", digest.ToString()));
  }
  rocksdb::WriteBatch batch;
  absl::Status added = AddRecordLocked(digest, record, batch);
  if (!added.ok()) RemoveFileLocked(digest, record);
  return added;
}

bool RocksDbBlobStore::KeepExistingLocked(const Digest& digest) {
  fmt::BlobRecord* existing = FindRecordLocked(digest);
  if (existing == nullptr) return false;
  // Someone stored the same bytes first; keep theirs.
  rocksdb::WriteBatch touched;
  TouchLocked(digest, *existing, touched);
  if (touched.Count() > 0) db_->Write(WriteOptions(), &touched);
  return true;
}

absl::Status RocksDbBlobStore::AddRecordLocked(const Digest& digest,
                                               const fmt::BlobRecord& record,
                                               rocksdb::WriteBatch& batch) {
  batch.Put(families_.blobs, fmt::DigestKey(digest),
            fmt::EncodeBlobRecord(record));
  std::vector<std::pair<Digest, uint64_t>> victims;
  if (options_.max_bytes != 0) {
    index_.Insert(digest, record.size);
    absl::flat_hash_set<Digest> keep = pinned_;
    keep.insert(digest);
    victims = index_.Victims(options_.max_bytes, keep);
    index_.Erase(digest);
  }
  absl::StatusOr<PruneResult> evicted = EvictLocked(victims, batch);
  if (!evicted.ok()) {
    return Annotate(evicted.status(),
                    absl::StrCat("committing blob ", digest.ToString()));
  }
  index_.Insert(digest, record.size);
  records_[digest] = record;
  return absl::OkStatus();
}

void RocksDbBlobStore::RemoveFileLocked(const Digest& digest,
                                        const fmt::BlobRecord& record) {
  if (!record.in_file) return;
  absl::Status removed = files_->Remove(digest);
  if (!removed.ok()) {
    // Without its record the file is an orphan, removed at the next open.
    FARM_LOG(WARNING) << "removing the file of " << digest.ToString() << ": "
                      << removed;
  }
}

void RocksDbBlobStore::AddRemoval(const Digest& digest,
                                  const fmt::BlobRecord& record,
                                  rocksdb::WriteBatch& batch) {
  batch.Delete(families_.blobs, fmt::DigestKey(digest));
  for (uint64_t i = 0; i < record.chunk_count(); ++i) {
    batch.Delete(families_.chunks,
                 fmt::ChunkKey(record.upload_id, static_cast<uint32_t>(i)));
  }
}

absl::StatusOr<PruneResult> RocksDbBlobStore::EvictLocked(
    const std::vector<std::pair<Digest, uint64_t>>& victims,
    rocksdb::WriteBatch& batch) {
  for (const auto& [digest, size] : victims) {
    AddRemoval(digest, records_.at(digest), batch);
  }
  if (batch.Count() > 0) {
    RETURN_IF_ERROR(
        FromRocksDb(db_->Write(WriteOptions(), &batch), "evicting blobs"));
  }
  PruneResult result;
  for (const auto& [digest, size] : victims) {
    RemoveFileLocked(digest, records_.at(digest));
    index_.Erase(digest);
    records_.erase(digest);
    ++result.blobs_removed;
    result.bytes_removed += size;
  }
  CacheCounters::Add(counters_->evictions, result.blobs_removed);
  CacheCounters::Add(counters_->evicted_bytes, result.bytes_removed);
  return result;
}

void RocksDbBlobStore::SetPinned(absl::flat_hash_set<Digest> pinned) {
  absl::MutexLock lock(&mu_);
  pinned_ = std::move(pinned);
}

absl::StatusOr<PruneResult> RocksDbBlobStore::EvictTo(
    uint64_t target_bytes, const absl::flat_hash_set<Digest>& keep) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(EnsureIndexedLocked());
  rocksdb::WriteBatch batch;
  return EvictLocked(index_.Victims(target_bytes, keep), batch);
}

absl::Status RocksDbBlobStore::Delete(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(EnsureIndexedLocked());
  auto it = records_.find(digest);
  if (it == records_.end()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  AddRemoval(digest, it->second, batch);
  RETURN_IF_ERROR(FromRocksDb(db_->Write(WriteOptions(), &batch),
                              absl::StrCat("deleting ", digest.ToString())));
  RemoveFileLocked(digest, it->second);
  records_.erase(it);
  index_.Erase(digest);
  return absl::OkStatus();
}

void RocksDbBlobStore::RemoveCorrupt(const Digest& digest, uint64_t upload_id) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnsureIndexedLocked(); !s.ok()) {
    FARM_LOG(ERROR) << "removing corrupt blob " << digest.ToString() << ": "
                    << s;
    return;
  }
  auto it = records_.find(digest);
  // A fresh upload may have replaced the copy that was read.
  if (it == records_.end() || it->second.upload_id != upload_id) return;
  rocksdb::WriteBatch batch;
  AddRemoval(digest, it->second, batch);
  rocksdb::Status status = db_->Write(WriteOptions(), &batch);
  if (!status.ok()) {
    FARM_LOG(ERROR) << "removing corrupt blob " << digest.ToString() << ": "
                    << status.ToString();
    return;
  }
  FARM_LOG(WARNING) << "removed corrupt blob " << digest.ToString();
  RemoveFileLocked(digest, it->second);
  records_.erase(it);
  index_.Erase(digest);
  CacheCounters::Add(counters_->corrupt_blobs);
}

absl::StatusOr<BlobInfo> RocksDbBlobStore::Stat(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  const fmt::BlobRecord* record = FindRecordLocked(digest);
  if (record == nullptr) return NotStored(digest);
  return BlobInfo{digest, record->size};
}

bool RocksDbBlobStore::Contains(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  return FindRecordLocked(digest) != nullptr;
}

void RocksDbBlobStore::FillStats(CacheStats& stats) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = EnsureIndexedLocked(); !s.ok()) {
    FARM_LOG(WARNING) << "counting blobs: " << s;
  }
  stats.blob_count = index_.count();
  stats.blob_bytes = index_.total_bytes();
  stats.max_bytes = options_.max_bytes;
}

absl::Status RocksDbBlobStore::CorruptForTesting(const Digest& digest,
                                                 uint64_t offset) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(EnsureIndexedLocked());
  auto it = records_.find(digest);
  if (it == records_.end()) return NotStored(digest);
  const fmt::BlobRecord& record = it->second;
  if (offset >= record.size) {
    return absl::OutOfRangeError(absl::StrCat(
        "offset ", offset, " is past the end of ", digest.ToString()));
  }
  if (record.in_file) {
    std::string path = files_->PathOf(digest);
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    bytes[offset] = static_cast<char>(~bytes[offset]);
    return WriteFile(path, bytes, 0600);
  }
  uint32_t index = static_cast<uint32_t>(offset / record.chunk_size);
  std::string key = fmt::ChunkKey(record.upload_id, index);
  std::string chunk;
  RETURN_IF_ERROR(FromRocksDb(
      db_->Get(rocksdb::ReadOptions(), families_.chunks, key, &chunk),
      "reading a chunk to corrupt"));
  char& byte = chunk[offset % record.chunk_size];
  byte = static_cast<char>(~byte);
  return FromRocksDb(db_->Put(WriteOptions(), families_.chunks, key, chunk),
                     "writing a corrupted chunk");
}

}  // namespace farm::cache
