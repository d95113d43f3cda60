// Runs the conformance suite through a real farm-cache service on
// 127.0.0.1, backed by a RocksDB cache in a temp dir, plus the wire-level
// checks that only a remote store has.
#include <memory>
#include <string>

#include "auth/authenticator.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/memory_cache.h"
#include "cache/remote/channel.h"
#include "cache/remote/remote_action_cache.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/remote/remote_cache_admin.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/testing/cache_conformance.h"
#include "cache/testing/rocksdb_cache_under_test.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"

namespace farm::cache {
namespace {

using testing::CacheConformanceTest;
using testing::CacheImpl;
using testing::CacheTestOptions;
using testing::CacheUnderTest;
using ::testing::HasSubstr;
using testing::RocksDbCacheUnderTest;
using testing::TestBytes;

// Small limits, so that the suite's 50 kB blobs stream and its small ones
// go by batch.
RemoteOptions SmallRemoteOptions() {
  RemoteOptions options;
  options.max_batch_bytes = 8192;
  options.stream_chunk_bytes = 4096;
  options.find_missing_batch = 1000;  // the suite's 3,000 take three calls
  options.timeout = absl::Seconds(20);
  return options;
}

// The RocksDB cache under test, served on 127.0.0.1 and used through the
// remote clients.
class RemoteCacheUnderTest : public CacheUnderTest {
 public:
  static absl::StatusOr<std::unique_ptr<RemoteCacheUnderTest>> Make(
      const CacheTestOptions& options) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<RocksDbCacheUnderTest> local,
        RocksDbCacheUnderTest::Make(options, ChunkStorage::kBlobFiles));
    auto cache = std::make_unique<RemoteCacheUnderTest>(std::move(local));
    RETURN_IF_ERROR(cache->Start());
    return cache;
  }
  explicit RemoteCacheUnderTest(std::unique_ptr<RocksDbCacheUnderTest> local)
      : local_(std::move(local)) {}
  ~RemoteCacheUnderTest() override { Stop(); }

  BlobStore* blobs() override { return blobs_.get(); }
  ActionCache* actions() override { return actions_.get(); }
  CacheAdmin* admin() override { return admin_.get(); }
  absl::Status Corrupt(const Digest& digest, uint64_t offset) override {
    return local_->Corrupt(digest, offset);
  }
  absl::Status Reopen() override {
    Stop();
    RETURN_IF_ERROR(local_->Reopen());
    return Start();
  }
  int port() const { return server_.port; }

 private:
  absl::Status Start() {
    RocksDbCache* cache = local_->cache();
    checked_ = std::make_unique<BlobCheckingActionCache>(cache->actions(),
                                                         cache->blobs());
    CacheService::Options service_options;
    service_options.max_batch_bytes = 8192;
    service_options.stream_chunk_bytes = 4096;
    service_ = std::make_unique<CacheService>(cache->blobs(), checked_.get(),
                                              cache, &open_, service_options);
    ASSIGN_OR_RETURN(server_, StartGrpcServer("127.0.0.1:0", {service_.get()}));
    auto channel = DialCache("127.0.0.1:" + std::to_string(server_.port));
    blobs_ = std::make_unique<RemoteBlobStore>(channel, SmallRemoteOptions());
    actions_ =
        std::make_unique<RemoteActionCache>(channel, SmallRemoteOptions());
    admin_ = std::make_unique<RemoteCacheAdmin>(channel, SmallRemoteOptions());
    return absl::OkStatus();
  }
  void Stop() {
    blobs_.reset();
    actions_.reset();
    admin_.reset();
    if (server_.server != nullptr) server_.server->Shutdown();
    server_.server.reset();
    service_.reset();
    checked_.reset();
  }

  std::unique_ptr<RocksDbCacheUnderTest> local_;
  std::unique_ptr<BlobCheckingActionCache> checked_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<CacheService> service_;
  RunningServer server_;
  std::unique_ptr<RemoteBlobStore> blobs_;
  std::unique_ptr<RemoteActionCache> actions_;
  std::unique_ptr<RemoteCacheAdmin> admin_;
};

INSTANTIATE_TEST_SUITE_P(
    Remote, CacheConformanceTest,
    ::testing::Values(CacheImpl{
        "RemoteOverRocksDb",
        [](const CacheTestOptions& options)
            -> absl::StatusOr<std::unique_ptr<CacheUnderTest>> {
          ASSIGN_OR_RETURN(std::unique_ptr<RemoteCacheUnderTest> cache,
                           RemoteCacheUnderTest::Make(options));
          return cache;
        },
        /*persistent=*/true}),
    testing::CacheImplName);

class RemoteCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CacheTestOptions options;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<RemoteCacheUnderTest>> cache =
        RemoteCacheUnderTest::Make(options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = std::move(*cache);
    stub_ = proto::CacheService::NewStub(
        DialCache("127.0.0.1:" + std::to_string(cache_->port())));
  }

  SimulatedClock clock_;
  std::unique_ptr<RemoteCacheUnderTest> cache_;
  std::unique_ptr<proto::CacheService::Stub> stub_;
};

TEST_F(RemoteCacheTest, MalformedDigestOnTheWireIsInvalidArgument) {
  proto::FindMissingRequest request;
  request.add_digests("sha256:" + std::string(64, 'a'));
  request.add_digests("sha1:abc");
  proto::FindMissingResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->FindMissing(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("digests[1]"));
}

TEST_F(RemoteCacheTest, BatchReadInlinesSmallBlobsAndDefersLargeOnes) {
  std::string small = TestBytes(100, 1), large = TestBytes(20'000, 2);
  ASSERT_TRUE(PutBlob(*cache_->blobs(), small).ok());
  ASSERT_TRUE(PutBlob(*cache_->blobs(), large).ok());
  proto::BatchReadRequest request;
  request.add_digests(Digest::Of(small).ToString());
  request.add_digests(Digest::Of(large).ToString());
  request.add_digests(Digest::Of("absent").ToString());
  proto::BatchReadResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->BatchRead(&context, request, &response).ok());
  ASSERT_EQ(response.entries_size(), 3);
  EXPECT_EQ(response.entries(0).status().code(), 0);
  EXPECT_EQ(response.entries(0).data(), small);
  EXPECT_FALSE(response.entries(0).use_stream());
  EXPECT_EQ(response.entries(1).status().code(), 0);
  EXPECT_TRUE(response.entries(1).use_stream());
  EXPECT_EQ(response.entries(1).size(), 20'000);
  EXPECT_TRUE(response.entries(1).data().empty());
  EXPECT_EQ(response.entries(2).status().code(),
            static_cast<int>(absl::StatusCode::kNotFound));
}

TEST_F(RemoteCacheTest, WriteStreamThatChangesDigestIsRejected) {
  grpc::ClientContext context;
  proto::WriteResponse response;
  auto stream = stub_->Write(&context, &response);
  proto::WriteRequest first;
  first.set_digest(Digest::Of("a").ToString());
  first.set_data("a");
  proto::WriteRequest second;
  second.set_digest(Digest::Of("b").ToString());
  stream->Write(first);
  stream->Write(second);
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("changed its digest"));
  EXPECT_FALSE(cache_->blobs()->Stat(Digest::Of("a")).ok());
}

TEST_F(RemoteCacheTest, ActionHitWithEvictedLayerIsAMissOverTheWire) {
  std::string layer = TestBytes(3000, 3);
  ASSERT_TRUE(PutBlob(*cache_->blobs(), layer).ok());
  proto::ActionResult result;
  result.mutable_layer()->set_digest(Digest::Of(layer).ToString());
  result.mutable_layer()->set_diff_id(Digest::Of("tar").ToString());
  ASSERT_TRUE(cache_->actions()->Update(Digest::Of("k"), result).ok());
  ASSERT_TRUE(cache_->actions()->Get(Digest::Of("k")).ok());
  ASSERT_TRUE(cache_->blobs()->Delete(Digest::Of(layer)).ok());
  absl::StatusOr<proto::ActionResult> miss =
      cache_->actions()->Get(Digest::Of("k"));
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(miss.status().message()), HasSubstr("miss"));
  // And the server refuses results whose layer it does not hold.
  absl::Status refused = cache_->actions()->Update(Digest::Of("k"), result);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RemoteCacheUnreachableTest, CallsFailUnavailable) {
  // Bind a port, then free it, so nothing listens there.
  MemoryCache cache;
  auth::Authenticator open{auth::AuthenticatorOptions()};
  CacheService service(cache.blobs(), cache.actions(), &cache, &open);
  absl::StatusOr<RunningServer> server =
      StartGrpcServer("127.0.0.1:0", {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  int port = server->port;
  server->server->Shutdown();
  server->server.reset();
  RemoteOptions options;
  options.timeout = absl::Seconds(2);
  RemoteBlobStore store(DialCache("127.0.0.1:" + std::to_string(port)),
                        options);
  absl::StatusOr<BlobInfo> info = store.Stat(Digest::Of("x"));
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable)
      << info.status();
}

}  // namespace
}  // namespace farm::cache
