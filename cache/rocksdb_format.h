// The RocksDB cache's on-disk layout: column family names, key encodings and
// the blob record. docs/cache.md describes the same layout in prose; change
// both together.
#ifndef FARM_CACHE_ROCKSDB_FORMAT_H_
#define FARM_CACHE_ROCKSDB_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/digest.h"

namespace farm::cache::rocksdb_format {

// Blob digest (32 raw bytes) -> BlobRecord.
inline constexpr char kBlobsFamily[] = "blobs";
// ChunkKey(upload id, index) -> up to chunk_size bytes of blob data.
inline constexpr char kChunksFamily[] = "chunks";
// UploadKey(upload id) -> "" while a large upload is in progress, so chunks
// of an upload cut short by a crash are found and removed at the next open.
inline constexpr char kUploadsFamily[] = "uploads";
// Cache key digest (32 raw bytes) -> serialized proto::ActionResult.
inline constexpr char kActionsFamily[] = "actions";

// Where a committed blob's bytes live and when it was last used.
struct BlobRecord {
  // Its chunks are ChunkKey(upload_id, 0..n-1); for a blob in a file, the
  // upload that wrote the file.
  uint64_t upload_id = 0;
  uint64_t size = 0;
  uint32_t chunk_size = 0;               // 0 for a blob in a file
  int64_t last_access_unix_seconds = 0;  // coarse: see atime_granularity
  // The bytes are a plain file (BlobFileDir), not chunks.
  bool in_file = false;

  uint64_t chunk_count() const {
    return chunk_size == 0 ? 0 : (size + chunk_size - 1) / chunk_size;
  }
  // Bytes in chunk `index`: chunk_size except for a shorter last one.
  uint64_t ChunkLength(uint64_t index) const;
};

std::string DigestKey(const Digest& digest);
absl::StatusOr<Digest> ParseDigestKey(absl::string_view key);

// Big-endian, so the chunks of one upload sort together and in order.
std::string ChunkKey(uint64_t upload_id, uint32_t index);
std::string UploadKey(uint64_t upload_id);
absl::StatusOr<uint64_t> ParseUploadKey(absl::string_view key);

// Version byte then little-endian fixed-width fields: version 1 for chunked
// blobs (the format before blob files existed, so older binaries still read
// them), version 2 adds a flags byte (bit 0: in_file). kDataLoss on a record
// that is neither.
std::string EncodeBlobRecord(const BlobRecord& record);
absl::StatusOr<BlobRecord> DecodeBlobRecord(absl::string_view data);

}  // namespace farm::cache::rocksdb_format

#endif  // FARM_CACHE_ROCKSDB_FORMAT_H_
