// The cache conformance suite over a sharded cache of three memory nodes.
// In production every node reads through to one object store; these
// memory nodes share nothing, which is fine while every node is up.
#include "cache/sharded/testing/test_cluster.h"
#include "cache/testing/cache_conformance.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using testing::CacheConformanceTest;
using testing::CacheImpl;
using testing::CacheTestOptions;
using testing::CacheUnderTest;
using testing::TestCluster;

class ShardedCacheUnderTest : public CacheUnderTest {
 public:
  // Each node gets the whole `max_bytes` budget, as each farm-cache has
  // its own disk.
  explicit ShardedCacheUnderTest(const CacheTestOptions& options)
      : cluster_(options.max_bytes, options.clock) {}
  BlobStore* blobs() override { return &cluster_.blobs(); }
  ActionCache* actions() override { return &cluster_.actions(); }
  CacheAdmin* admin() override { return &cluster_.admin(); }
  absl::Status Corrupt(const Digest& digest, uint64_t offset) override {
    return cluster_.cache(cluster_.Owner(digest))
        .blobs()
        ->CorruptForTesting(digest, offset);
  }
  absl::Status Reopen() override {
    return absl::UnimplementedError("memory caches keep nothing");
  }

 private:
  TestCluster cluster_;
};

CacheImpl ShardedImpl() {
  return {"ShardedOverThreeMemoryNodes",
          [](const CacheTestOptions& options)
              -> absl::StatusOr<std::unique_ptr<CacheUnderTest>> {
            return std::make_unique<ShardedCacheUnderTest>(options);
          },
          /*persistent=*/false};
}

INSTANTIATE_TEST_SUITE_P(Sharded, CacheConformanceTest,
                         ::testing::Values(ShardedImpl()),
                         testing::CacheImplName);

}  // namespace
}  // namespace farm::cache
