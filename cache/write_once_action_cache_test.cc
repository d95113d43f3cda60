#include "cache/write_once_action_cache.h"

#include <thread>
#include <vector>

#include "cache/blob_checking_action_cache.h"
#include "cache/memory_cache.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

proto::ActionResult WithLayer(const Digest& layer, int64_t created = 1) {
  proto::ActionResult result;
  result.mutable_layer()->set_digest(layer.ToString());
  result.mutable_layer()->set_diff_id(Digest::Of(layer.hex()).ToString());
  result.mutable_layer()->set_size(5);
  result.mutable_created()->set_seconds(created);
  return result;
}

class WriteOnceActionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PutBlob(*cache_.blobs(), "first").ok());
    ASSERT_TRUE(PutBlob(*cache_.blobs(), "second").ok());
  }
  MemoryCache cache_;
  BlobCheckingActionCache checked_{cache_.actions(), cache_.blobs()};
  WriteOnceActionCache once_{&checked_, cache_.counters()};
  Digest key_ = Digest::Of("step");
  Digest first_ = Digest::Of("first");
  Digest second_ = Digest::Of("second");
};

TEST_F(WriteOnceActionCacheTest, SecondWriterWithAnotherLayerIsDropped) {
  ASSERT_TRUE(once_.Update(key_, WithLayer(first_)).ok());
  // The poisoned write reports OK (the writer's build goes on) but changes
  // nothing, and is counted.
  ASSERT_TRUE(once_.Update(key_, WithLayer(second_)).ok());
  absl::StatusOr<proto::ActionResult> hit = once_.Get(key_);
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->layer().digest(), first_.ToString());
  EXPECT_EQ(cache_.Stats()->action_conflicts, 1u);
}

TEST_F(WriteOnceActionCacheTest, SameLayerAgainIsNoConflict) {
  ASSERT_TRUE(once_.Update(key_, WithLayer(first_, 1)).ok());
  ASSERT_TRUE(once_.Update(key_, WithLayer(first_, 2)).ok());
  EXPECT_EQ(cache_.Stats()->action_conflicts, 0u);
  // The first write's metadata stays too.
  EXPECT_EQ(once_.Get(key_)->created().seconds(), 1);
}

TEST_F(WriteOnceActionCacheTest, EntryWhoseLayerIsGoneIsRepaired) {
  ASSERT_TRUE(once_.Update(key_, WithLayer(first_)).ok());
  ASSERT_TRUE(cache_.blobs()->Delete(first_).ok());
  ASSERT_TRUE(once_.Update(key_, WithLayer(second_)).ok());
  EXPECT_EQ(once_.Get(key_)->layer().digest(), second_.ToString());
  EXPECT_EQ(cache_.Stats()->action_conflicts, 0u);
}

TEST_F(WriteOnceActionCacheTest, ConcurrentFirstWritersKeepExactlyOne) {
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([this, i] {
      ASSERT_TRUE(
          once_.Update(key_, WithLayer(i % 2 == 0 ? first_ : second_)).ok());
    });
  }
  for (std::thread& t : writers) t.join();
  absl::StatusOr<proto::ActionResult> hit = once_.Get(key_);
  ASSERT_TRUE(hit.ok());
  // Whichever came first, every writer with the other layer was dropped.
  EXPECT_EQ(cache_.Stats()->action_conflicts, 4u);
}

TEST(CacheAdminDeleteTest, PinnedBlobsAreRefusedAndNothingIsDeleted) {
  MemoryCache cache;
  ASSERT_TRUE(PutBlob(*cache.blobs(), "pinned").ok());
  ASSERT_TRUE(PutBlob(*cache.blobs(), "loose").ok());
  const Digest pinned = Digest::Of("pinned"), loose = Digest::Of("loose");
  ASSERT_TRUE(cache.SetPins("scheduler", {pinned}).ok());
  absl::Status refused = cache.Delete({loose, pinned});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find(pinned.ToString()), std::string::npos);
  EXPECT_TRUE(cache.blobs()->Stat(loose).ok());
  EXPECT_TRUE(cache.blobs()->Stat(pinned).ok());
  ASSERT_TRUE(cache.Delete({loose}).ok());
  EXPECT_EQ(cache.blobs()->Stat(loose).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace farm::cache
