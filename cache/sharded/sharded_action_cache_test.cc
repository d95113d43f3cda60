#include "cache/sharded/sharded_action_cache.h"

#include "absl/strings/str_cat.h"
#include "cache/sharded/testing/test_cluster.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;
using testing::TestCluster;

proto::ActionResult Result(const std::string& created_by) {
  proto::ActionResult result;
  result.set_empty_layer(true);
  result.set_created_by(created_by);
  return result;
}

class ShardedActionCacheTest : public ::testing::Test {
 protected:
  bool Holds(size_t node, const Digest& key) {
    return cluster_.cache(node).actions()->Get(key).ok();
  }

  TestCluster cluster_;
};

TEST_F(ShardedActionCacheTest, EachEntryIsStoredOnTheKeysOwner) {
  for (int i = 0; i < 30; ++i) {
    const Digest key = Digest::Of(absl::StrCat("key ", i));
    ASSERT_TRUE(cluster_.actions().Update(key, Result("RUN a")).ok());
    for (size_t node = 0; node < TestCluster::kNodes; ++node) {
      EXPECT_EQ(Holds(node, key), node == cluster_.Owner(key)) << i;
    }
    absl::StatusOr<proto::ActionResult> hit = cluster_.actions().Get(key);
    ASSERT_TRUE(hit.ok()) << hit.status();
    EXPECT_EQ(hit->created_by(), "RUN a");
  }
}

TEST_F(ShardedActionCacheTest, MissIsAnAnswerAndADownOwnerFallsThrough) {
  const Digest key = Digest::Of(cluster_.DataOwnedBy(1, "key"));
  const int calls = cluster_.node(2).calls() + cluster_.node(0).calls();
  EXPECT_EQ(cluster_.actions().Get(key).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster_.node(2).calls() + cluster_.node(0).calls(), calls);

  cluster_.node(1).SetDown(true);
  ASSERT_TRUE(cluster_.actions().Update(key, Result("RUN b")).ok());
  EXPECT_FALSE(cluster_.health().IsUp(1));
  const size_t runner_up = cluster_.ranking().Rank(key)[1];
  EXPECT_TRUE(Holds(runner_up, key));
  EXPECT_EQ(cluster_.actions().Get(key)->created_by(), "RUN b");
}

TEST_F(ShardedActionCacheTest, GetManyGroupsByNodeAndFallsBack) {
  std::vector<Digest> keys;
  for (int i = 0; i < 60; ++i) {
    keys.push_back(Digest::Of(absl::StrCat("key ", i)));
    if (i % 3 != 0) {
      ASSERT_TRUE(
          cluster_.actions().Update(keys.back(), Result(absl::StrCat(i))).ok());
    }
  }
  keys.push_back(keys[1]);
  std::vector<absl::StatusOr<proto::ActionResult>> got =
      cluster_.actions().GetMany(keys);
  ASSERT_EQ(got.size(), keys.size());
  for (int i = 0; i < 60; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(got[i].status().code(), absl::StatusCode::kNotFound) << i;
    } else {
      ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
      EXPECT_EQ(got[i]->created_by(), absl::StrCat(i));
    }
  }
  EXPECT_EQ(got[60]->created_by(), "1");
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    EXPECT_EQ(cluster_.node(node).get_many_calls(), 1) << node;
  }

  // Node 2's keys go to their runners-up, which never stored them.
  cluster_.node(2).SetDown(true);
  got = cluster_.actions().GetMany(keys);
  for (size_t i = 0; i < 60; ++i) {
    if (cluster_.Owner(keys[i]) == 2 || i % 3 == 0) {
      EXPECT_EQ(got[i].status().code(), absl::StatusCode::kNotFound) << i;
    } else {
      EXPECT_TRUE(got[i].ok()) << i;
    }
  }
  EXPECT_EQ(cluster_.node(0).get_many_calls(), 3);
  EXPECT_EQ(cluster_.node(1).get_many_calls(), 3);
  EXPECT_FALSE(cluster_.health().IsUp(2));
}

TEST_F(ShardedActionCacheTest, AllNodesDownIsUnavailable) {
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    cluster_.node(node).SetDown(true);
  }
  const Digest key = Digest::Of("key");
  absl::Status status = cluster_.actions().Update(key, Result("x"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("storing action " + key.ToString() +
                        ": no cache node answered"));
  EXPECT_EQ(cluster_.actions().Get(key).status().code(),
            absl::StatusCode::kUnavailable);
  std::vector<absl::StatusOr<proto::ActionResult>> got =
      cluster_.actions().GetMany({key, Digest::Of("other")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace farm::cache
