#include "cache/sharded/cache_nodes.h"

#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;

void ExpectInvalid(absl::string_view list, absl::string_view names) {
  absl::StatusOr<std::vector<CacheNode>> nodes = ParseCacheNodes(list);
  ASSERT_FALSE(nodes.ok()) << list;
  EXPECT_EQ(nodes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(nodes.status().message()), HasSubstr(names)) << list;
}

TEST(ParseCacheNodesTest, OneAddressIsAListOfOne) {
  absl::StatusOr<std::vector<CacheNode>> nodes =
      ParseCacheNodes("cache-0:7070");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].address, "cache-0:7070");
  EXPECT_EQ((*nodes)[0].weight, 1.0);
}

TEST(ParseCacheNodesTest, ListWithWeightsAndSpaces) {
  absl::StatusOr<std::vector<CacheNode>> nodes =
      ParseCacheNodes("a:1=2, b:2 , c:3 = 0.5,[::1]:4=1e1");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 4u);
  EXPECT_EQ((*nodes)[0].address, "a:1");
  EXPECT_EQ((*nodes)[0].weight, 2.0);
  EXPECT_EQ((*nodes)[1].address, "b:2");
  EXPECT_EQ((*nodes)[1].weight, 1.0);
  EXPECT_EQ((*nodes)[2].address, "c:3");
  EXPECT_EQ((*nodes)[2].weight, 0.5);
  EXPECT_EQ((*nodes)[3].address, "[::1]:4");
  EXPECT_EQ((*nodes)[3].weight, 10.0);
}

TEST(ParseCacheNodesTest, EmptyEntriesAreNamedByPosition) {
  ExpectInvalid("", "entry 1 is empty");
  ExpectInvalid("a:1,,b:2", "entry 2 is empty");
  ExpectInvalid("a:1, ", "entry 2 is empty");
  ExpectInvalid(",a:1", "entry 1 is empty");
}

TEST(ParseCacheNodesTest, EntryWithoutAddress) {
  ExpectInvalid("a:1,=2", "\"=2\" has no address");
}

TEST(ParseCacheNodesTest, DuplicateAddress) {
  ExpectInvalid("a:1,b:2=3,a:1=2", "\"a:1\" is listed more than once");
}

TEST(ParseCacheNodesTest, WeightMustBeAPositiveFiniteNumber) {
  ExpectInvalid("a:1=x", "\"a:1=x\": weight \"x\" is not a number");
  ExpectInvalid("a:1=", "\"a:1=\": weight \"\" is not a number");
  for (const char* bad : {"a:1=0", "a:1=-1", "a:1=inf", "a:1=nan"}) {
    ExpectInvalid(bad, "positive finite");
    ExpectInvalid(bad, bad);
  }
}

TEST(ValidateCacheNodesTest, ChecksListsBuiltInCode) {
  EXPECT_EQ(ValidateCacheNodes({}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateCacheNodes({{"a:1", 1}, {"b:1", 3}}).ok());
  EXPECT_EQ(ValidateCacheNodes({{"a:1", 1}, {"a:1", 3}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCacheNodes({{"a:1", -2}}).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace farm::cache
