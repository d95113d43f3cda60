// A RocksDbCache in a temp dir, as the conformance suite sees it. Shared by
// the RocksDB tests and the remote tests, which serve it over gRPC.
#ifndef FARM_CACHE_TESTING_ROCKSDB_CACHE_UNDER_TEST_H_
#define FARM_CACHE_TESTING_ROCKSDB_CACHE_UNDER_TEST_H_

#include <memory>
#include <string>

#include "cache/rocksdb_cache.h"
#include "cache/testing/cache_conformance.h"

namespace farm::cache::testing {

class RocksDbCacheUnderTest : public CacheUnderTest {
 public:
  // Opens a cache with `options`' budget, chunk size and clock. Blobs larger
  // than `file_threshold` bytes are stored as files (0: none).
  // `index_at_open` false loads the blob index only when first needed.
  static absl::StatusOr<std::unique_ptr<RocksDbCacheUnderTest>> Make(
      const CacheTestOptions& options, ChunkStorage storage,
      uint64_t file_threshold = RocksDbCache::kDefaultFileThreshold,
      bool index_at_open = true);
  ~RocksDbCacheUnderTest() override;

  RocksDbCache* cache() { return cache_.get(); }
  BlobStore* blobs() override { return cache_->blobs(); }
  ActionCache* actions() override { return cache_->actions(); }
  CacheAdmin* admin() override { return cache_.get(); }
  absl::Status Corrupt(const Digest& digest, uint64_t offset) override {
    return cache_->blobs()->CorruptForTesting(digest, offset);
  }
  absl::Status Reopen() override;

 private:
  RocksDbCacheUnderTest(RocksDbCache::Options options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}

  RocksDbCache::Options options_;
  std::string dir_;
  std::unique_ptr<RocksDbCache> cache_;
};

}  // namespace farm::cache::testing

#endif  // FARM_CACHE_TESTING_ROCKSDB_CACHE_UNDER_TEST_H_
