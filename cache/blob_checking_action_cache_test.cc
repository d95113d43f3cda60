#include "cache/blob_checking_action_cache.h"

#include "cache/memory_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;

proto::ActionResult WithLayer(const Digest& layer) {
  proto::ActionResult result;
  result.mutable_layer()->set_digest(layer.ToString());
  result.mutable_layer()->set_diff_id(Digest::Of("tar").ToString());
  result.mutable_layer()->set_size(5);
  return result;
}

class BlobCheckingActionCacheTest : public ::testing::Test {
 protected:
  MemoryCache cache_;
  BlobCheckingActionCache checked_{cache_.actions(), cache_.blobs()};
  Digest key_ = Digest::Of("step");
  Digest layer_ = Digest::Of("layer");
};

TEST_F(BlobCheckingActionCacheTest, HitWithStoredLayerPassesThrough) {
  ASSERT_TRUE(PutBlob(*cache_.blobs(), "layer").ok());
  ASSERT_TRUE(checked_.Update(key_, WithLayer(layer_)).ok());
  absl::StatusOr<proto::ActionResult> hit = checked_.Get(key_);
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->layer().digest(), layer_.ToString());
}

TEST_F(BlobCheckingActionCacheTest, HitWhoseLayerWasEvictedIsAMiss) {
  ASSERT_TRUE(PutBlob(*cache_.blobs(), "layer").ok());
  ASSERT_TRUE(checked_.Update(key_, WithLayer(layer_)).ok());
  ASSERT_TRUE(cache_.blobs()->Delete(layer_).ok());
  absl::StatusOr<proto::ActionResult> hit = checked_.Get(key_);
  EXPECT_EQ(hit.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(hit.status().message()), HasSubstr("miss"));
  EXPECT_THAT(std::string(hit.status().message()),
              HasSubstr(layer_.ToString()));
  // The raw entry is still there; the decorator only hides it.
  EXPECT_TRUE(cache_.actions()->Get(key_).ok());
}

TEST_F(BlobCheckingActionCacheTest, ExistenceCheckDoesNotReadTheBlob) {
  ASSERT_TRUE(PutBlob(*cache_.blobs(), "layer").ok());
  ASSERT_TRUE(checked_.Update(key_, WithLayer(layer_)).ok());
  ASSERT_TRUE(cache_.blobs()->CorruptForTesting(layer_).ok());
  // Without verify_content a corrupt blob is only caught when it is read.
  EXPECT_TRUE(checked_.Get(key_).ok());
  BlobCheckingActionCache verifying(cache_.actions(), cache_.blobs(), {true});
  EXPECT_EQ(verifying.Get(key_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cache_.Stats()->corrupt_blobs, 1u);
}

TEST_F(BlobCheckingActionCacheTest, MetadataOnlyResultNeedsNoBlob) {
  proto::ActionResult env;
  env.set_empty_layer(true);
  env.set_config("{}");
  ASSERT_TRUE(checked_.Update(key_, env).ok());
  EXPECT_TRUE(checked_.Get(key_).ok());
}

TEST_F(BlobCheckingActionCacheTest, UpdateBeforeUploadIsFailedPrecondition) {
  absl::Status status = checked_.Update(key_, WithLayer(layer_));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr(layer_.ToString()));
  EXPECT_EQ(cache_.actions()->size(), 0u);
}

TEST_F(BlobCheckingActionCacheTest, MissIsPassedOn) {
  absl::StatusOr<proto::ActionResult> miss = checked_.Get(key_);
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(miss.status().message()), HasSubstr(key_.ToString()));
}

}  // namespace
}  // namespace farm::cache
