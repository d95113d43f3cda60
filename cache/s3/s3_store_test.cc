// The object-store backend against a real S3 API: OpenStack Swift's s3api
// on loopback. The conformance suite runs on what a farm-cache node serves
// with --s3-endpoint (RocksDB in front of the bucket); the other tests
// check what only an object store does.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "cache/s3/s3_action_cache.h"
#include "cache/s3/s3_blob_store.h"
#include "cache/s3/s3_bucket.h"
#include "cache/s3/testing/swift_server.h"
#include "cache/testing/cache_conformance.h"
#include "cache/testing/rocksdb_cache_under_test.h"
#include "cache/tiered/read_through_action_cache.h"
#include "cache/tiered/read_through_blob_store.h"
#include "cache/tiered/tiered_cache_admin.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::cache::s3 {
namespace {

using ::farm::cache::testing::CacheConformanceTest;
using ::testing::HasSubstr;

testing::SwiftServer* swift = nullptr;

// One Swift for the whole binary: it takes seconds to start.
class SwiftEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("swift");
    ASSERT_TRUE(dir.ok()) << dir.status();
    absl::StatusOr<std::unique_ptr<testing::SwiftServer>> started =
        testing::SwiftServer::Start(*dir, "farm");
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    swift = server_.get();
  }
  void TearDown() override {
    swift = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<testing::SwiftServer> server_;
};

const auto* const environment =
    ::testing::AddGlobalTestEnvironment(new SwiftEnvironment);

// A prefix of its own for every store a test makes, so that tests sharing
// the bucket never see each other's objects.
S3Options FreshOptions() {
  static std::atomic<int> next{0};
  S3Options options = swift->options();
  options.prefix = absl::StrCat("t", getpid(), "-", next++, "/");
  return options;
}

// What a farm-cache node with --s3-endpoint serves.
class TieredOverSwift : public cache::testing::CacheUnderTest {
 public:
  static absl::StatusOr<std::unique_ptr<CacheUnderTest>> Make(
      const cache::testing::CacheTestOptions& options) {
    auto made = std::unique_ptr<TieredOverSwift>(new TieredOverSwift);
    ASSIGN_OR_RETURN(made->fast_, cache::testing::RocksDbCacheUnderTest::Make(
                                      options, ChunkStorage::kBlobFiles));
    made->bucket_ = std::make_unique<S3Bucket>(FreshOptions());
    S3BlobStoreOptions blob_options;
    blob_options.spool_dir = ::testing::TempDir();
    made->slow_blobs_ =
        std::make_unique<S3BlobStore>(made->bucket_.get(), blob_options);
    made->slow_actions_ = std::make_unique<S3ActionCache>(made->bucket_.get());
    made->blobs_ = std::make_unique<ReadThroughBlobStore>(
        made->fast_->blobs(), made->slow_blobs_.get());
    made->actions_ = std::make_unique<ReadThroughActionCache>(
        made->fast_->actions(), made->slow_actions_.get());
    made->admin_ = std::make_unique<TieredCacheAdmin>(made->fast_->admin(),
                                                      made->slow_blobs_.get());
    return std::unique_ptr<CacheUnderTest>(std::move(made));
  }

  BlobStore* blobs() override { return blobs_.get(); }
  ActionCache* actions() override { return actions_.get(); }
  CacheAdmin* admin() override { return admin_.get(); }
  absl::Status Corrupt(const Digest& digest, uint64_t offset) override {
    return fast_->Corrupt(digest, offset);
  }
  absl::Status Reopen() override { return fast_->Reopen(); }

 private:
  TieredOverSwift() = default;

  std::unique_ptr<cache::testing::RocksDbCacheUnderTest> fast_;
  std::unique_ptr<S3Bucket> bucket_;
  std::unique_ptr<S3BlobStore> slow_blobs_;
  std::unique_ptr<S3ActionCache> slow_actions_;
  std::unique_ptr<ReadThroughBlobStore> blobs_;
  std::unique_ptr<ReadThroughActionCache> actions_;
  std::unique_ptr<TieredCacheAdmin> admin_;
};

INSTANTIATE_TEST_SUITE_P(TieredOverSwift, CacheConformanceTest,
                         ::testing::Values(cache::testing::CacheImpl{
                             "TieredOverSwift", TieredOverSwift::Make,
                             /*persistent=*/false,
                             /*forgets=*/false,
                             /*large_batch=*/300}),
                         cache::testing::CacheImplName);

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(swift, nullptr);
    bucket_ = std::make_unique<S3Bucket>(FreshOptions());
    S3BlobStoreOptions options;
    options.spool_dir = ::testing::TempDir();
    blobs_ = std::make_unique<S3BlobStore>(bucket_.get(), options);
  }

  std::unique_ptr<S3Bucket> bucket_;
  std::unique_ptr<S3BlobStore> blobs_;
};

std::string Bytes(size_t size, uint32_t seed) {
  std::string data(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return data;
}

TEST_F(S3StoreTest, ALargeBlobStreamsBothWays) {
  // Past the memory spool (a file then) and past the reader's pause point.
  std::string data = Bytes(9 << 20, 1);
  Digest digest = Digest::Of(data);
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer = blobs_->Put(digest);
  ASSERT_TRUE(writer.ok());
  for (size_t at = 0; at < data.size(); at += 1 << 20) {
    absl::Status wrote =
        (*writer)->Write(absl::string_view(data).substr(at, 1 << 20));
    ASSERT_TRUE(wrote.ok()) << wrote;
  }
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(blobs_->Stat(digest)->size, data.size());

  absl::StatusOr<std::unique_ptr<ByteReader>> reader = blobs_->Get(digest);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string read;
  char buf[65536];
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    read.append(buf, *n);
  }
  EXPECT_TRUE(read == data);
}

TEST_F(S3StoreTest, FindMissingAsksThousandsInParallel) {
  std::vector<Digest> digests;
  for (int i = 0; i < 1000; ++i) {
    std::string data = absl::StrCat("blob ", i);
    if (i % 20 == 0) {
      ASSERT_TRUE(PutBlob(*blobs_, data).ok());
    }
    digests.push_back(Digest::Of(data));
  }
  absl::StatusOr<std::vector<Digest>> missing = blobs_->FindMissing(digests);
  ASSERT_TRUE(missing.ok()) << missing.status();
  ASSERT_EQ(missing->size(), 950u);
  EXPECT_EQ((*missing)[0], digests[1]);
  EXPECT_EQ(missing->back(), digests.back());
}

TEST_F(S3StoreTest, TheStoreRefusesBytesThatAreNotTheDigestsAndKeepsNothing) {
  std::string path = JoinPath(::testing::TempDir(), "not_the_digest");
  ASSERT_TRUE(WriteFile(path, "other bytes").ok());
  Digest claimed = Digest::Of("claimed bytes");
  absl::Status put = blobs_->PutFile(claimed, path);
  EXPECT_EQ(put.code(), absl::StatusCode::kInvalidArgument) << put;
  EXPECT_EQ(blobs_->Stat(claimed).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(S3StoreTest, DamageAtRestIsDataLossAndRemoved) {
  Digest digest = Digest::Of("the real bytes");
  ASSERT_TRUE(bucket_->Write(S3BlobStore::KeyOf(digest), "damaged").ok());
  EXPECT_EQ(GetBlob(*blobs_, digest).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(blobs_->Stat(digest).status().code(), absl::StatusCode::kNotFound);
  std::vector<absl::StatusOr<std::string>> small = blobs_->GetSmall({digest});
  EXPECT_EQ(small[0].status().code(), absl::StatusCode::kNotFound);
}

TEST_F(S3StoreTest, ActionResultsRoundTrip) {
  S3ActionCache actions(bucket_.get());
  proto::ActionResult result;
  result.set_empty_layer(true);
  result.set_created_by("ENV A=1");
  Digest key = Digest::Of("key");
  EXPECT_EQ(actions.Get(key).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(actions.Update(key, result).ok());
  std::vector<absl::StatusOr<proto::ActionResult>> many =
      actions.GetMany({Digest::Of("none"), key});
  EXPECT_EQ(many[0].status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(many[1].ok()) << many[1].status();
  EXPECT_EQ(many[1]->created_by(), "ENV A=1");
}

TEST_F(S3StoreTest, ANodeThatComesBackEmptyLosesNothing) {
  absl::StatusOr<std::string> first_dir = MakeTempDir("node-a");
  ASSERT_TRUE(first_dir.ok());
  RocksDbCache::Options first_options;
  first_options.root = *first_dir;
  auto first = RocksDbCache::Open(first_options);
  ASSERT_TRUE(first.ok()) << first.status();
  ReadThroughBlobStore node_a((*first)->blobs(), blobs_.get());
  std::string layer = Bytes(300'000, 2);
  ASSERT_TRUE(PutBlob(node_a, layer).ok());

  // The node's disk is gone; a new one starts empty over the same bucket.
  first->reset();
  ASSERT_TRUE(RemoveAll(*first_dir).ok());
  absl::StatusOr<std::string> second_dir = MakeTempDir("node-a-again");
  ASSERT_TRUE(second_dir.ok());
  RocksDbCache::Options second_options;
  second_options.root = *second_dir;
  auto second = RocksDbCache::Open(second_options);
  ASSERT_TRUE(second.ok());
  ReadThroughBlobStore node_a_again((*second)->blobs(), blobs_.get());
  EXPECT_EQ(*GetBlob(node_a_again, Digest::Of(layer)), layer);
  EXPECT_EQ(node_a_again.counters().slow_reads.load(), 1u);
  // Read once from the bucket, then kept on the node.
  EXPECT_THAT(*(*second)->blobs()->FindMissing({Digest::Of(layer)}),
              ::testing::IsEmpty());
}

TEST(S3BucketTest, WrongCredentialsArePermissionDenied) {
  S3Options options = swift->options();
  options.secret_key = "not the secret";
  S3Bucket bucket(options);
  absl::Status checked = bucket.Check();
  EXPECT_EQ(checked.code(), absl::StatusCode::kPermissionDenied) << checked;
}

TEST(S3BucketTest, AMissingBucketIsNamed) {
  S3Options options = swift->options();
  options.bucket = "no-such-bucket";
  S3Bucket bucket(options);
  absl::Status checked = bucket.Check();
  EXPECT_EQ(checked.code(), absl::StatusCode::kNotFound) << checked;
  EXPECT_THAT(std::string(checked.message()), HasSubstr("no-such-bucket"));
  EXPECT_TRUE(S3Bucket(swift->options()).Check().ok());
}

}  // namespace
}  // namespace farm::cache::s3
