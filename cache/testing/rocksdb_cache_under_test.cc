#include "cache/testing/rocksdb_cache_under_test.h"

#include "common/fs.h"
#include "common/status_macros.h"

namespace farm::cache::testing {

absl::StatusOr<std::unique_ptr<RocksDbCacheUnderTest>>
RocksDbCacheUnderTest::Make(const CacheTestOptions& test_options,
                            ChunkStorage storage, uint64_t file_threshold,
                            bool index_at_open) {
  ASSIGN_OR_RETURN(std::string dir, MakeTempDir("rocksdb_cache"));
  RocksDbCache::Options options;
  options.root = dir + "/db";
  options.max_bytes = test_options.max_bytes;
  options.chunk_size = test_options.chunk_size;
  options.storage = storage;
  options.min_blob_size = 1024;  // test blobs are small
  options.clock = test_options.clock;
  options.file_threshold = file_threshold;
  options.index_blobs_at_open = index_at_open;
  std::unique_ptr<RocksDbCacheUnderTest> cache(
      new RocksDbCacheUnderTest(options, dir));
  RETURN_IF_ERROR(cache->Reopen());
  return cache;
}

RocksDbCacheUnderTest::~RocksDbCacheUnderTest() {
  cache_.reset();
  RemoveAll(dir_).IgnoreError();
}

absl::Status RocksDbCacheUnderTest::Reopen() {
  cache_.reset();
  ASSIGN_OR_RETURN(cache_, RocksDbCache::Open(options_));
  return absl::OkStatus();
}

}  // namespace farm::cache::testing
