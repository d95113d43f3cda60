// RocksDbBlobWriter: one upload into a RocksDbBlobStore. It decides where the
// bytes go, because the size of a blob is only known at its end: small blobs
// become RocksDB chunks, blobs past the store's file threshold a plain file.
#ifndef FARM_CACHE_ROCKSDB_BLOB_WRITER_H_
#define FARM_CACHE_ROCKSDB_BLOB_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "cache/rocksdb_blob_store.h"
#include "cache/verifying_stream.h"
#include "common/io.h"

namespace farm::cache {

// Without a file threshold, full chunks go to RocksDB as they fill and the
// last partial one goes in the commit's write batch, so a blob of one chunk
// or less is written in a single atomic batch with its record. With one,
// the bytes wait in memory until they pass the threshold; then they and all
// that follow go to a temp file, which Commit renames into place. A blob
// that ends at or below the threshold is chunked at Commit as above.
// Destroying the writer before Commit removes whatever it wrote.
class RocksDbBlobWriter : public HashingBlobWriter {
 public:
  RocksDbBlobWriter(RocksDbBlobStore* store, const Digest& digest,
                    uint64_t upload_id);
  ~RocksDbBlobWriter() override;

 private:
  absl::Status Append(absl::string_view data) override;
  absl::Status Finish(uint64_t size) override;
  absl::Status AppendChunks(absl::string_view data);
  absl::Status FlushChunk(absl::string_view chunk);
  absl::Status SwitchToFile(absl::string_view data);

  RocksDbBlobStore* store_;
  const uint64_t upload_id_;
  std::string pending_;  // below the file threshold, not yet chunked
  std::string buffer_;   // the partial chunk
  std::unique_ptr<ByteWriter> file_;  // past the file threshold
  uint64_t bytes_ = 0;
  uint32_t chunks_written_ = 0;
  bool began_ = false;
  bool finished_ = false;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_ROCKSDB_BLOB_WRITER_H_
