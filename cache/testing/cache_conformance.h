// The conformance suite every BlobStore / ActionCache / CacheAdmin
// implementation must pass. An implementation's test instantiates it:
//   INSTANTIATE_TEST_SUITE_P(Memory, CacheConformanceTest,
//                            testing::Values(CacheImpl{"Memory", factory}),
//                            CacheImplName);
#ifndef FARM_CACHE_TESTING_CACHE_CONFORMANCE_H_
#define FARM_CACHE_TESTING_CACHE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "cache/testing/test_bytes.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace farm::cache::testing {

// One cache as a test sees it.
class CacheUnderTest {
 public:
  virtual ~CacheUnderTest() = default;
  virtual BlobStore* blobs() = 0;
  virtual ActionCache* actions() = 0;
  virtual CacheAdmin* admin() = 0;
  // Flips a byte of a stored blob behind the store's back.
  virtual absl::Status Corrupt(const Digest& digest, uint64_t offset) = 0;
  // Closes the cache and opens it again over the same storage. Only called
  // when CacheImpl::persistent is true.
  virtual absl::Status Reopen() = 0;
};

struct CacheTestOptions {
  uint64_t max_bytes = 0;
  // Small, so that multi-chunk blobs stay cheap in tests.
  uint32_t chunk_size = 4096;
  Clock* clock = nullptr;  // never null when passed to a factory
};

struct CacheImpl {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<CacheUnderTest>>(
      const CacheTestOptions&)>
      make;
  bool persistent = false;
  // False for a tier in front of an object store: its budget, Prune and a
  // corrupt local copy cost only the local copy, so the tests that expect
  // those to make a blob missing do not apply (cache/tiered tests them).
  bool forgets = true;
  // Digests in FindMissingHandlesLargeBatches, a third of them stored. An
  // object store answers one HEAD per digest, so its tier asks fewer; its
  // own tests cover thousands.
  int large_batch = 3000;
};

inline std::string CacheImplName(
    const ::testing::TestParamInfo<CacheImpl>& info) {
  return info.param.name;
}

// A result whose layer is `layer`, of `size` bytes.
proto::ActionResult ResultWithLayer(const Digest& layer, int64_t size);

class CacheConformanceTest : public ::testing::TestWithParam<CacheImpl> {
 protected:
  // Makes the cache under test; fails the test if it cannot.
  void Make(uint64_t max_bytes = 0);
  BlobStore& blobs() { return *cache_->blobs(); }
  ActionCache& actions() { return *cache_->actions(); }
  CacheAdmin& admin() { return *cache_->admin(); }

  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<CacheUnderTest> cache_;
};

}  // namespace farm::cache::testing

#endif  // FARM_CACHE_TESTING_CACHE_CONFORMANCE_H_
