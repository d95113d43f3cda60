// S3BlobStore: the layer blobs in an S3-compatible bucket, one object per
// blob at PREFIX/cas/sha256/HEX. It is the source of truth behind the
// farm-cache nodes (cache/tiered), which keep RocksDB copies in front of it.
#ifndef FARM_CACHE_S3_S3_BLOB_STORE_H_
#define FARM_CACHE_S3_S3_BLOB_STORE_H_

#include <memory>
#include <string>

#include "cache/blob_store.h"
#include "cache/s3/s3_bucket.h"

namespace farm::cache::s3 {

struct S3BlobStoreOptions {
  // Uploads larger than `memory_spool_bytes` wait here until Commit, since
  // S3 needs an object's length before its first byte.
  std::string spool_dir = "/tmp";
  size_t memory_spool_bytes = 1 << 20;
  // GetSmall's cap per blob.
  size_t max_small_bytes = 4 << 20;
};

// Thread-safe. Errors are S3Bucket's. Every upload is signed with the
// blob's own digest as x-amz-content-sha256, so the store itself refuses
// bytes that do not match (kInvalidArgument). There is no budget: a
// bucket's size and lifetime are the operator's (a lifecycle rule).
class S3BlobStore : public BlobStore {
 public:
  S3BlobStore(S3Bucket* bucket, S3BlobStoreOptions options)
      : bucket_(bucket), options_(std::move(options)) {}

  // Parallel HEADs (S3Options::max_parallel at a time).
  absl::StatusOr<std::vector<Digest>> FindMissing(
      absl::Span<const Digest> digests) override;
  absl::StatusOr<std::unique_ptr<ByteReader>> Get(
      const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<BlobWriter>> Put(
      const Digest& digest) override;
  absl::Status Delete(const Digest& digest) override;
  absl::StatusOr<BlobInfo> Stat(const Digest& digest) override;
  // Uploads the file itself, signed with `digest`: no spool copy.
  absl::Status PutFile(const Digest& digest, const std::string& path) override;
  // Parallel GETs.
  std::vector<absl::StatusOr<std::string>> GetSmall(
      absl::Span<const Digest> digests) override;

  // The object key of a blob, without the bucket's prefix.
  static std::string KeyOf(const Digest& digest);

 private:
  S3Bucket* bucket_;
  S3BlobStoreOptions options_;
};

}  // namespace farm::cache::s3

#endif  // FARM_CACHE_S3_S3_BLOB_STORE_H_
