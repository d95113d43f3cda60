// A writer whose node dies mid-write (ShardedBlobStore::Put).
#include "cache/sharded/failover_blob_writer.h"

#include "cache/sharded/testing/test_cluster.h"
#include "cache/testing/test_bytes.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using ::testing::HasSubstr;
using testing::TestBytes;
using testing::TestCluster;

constexpr size_t kReplayBytes = 1000;

ShardedBlobStore::Options SmallReplay() {
  ShardedBlobStore::Options options;
  options.replay_bytes = kReplayBytes;
  return options;
}

class FailoverBlobWriterTest : public ::testing::Test {
 protected:
  // Bytes of `size` owned by node 0.
  std::string Blob(size_t size) {
    for (uint32_t seed = 1;; ++seed) {
      std::string data = TestBytes(size, seed);
      if (cluster_.Owner(Digest::Of(data)) == 0) return data;
    }
  }
  std::unique_ptr<BlobWriter> Open(const std::string& data) {
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
        cluster_.blobs().Put(Digest::Of(data));
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(*writer) : nullptr;
  }
  bool Holds(size_t node, const std::string& data) {
    return cluster_.cache(node).blobs()->Contains(Digest::Of(data));
  }
  size_t RunnerUp(const std::string& data) {
    return cluster_.ranking().Rank(Digest::Of(data))[1];
  }

  TestCluster cluster_{0, nullptr, SmallReplay()};
};

TEST_F(FailoverBlobWriterTest, SmallBlobIsReplayedWhenTheNodeDiesMidWrite) {
  const std::string data = Blob(kReplayBytes);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data.substr(0, 400)).ok());
  cluster_.node(0).SetDown(true);
  ASSERT_TRUE(writer->Write(data.substr(400)).ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_FALSE(cluster_.health().IsUp(0));
  EXPECT_TRUE(Holds(RunnerUp(data), data));
  EXPECT_EQ(*GetBlob(cluster_.blobs(), Digest::Of(data)), data);
}

TEST_F(FailoverBlobWriterTest, SmallBlobIsReplayedWhenTheNodeDiesAtCommit) {
  const std::string data = Blob(100);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data).ok());
  cluster_.node(0).SetDown(true);
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_TRUE(Holds(RunnerUp(data), data));
  EXPECT_FALSE(Holds(0, data));
  // Committed: the writer behaves as any committed writer.
  EXPECT_EQ(writer->Write("more").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FailoverBlobWriterTest, ReplayGoesOnWhileNodesKeepDying) {
  const std::string data = Blob(100);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data).ok());
  cluster_.node(0).SetDown(true);
  cluster_.node(RunnerUp(data)).SetDown(true);
  ASSERT_TRUE(writer->Commit().ok());
  const size_t last = cluster_.ranking().Rank(Digest::Of(data))[2];
  EXPECT_TRUE(Holds(last, data));
}

TEST_F(FailoverBlobWriterTest, LargeBlobFailsUnavailableAndTheRetryGoesOn) {
  const std::string data = Blob(3 * kReplayBytes);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data.substr(0, 2 * kReplayBytes)).ok());
  cluster_.node(0).SetDown(true);
  absl::Status status = writer->Write(data.substr(2 * kReplayBytes));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("cache node cache-a:7070 failed after 3000 bytes"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("put the blob again"));
  // The writer stays failed; nothing is stored anywhere.
  EXPECT_EQ(writer->Commit().code(), absl::StatusCode::kUnavailable);
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    EXPECT_FALSE(Holds(node, data)) << node;
  }
  // The caller's retry skips the dead node.
  ASSERT_TRUE(PutBlob(cluster_.blobs(), data).ok());
  EXPECT_TRUE(Holds(RunnerUp(data), data));
}

TEST_F(FailoverBlobWriterTest, LargeBlobDyingAtCommitAlsoFails) {
  const std::string data = Blob(2 * kReplayBytes);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data).ok());
  cluster_.node(0).SetDown(true);
  EXPECT_EQ(writer->Commit().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(cluster_.health().IsUp(0));
}

TEST_F(FailoverBlobWriterTest, NoNodeLeftIsUnavailable) {
  const std::string data = Blob(100);
  std::unique_ptr<BlobWriter> writer = Open(data);
  ASSERT_TRUE(writer->Write(data).ok());
  for (size_t node = 0; node < TestCluster::kNodes; ++node) {
    cluster_.node(node).SetDown(true);
  }
  absl::Status status = writer->Commit();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("putting blob " + Digest::Of(data).ToString() +
                        ": no cache node answered"));
  for (const CacheNode& node : cluster_.nodes()) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(node.address));
  }
}

}  // namespace
}  // namespace farm::cache
