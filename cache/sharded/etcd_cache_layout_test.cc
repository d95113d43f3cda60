#include "cache/sharded/etcd_cache_layout.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

using ::testing::ElementsAre;

TEST(EtcdCacheLayoutTest, KeysLiveUnderThePrefix) {
  EXPECT_EQ(CacheNodesKeyPrefix("/farm"), "/farm/cache-nodes/");
  EXPECT_EQ(CacheNodesKeyPrefix("/team/"), "/team/cache-nodes/");
}

TEST(EtcdCacheLayoutTest, RecordsRoundTrip) {
  absl::StatusOr<CacheNode> node =
      DecodeCacheNode(EncodeCacheNode({"10.0.0.5:7800", 2.5}));
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->address, "10.0.0.5:7800");
  EXPECT_EQ(node->weight, 2.5);
  EXPECT_EQ(DecodeCacheNode(R"({"address":"a:1"})")->weight, 1.0);
}

TEST(EtcdCacheLayoutTest, BadRecordsAreRefused) {
  for (const char* bad : {"", "[]", "{\"weight\":1}", "{\"address\":3}",
                          "{\"address\":\"a:1\",\"weight\":-1}",
                          "{\"address\":\"a:1\",\"weight\":\"x\"}"}) {
    EXPECT_EQ(DecodeCacheNode(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(EtcdCacheLayoutTest, ParsesTargets) {
  EXPECT_TRUE(IsEtcdCacheTarget("etcd://a:2379"));
  EXPECT_FALSE(IsEtcdCacheTarget("a:7800,b:7800"));
  absl::StatusOr<EtcdCacheTarget> t =
      ParseEtcdCacheTarget("etcd://a:2379,b:2379/team");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->endpoints, ElementsAre("http://a:2379", "http://b:2379"));
  EXPECT_EQ(t->prefix, "/team");
  t = ParseEtcdCacheTarget("etcd://a:2379");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->prefix, "/farm");
  EXPECT_EQ(ParseEtcdCacheTarget("etcd:///x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace farm::cache
