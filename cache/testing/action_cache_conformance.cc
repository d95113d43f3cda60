// The action-cache part of the conformance suite (cache_conformance.h).
#include "absl/strings/str_cat.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/testing/cache_conformance.h"
#include "cache/testing/test_bytes.h"
#include "gmock/gmock.h"

namespace farm::cache::testing {

using ::testing::HasSubstr;

TEST_P(CacheConformanceTest, ActionCacheMissUpdateGetOverwrite) {
  Make();
  Digest key = Digest::Of("instruction key");
  absl::StatusOr<proto::ActionResult> miss = actions().Get(key);
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(miss.status().message()), HasSubstr(key.ToString()));

  std::string layer = TestBytes(1000, 9);
  ASSERT_TRUE(PutBlob(blobs(), layer).ok());
  proto::ActionResult result = ResultWithLayer(Digest::Of(layer), 1000);
  ASSERT_TRUE(actions().Update(key, result).ok());
  absl::StatusOr<proto::ActionResult> hit = actions().Get(key);
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_EQ(hit->SerializeAsString(), result.SerializeAsString());

  proto::ActionResult metadata_only;
  metadata_only.set_empty_layer(true);
  metadata_only.set_config(R"({"config":{"Env":["A=1"]}})");
  metadata_only.set_created_by("ENV A=1");
  ASSERT_TRUE(actions().Update(key, metadata_only).ok());
  hit = actions().Get(key);
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_layer());
  EXPECT_TRUE(hit->empty_layer());
  EXPECT_EQ(hit->config(), metadata_only.config());

  absl::StatusOr<CacheStats> stats = admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->action_entries, 1u);
  EXPECT_EQ(stats->action_hits, 2u);
  EXPECT_EQ(stats->action_misses, 1u);
}

TEST_P(CacheConformanceTest, GetManyAnswersEachKeyInOrder) {
  Make();
  std::string layer = TestBytes(1000, 11);
  ASSERT_TRUE(PutBlob(blobs(), layer).ok());
  proto::ActionResult with_layer = ResultWithLayer(Digest::Of(layer), 1000);
  proto::ActionResult empty;
  empty.set_empty_layer(true);
  empty.set_config("{}");
  const Digest a = Digest::Of("a"), b = Digest::Of("b"), c = Digest::Of("c");
  ASSERT_TRUE(actions().Update(a, with_layer).ok());
  ASSERT_TRUE(actions().Update(c, empty).ok());

  std::vector<Digest> keys = {c, b, a, c};
  std::vector<absl::StatusOr<proto::ActionResult>> got =
      actions().GetMany(keys);
  ASSERT_EQ(got.size(), keys.size());
  ASSERT_TRUE(got[0].ok()) << got[0].status();
  EXPECT_TRUE(got[0]->empty_layer());
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(got[2].ok()) << got[2].status();
  EXPECT_EQ(got[2]->SerializeAsString(), with_layer.SerializeAsString());
  ASSERT_TRUE(got[3].ok());
  EXPECT_TRUE(actions().GetMany({}).empty());

  // Checked in one batch, a hit whose layer is gone is a miss that names
  // the layer; the others stay hits.
  BlobCheckingActionCache checked(&actions(), &blobs());
  ASSERT_TRUE(blobs().Delete(Digest::Of(layer)).ok());
  got = checked.GetMany(keys);
  ASSERT_EQ(got.size(), keys.size());
  EXPECT_TRUE(got[0].ok());
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got[2].status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got[2].status().message()),
              HasSubstr(Digest::Of(layer).ToString()));
  EXPECT_TRUE(got[3].ok());
}

TEST_P(CacheConformanceTest, MalformedActionResultIsInvalidArgument) {
  Make();
  proto::ActionResult bad;
  bad.mutable_layer()->set_digest("md5:abc");
  absl::Status status = actions().Update(Digest::Of("k"), bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("md5:abc"));
}

}  // namespace farm::cache::testing
