#include "cache/sharded/sharded_blob_store.h"

#include "absl/strings/str_cat.h"
#include "cache/sharded/testing/test_cluster.h"
#include "common/fs.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::TestCluster;

class ShardedBlobStoreTest : public ::testing::Test {
 protected:
  bool Holds(size_t node, const Digest& digest) {
    return cluster_.cache(node).blobs()->Contains(digest);
  }
  // Where `digest` goes when its owner is down.
  size_t RunnerUp(const Digest& digest) {
    return cluster_.ranking().Rank(digest)[1];
  }

  TestCluster cluster_;
};

TEST_F(ShardedBlobStoreTest, EachBlobIsStoredOnItsOwnerOnly) {
  for (int i = 0; i < 30; ++i) {
    std::string data = absl::StrCat("blob ", i);
    ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
    const Digest digest = Digest::Of(data);
    for (size_t node = 0; node < TestCluster::kNodes; ++node) {
      EXPECT_EQ(Holds(node, digest), node == cluster_.Owner(digest)) << i;
    }
    EXPECT_EQ(*GetBlob(cluster_.blobs(), digest), data);
  }
}

TEST_F(ShardedBlobStoreTest, DownNodesShareIsServedByTheNextNode) {
  const std::string data = cluster_.DataOwnedBy(0, "layer");
  const Digest digest = Digest::Of(data);
  cluster_.node(0).SetDown(true);

  ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
  EXPECT_FALSE(cluster_.health().IsUp(0));
  EXPECT_TRUE(Holds(RunnerUp(digest), digest));
  EXPECT_EQ(*GetBlob(cluster_.blobs(), digest), data);
  absl::StatusOr<BlobInfo> info = cluster_.blobs().Stat(digest);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, data.size());
  ASSERT_TRUE(cluster_.blobs().Delete(digest).ok());
  EXPECT_FALSE(Holds(RunnerUp(digest), digest));
}

TEST_F(ShardedBlobStoreTest, NotFoundIsAnAnswerNotAFailure) {
  const Digest digest = Digest::Of(cluster_.DataOwnedBy(1, "never stored"));
  std::vector<int> calls;
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    calls.push_back(cluster_.node(node).calls());
  }
  EXPECT_EQ(cluster_.blobs().Get(digest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster_.blobs().Stat(digest).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cluster_.node(0).calls(), calls[0]);
  EXPECT_EQ(cluster_.node(1).calls(), calls[1] + 2);
  EXPECT_EQ(cluster_.node(2).calls(), calls[2]);
  EXPECT_TRUE(cluster_.health().IsUp(1));
}

TEST_F(ShardedBlobStoreTest, NodesOtherErrorsAreReturnedNotFailedOver) {
  const Digest claimed = Digest::Of(cluster_.DataOwnedBy(2, "claimed"));
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
      cluster_.blobs().Put(claimed);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("other bytes").ok());
  EXPECT_EQ((*writer)->Commit().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(cluster_.health().IsUp(2));
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    EXPECT_EQ(cluster_.cache(node).blobs()->FindMissing({claimed})->size(), 1u);
  }
}

TEST_F(ShardedBlobStoreTest, FindMissingMakesOneCallPerNodeInInputOrder) {
  std::vector<Digest> asked;
  std::vector<Digest> expected;
  for (int i = 0; i < 300; ++i) {
    std::string data = absl::StrCat("blob ", i);
    if (i % 2 == 0) {
      ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
    }
    asked.push_back(Digest::Of(data));
    if (i % 2 == 1) expected.push_back(Digest::Of(data));
  }
  asked.push_back(asked[1]);  // asked twice, reported once
  absl::StatusOr<std::vector<Digest>> missing =
      cluster_.blobs().FindMissing(asked);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_THAT(*missing, ElementsAreArray(expected));
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    EXPECT_EQ(cluster_.node(node).find_missing_calls(), 1) << node;
  }
  missing = cluster_.blobs().FindMissing({});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_F(ShardedBlobStoreTest, FindMissingAsksADownNodesDigestsOfTheirNext) {
  std::vector<Digest> asked;
  for (int i = 0; i < 300; ++i) {
    std::string data = absl::StrCat("blob ", i);
    ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
    asked.push_back(Digest::Of(data));
  }
  cluster_.node(0).SetDown(true);
  absl::StatusOr<std::vector<Digest>> missing =
      cluster_.blobs().FindMissing(asked);
  ASSERT_TRUE(missing.ok()) << missing.status();
  // The memory nodes share no object store, so node 0's blobs are missing
  // on their runners-up; the others are found on their owners.
  std::vector<Digest> expected;
  for (const Digest& digest : asked) {
    if (cluster_.Owner(digest) == 0) expected.push_back(digest);
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_THAT(*missing, ElementsAreArray(expected));
  EXPECT_EQ(cluster_.node(0).find_missing_calls(), 0);
  // Their own group, then a share of node 0's.
  EXPECT_EQ(cluster_.node(1).find_missing_calls(), 2);
  EXPECT_EQ(cluster_.node(2).find_missing_calls(), 2);
  EXPECT_FALSE(cluster_.health().IsUp(0));

  // Node 0 is skipped now: not even asked.
  const int calls = cluster_.node(0).calls();
  ASSERT_TRUE(cluster_.blobs().FindMissing(asked).ok());
  EXPECT_EQ(cluster_.node(0).calls(), calls);
  EXPECT_EQ(cluster_.node(1).find_missing_calls(), 3);
  EXPECT_EQ(cluster_.node(2).find_missing_calls(), 3);
}

TEST_F(ShardedBlobStoreTest, GetSmallGroupsByNodeAndFallsBack) {
  std::vector<std::string> data;
  std::vector<Digest> asked;
  for (int i = 0; i < 30; ++i) {
    data.push_back(absl::StrCat("small ", i));
    asked.push_back(Digest::Of(data.back()));
  }
  cluster_.node(1).SetDown(true);
  for (const std::string& d : data) {
    ASSERT_TRUE(PutBlob(cluster_.blobs(), d).ok());
  }
  std::vector<absl::StatusOr<std::string>> got =
      cluster_.blobs().GetSmall(asked);
  ASSERT_EQ(got.size(), asked.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << i << ": " << got[i].status();
    EXPECT_EQ(*got[i], data[i]);
  }
  EXPECT_EQ(cluster_.node(0).get_small_calls(), 1);
  EXPECT_EQ(cluster_.node(1).get_small_calls(), 0);
  EXPECT_EQ(cluster_.node(2).get_small_calls(), 1);
}

TEST_F(ShardedBlobStoreTest, NodeIsTriedAgainAfterTheSkipPeriod) {
  const std::string data = cluster_.DataOwnedBy(2, "comes back");
  const Digest digest = Digest::Of(data);
  cluster_.node(2).SetDown(true);
  ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
  EXPECT_TRUE(Holds(RunnerUp(digest), digest));

  cluster_.node(2).SetDown(false);
  const int calls = cluster_.node(2).calls();
  cluster_.clock().Advance(TestCluster::kSkip - absl::Seconds(1));
  ASSERT_TRUE(cluster_.blobs().Stat(digest).ok());  // still on the runner-up
  EXPECT_EQ(cluster_.node(2).calls(), calls);

  cluster_.clock().Advance(absl::Seconds(1));
  EXPECT_EQ(cluster_.blobs().Stat(digest).status().code(),
            absl::StatusCode::kNotFound);  // its owner, which never got it
  EXPECT_EQ(cluster_.node(2).calls(), calls + 1);
  ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
  EXPECT_TRUE(Holds(2, digest));
}

TEST_F(ShardedBlobStoreTest, AllNodesDownIsUnavailableNamingEachNode) {
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    cluster_.node(node).SetDown(true);
  }
  const Digest digest = Digest::Of("anything");
  absl::Status status = cluster_.blobs().Get(digest).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr(digest.ToString()));
  for (const CacheNode& node : cluster_.nodes()) {
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(absl::StrCat(node.address, " (UNAVAILABLE: node ",
                                       node.address, " is down)")));
  }
  // Now every node is skipped, without being asked.
  status = PutBlob(cluster_.blobs(), "anything");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("cache-a:7070 (skipped until"));
  absl::StatusOr<std::vector<Digest>> missing =
      cluster_.blobs().FindMissing({digest, Digest::Of("other")});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  std::vector<absl::StatusOr<std::string>> small =
      cluster_.blobs().GetSmall({digest});
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ShardedBlobStoreTest, PutFileFallsThroughToTheNextNode) {
  absl::StatusOr<std::string> dir = MakeTempDir("sharded_put_file");
  ASSERT_TRUE(dir.ok()) << dir.status();
  const std::string data = cluster_.DataOwnedBy(1, "file");
  const Digest digest = Digest::Of(data);
  ASSERT_TRUE(WriteFile(*dir + "/blob", data).ok());
  cluster_.node(1).SetDown(true);
  ASSERT_TRUE(cluster_.blobs().PutFile(digest, *dir + "/blob").ok());
  EXPECT_TRUE(Holds(RunnerUp(digest), digest));
  RemoveAll(*dir).IgnoreError();
}

TEST(ShardedBlobStoreCreateTest, RejectsMismatchedOrBadNodes) {
  SimulatedClock clock;
  NodeHealth health(2, &clock);
  MemoryBlobStore a, b;
  EXPECT_EQ(ShardedBlobStore::Create({{"a:1"}, {"b:1"}}, {&a}, &health)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShardedBlobStore::Create({{"a:1"}, {"a:1"}}, {&a, &b}, &health)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShardedBlobStore::Create({{"a:1"}}, {&a}, &health).status().code(),
            absl::StatusCode::kInvalidArgument);  // health of two nodes
  EXPECT_TRUE(
      ShardedBlobStore::Create({{"a:1"}, {"b:1"}}, {&a, &b}, &health).ok());
}

}  // namespace
}  // namespace farm::cache
