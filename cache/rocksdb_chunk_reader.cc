#include "cache/rocksdb_chunk_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/rocksdb_status.h"

namespace farm::cache {

std::shared_ptr<const rocksdb::Snapshot> RocksDbChunkReader::TakeSnapshot(
    rocksdb::DB* db) {
  return std::shared_ptr<const rocksdb::Snapshot>(
      db->GetSnapshot(),
      [db](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); });
}

RocksDbChunkReader::RocksDbChunkReader(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
    std::shared_ptr<const rocksdb::Snapshot> snapshot,
    const rocksdb_format::BlobRecord& record)
    : db_(db),
      chunks_(chunks),
      snapshot_(std::move(snapshot)),
      record_(record) {}

RocksDbChunkReader::~RocksDbChunkReader() {
  if (prefetch_.valid()) prefetch_.wait();
}

std::unique_ptr<RocksDbChunkReader::Chunk> RocksDbChunkReader::Load(
    uint32_t index) const {
  auto chunk = std::make_unique<Chunk>();
  rocksdb::ReadOptions options;
  options.snapshot = snapshot_.get();
  // The sha256 of the whole blob (VerifyingReader) already catches every
  // flipped bit, and RocksDB's own blob CRC would double the cost of a read.
  options.verify_checksums = false;
  // Only small blobs are worth keeping in the block cache.
  options.fill_cache = record_.size <= record_.chunk_size;
  rocksdb::Status status = db_->Get(
      options, chunks_, rocksdb_format::ChunkKey(record_.upload_id, index),
      &chunk->data);
  std::string context =
      absl::StrCat("chunk ", index, " of upload ", record_.upload_id);
  uint64_t expected = record_.ChunkLength(index);
  if (status.IsNotFound()) {
    chunk->status = absl::DataLossError(absl::StrCat(context, " is missing"));
  } else if (!status.ok()) {
    chunk->status = FromRocksDb(status, context);
  } else if (chunk->data.size() != expected) {
    chunk->status = absl::DataLossError(absl::StrCat(
        context, " has ", chunk->data.size(), " bytes, expected ", expected));
  }
  return chunk;
}

absl::Status RocksDbChunkReader::NextChunk() {
  uint32_t index = next_chunk_++;
  chunk_ = prefetch_.valid() ? prefetch_.get() : Load(index);
  chunk_offset_ = 0;
  if (next_chunk_ < record_.chunk_count() && record_.chunk_count() > 2) {
    prefetch_ = std::async(std::launch::async, &RocksDbChunkReader::Load, this,
                           next_chunk_);
  }
  return chunk_->status;
}

absl::StatusOr<size_t> RocksDbChunkReader::Read(char* buf, size_t size) {
  if (delivered_ == record_.size || size == 0) return 0;
  if (chunk_ == nullptr || chunk_offset_ == chunk_->data.size()) {
    absl::Status status = NextChunk();
    if (!status.ok()) return status;
  }
  size_t n = std::min(size, chunk_->data.size() - chunk_offset_);
  memcpy(buf, chunk_->data.data() + chunk_offset_, n);
  chunk_offset_ += n;
  delivered_ += n;
  return n;
}

}  // namespace farm::cache
