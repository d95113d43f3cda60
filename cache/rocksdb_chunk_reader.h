// RocksDbChunkReader: streams one committed blob from the "chunks" column
// family, chunk by chunk, from a snapshot taken when the read began, so an
// eviction or delete during the read does not cut it short.
#ifndef FARM_CACHE_ROCKSDB_CHUNK_READER_H_
#define FARM_CACHE_ROCKSDB_CHUNK_READER_H_

#include <future>
#include <memory>

#include "cache/rocksdb_format.h"
#include "common/io.h"
#include "rocksdb/db.h"

namespace farm::cache {

// Returns raw bytes; digest checks are VerifyingReader's job. A missing or
// short chunk is kDataLoss. For blobs of several chunks the next chunk is
// fetched on another thread while the caller hashes the current one, which
// is what lifts large reads past 1 GB/s. The DB must outlive the reader.
class RocksDbChunkReader : public ByteReader {
 public:
  // Releases the snapshot when the last reader using it is gone.
  static std::shared_ptr<const rocksdb::Snapshot> TakeSnapshot(rocksdb::DB* db);

  RocksDbChunkReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
                     std::shared_ptr<const rocksdb::Snapshot> snapshot,
                     const rocksdb_format::BlobRecord& record);

  ~RocksDbChunkReader() override;
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;

 private:
  struct Chunk {
    absl::Status status;
    rocksdb::PinnableSlice data;
  };
  std::unique_ptr<Chunk> Load(uint32_t index) const;
  absl::Status NextChunk();

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* chunks_;
  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
  rocksdb_format::BlobRecord record_;
  std::unique_ptr<Chunk> chunk_;
  std::future<std::unique_ptr<Chunk>> prefetch_;
  size_t chunk_offset_ = 0;
  uint32_t next_chunk_ = 0;
  uint64_t delivered_ = 0;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_CHUNK_READER_H_
