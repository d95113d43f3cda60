#include "cache/sharded/sharded_cache_admin.h"

#include "absl/strings/str_cat.h"
#include "cache/sharded/testing/test_cluster.h"
#include "cache/testing/test_bytes.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;
using testing::TestBytes;
using testing::TestCluster;

class ShardedCacheAdminTest : public ::testing::Test {
 protected:
  // One 1000-byte blob per node, returned in node order.
  std::vector<Digest> OneBlobPerNode() {
    std::vector<Digest> digests;
    for (size_t node = 0; node < TestCluster::kNodes; ++node) {
      for (uint32_t seed = 1;; ++seed) {
        std::string data = TestBytes(1000, seed);
        if (cluster_.Owner(Digest::Of(data)) != node) continue;
        EXPECT_TRUE(PutBlob(cluster_.blobs(), data).ok());
        digests.push_back(Digest::Of(data));
        break;
      }
    }
    return digests;
  }
  bool Holds(size_t node, const Digest& digest) {
    return cluster_.cache(node).blobs()->Contains(digest);
  }

  TestCluster cluster_{/*max_bytes=*/100'000};
};

TEST_F(ShardedCacheAdminTest, StatsAreSummedOverTheNodes) {
  OneBlobPerNode();
  ASSERT_TRUE(GetBlob(cluster_.blobs(), Digest::Of("nope")).status().code() ==
              absl::StatusCode::kNotFound);
  absl::StatusOr<CacheStats> stats = cluster_.admin().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->blob_count, 3u);
  EXPECT_EQ(stats->blob_bytes, 3000u);
  EXPECT_EQ(stats->bytes_written, 3000u);
  EXPECT_EQ(stats->blob_misses, 1u);
  EXPECT_EQ(stats->max_bytes, 300'000u);
}

TEST_F(ShardedCacheAdminTest, StatsLeaveOutADownNode) {
  OneBlobPerNode();
  cluster_.node(1).SetDown(true);
  absl::StatusOr<CacheStats> stats = cluster_.admin().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->blob_count, 2u);
  EXPECT_EQ(stats->max_bytes, 200'000u);
  EXPECT_FALSE(cluster_.health().IsUp(1));
}

TEST_F(ShardedCacheAdminTest, AllNodesDownIsUnavailable) {
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    cluster_.node(node).SetDown(true);
  }
  absl::Status status = cluster_.admin().Stats().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  for (const CacheNode& node : cluster_.nodes()) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(node.address));
  }
  EXPECT_EQ(cluster_.admin().SetPins("me", {}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(cluster_.admin().Prune({}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ShardedCacheAdminTest, PruneSplitsTheTargetAndSumsTheResults) {
  std::vector<Digest> digests = OneBlobPerNode();
  std::vector<Digest> more = OneBlobPerNode();  // same blobs: nothing new
  ASSERT_EQ(digests, more);
  PruneOptions options;
  options.target_bytes = 3000;  // 1000 per node: all stay
  absl::StatusOr<PruneResult> pruned = cluster_.admin().Prune(options);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->blobs_removed, 0u);

  options.target_bytes = 2999;  // 999 per node: each node evicts its blob
  options.keep = {digests[2]};
  pruned = cluster_.admin().Prune(options);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->blobs_removed, 2u);
  EXPECT_EQ(pruned->bytes_removed, 2000u);
  EXPECT_FALSE(Holds(0, digests[0]));
  EXPECT_FALSE(Holds(1, digests[1]));
  EXPECT_TRUE(Holds(2, digests[2]));
}

TEST_F(ShardedCacheAdminTest, PinsReachEveryNodeAndADownNodeIsLeftOut) {
  std::vector<Digest> digests = OneBlobPerNode();
  cluster_.node(0).SetDown(true);
  absl::flat_hash_set<Digest> pins(digests.begin(), digests.end());
  ASSERT_TRUE(cluster_.admin().SetPins("scheduler", pins).ok());
  EXPECT_FALSE(cluster_.health().IsUp(0));
  // Prune to nothing: the nodes that got the pins keep their blobs.
  ASSERT_TRUE(cluster_.admin().Prune({}).ok());
  EXPECT_TRUE(Holds(1, digests[1]));
  EXPECT_TRUE(Holds(2, digests[2]));
  EXPECT_TRUE(Holds(0, digests[0]));  // down: not pruned either

  // Back after the skip period, it gets the pins at the next renewal.
  cluster_.node(0).SetDown(false);
  cluster_.clock().Advance(TestCluster::kSkip);
  ASSERT_TRUE(cluster_.admin().SetPins("scheduler", pins).ok());
  ASSERT_TRUE(cluster_.admin().Prune({}).ok());
  EXPECT_TRUE(Holds(0, digests[0]));
  // A pinned blob is refused, with the node that refused it named.
  absl::Status status = cluster_.admin().Delete({digests[1]});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("deleting blobs on cache node cache-"));
}

TEST_F(ShardedCacheAdminTest, DeleteReachesEveryNodeAndADownOneFailsIt) {
  std::vector<Digest> digests = OneBlobPerNode();
  ASSERT_TRUE(cluster_.admin().Delete({digests[0]}).ok());
  EXPECT_FALSE(Holds(0, digests[0]));

  cluster_.node(2).SetDown(true);
  absl::Status status = cluster_.admin().Delete({digests[1], digests[2]});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("deleting blobs: cache nodes did not answer: "
                        "cache-c:7070 (UNAVAILABLE"));
  EXPECT_FALSE(Holds(1, digests[1]));  // the others did delete
  EXPECT_TRUE(Holds(2, digests[2]));
}

}  // namespace
}  // namespace farm::cache
