#include "cache/memory_cache.h"

#include "cache/testing/cache_conformance.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using testing::CacheConformanceTest;
using testing::CacheImpl;
using testing::CacheTestOptions;
using testing::CacheUnderTest;

class MemoryCacheUnderTest : public CacheUnderTest {
 public:
  explicit MemoryCacheUnderTest(uint64_t max_bytes) : cache_(max_bytes) {}
  BlobStore* blobs() override { return cache_.blobs(); }
  ActionCache* actions() override { return cache_.actions(); }
  CacheAdmin* admin() override { return &cache_; }
  absl::Status Corrupt(const Digest& digest, uint64_t offset) override {
    return cache_.blobs()->CorruptForTesting(digest, offset);
  }
  absl::Status Reopen() override {
    return absl::UnimplementedError("memory caches keep nothing");
  }

 private:
  MemoryCache cache_;
};

CacheImpl MemoryImpl() {
  return {"Memory",
          [](const CacheTestOptions& options)
              -> absl::StatusOr<std::unique_ptr<CacheUnderTest>> {
            return std::make_unique<MemoryCacheUnderTest>(options.max_bytes);
          },
          /*persistent=*/false};
}

INSTANTIATE_TEST_SUITE_P(Memory, CacheConformanceTest,
                         ::testing::Values(MemoryImpl()),
                         testing::CacheImplName);

TEST(MemoryBlobStoreTest, CorruptionHookChecksItsArguments) {
  MemoryBlobStore store;
  EXPECT_EQ(store.CorruptForTesting(Digest::Of("x")).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(PutBlob(store, "abc").ok());
  EXPECT_EQ(store.CorruptForTesting(Digest::Of("abc"), 3).code(),
            absl::StatusCode::kOutOfRange);
}

TEST(MemoryBlobStoreTest, GoodReuploadIsNotRemovedByAStaleCorruptReader) {
  MemoryBlobStore store;
  ASSERT_TRUE(PutBlob(store, "layer").ok());
  Digest digest = Digest::Of("layer");
  ASSERT_TRUE(store.CorruptForTesting(digest).ok());
  absl::StatusOr<std::unique_ptr<ByteReader>> stale = store.Get(digest);
  ASSERT_TRUE(stale.ok());
  // Repair while the corrupt copy is still being read.
  ASSERT_TRUE(store.Delete(digest).ok());
  ASSERT_TRUE(PutBlob(store, "layer").ok());
  EXPECT_EQ(ReadAll(**stale).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*GetBlob(store, digest), "layer");
}

}  // namespace
}  // namespace farm::cache
