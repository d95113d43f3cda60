// A scheduler node over a separate farm-cache: the blobs of its stored
// images, and the newest generation of each cache mount, are pinned in that
// cache, so its byte budget never evicts them.
#include "scheduler/farm_node.h"

#include <sys/stat.h>

#include <memory>
#include <string>

#include "auth/authenticator.h"
#include "cache/blob_store.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::scheduler {
namespace {

std::string Bytes(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + i * 7);
  return out;
}

class FarmNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("farm_node");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    cache::RocksDbCache::Options options;
    options.root = JoinPath(dir_, "farm-cache");
    options.max_bytes = 100'000;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<cache::RocksDbCache>> cache =
        cache::RocksDbCache::Open(options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    cache_ = *std::move(cache);
    service_ = std::make_unique<cache::CacheService>(
        cache_->blobs(), cache_->actions(), cache_.get(), &open_);
    absl::StatusOr<cache::RunningServer> server =
        cache::StartGrpcServer("127.0.0.1:0", {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    node_.reset();
    if (server_.server != nullptr) server_.server->Shutdown();
    server_.server.reset();
    service_.reset();
    cache_.reset();
    RemoveAll(dir_).IgnoreError();
  }

  void OpenNode() {
    node_.reset();
    FarmNodeOptions options;
    options.root = JoinPath(dir_, "scheduler");
    options.cache_address = absl::StrCat("127.0.0.1:", server_.port);
    absl::StatusOr<std::unique_ptr<FarmNode>> node = FarmNode::Open(options);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
  }

  // Stores a one-layer image through the node (so in the farm-cache) and
  // tags it; returns its layer's digest.
  Digest AddImage(const std::string& tag, const std::string& layer) {
    const std::string diff_id = Digest::Of("tar of " + tag).ToString();
    nlohmann::json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"config", nlohmann::json::object()},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}};
    const std::string config_text = config.dump();
    nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
        {"config",
         {{"mediaType", "application/vnd.docker.container.image.v1+json"},
          {"size", config_text.size()},
          {"digest", Digest::Of(config_text).ToString()}}},
        {"layers",
         {{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
           {"size", layer.size()},
           {"digest", Digest::Of(layer).ToString()}}}}};
    const std::string manifest_text = manifest.dump();
    for (const std::string* blob : {&layer, &config_text, &manifest_text}) {
      EXPECT_TRUE(cache::PutBlob(*node_->blobs(), *blob).ok());
    }
    absl::StatusOr<ImageInfo> added =
        node_->images()->Add(Digest::Of(manifest_text), {tag});
    EXPECT_TRUE(added.ok()) << added.status();
    return Digest::Of(layer);
  }

  bool Stored(const Digest& digest) {
    return cache_->blobs()->Stat(digest).ok();
  }

  std::string dir_;
  SimulatedClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<cache::RocksDbCache> cache_;
  auth::Authenticator open_{auth::AuthenticatorOptions()};
  std::unique_ptr<cache::CacheService> service_;
  cache::RunningServer server_;
  std::unique_ptr<FarmNode> node_;
};

TEST_F(FarmNodeTest, ImagesBlobsArePinnedInASeparateCache) {
  OpenNode();
  const Digest kept = AddImage("kept:1", Bytes(30'000, 1));
  const Digest dropped = AddImage("dropped:1", Bytes(30'000, 2));
  ASSERT_TRUE(node_->images()->Remove("dropped:1", false).ok());
  // A restarted scheduler renews its own pins, under the same name.
  OpenNode();
  // Fill the farm-cache well past its budget with newer blobs.
  for (char seed = 10; seed < 16; ++seed) {
    clock_.Advance(absl::Hours(2));
    ASSERT_TRUE(cache::PutBlob(*node_->blobs(), Bytes(30'000, seed)).ok());
  }
  EXPECT_TRUE(Stored(kept));
  EXPECT_FALSE(Stored(dropped));
  absl::StatusOr<std::vector<std::string>> pin_files =
      ListDir(JoinPath(dir_, "farm-cache/farm-pins"));
  ASSERT_TRUE(pin_files.ok());
  EXPECT_EQ(pin_files->size(), 1u);
}

TEST_F(FarmNodeTest, TheNewestCacheMountGenerationsArePinned) {
  OpenNode();
  const std::string older = Bytes(30'000, 3);
  const std::string newest = Bytes(30'000, 4);
  std::string grant = node_->core()->cache_mount_grants()->GrantFor("w1", "a");
  SharedCacheMounts* mounts = node_->shared_cache_mounts();
  ASSERT_TRUE(cache::PutBlob(*node_->blobs(), older).ok());
  ASSERT_TRUE(
      mounts->Advance(grant, "npm", Digest(), {Digest::Of(older), 30'000})
          .ok());
  ASSERT_TRUE(cache::PutBlob(*node_->blobs(), newest).ok());
  ASSERT_TRUE(mounts
                  ->Advance(grant, "npm", Digest::Of(older),
                            {Digest::Of(newest), 30'000})
                  .ok());
  // A restarted scheduler still points at it (grants are new) and pins it.
  OpenNode();
  grant = node_->core()->cache_mount_grants()->GrantFor("w1", "a");
  absl::StatusOr<MountGeneration> pointed =
      node_->shared_cache_mounts()->Get(grant, "npm");
  ASSERT_TRUE(pointed.ok()) << pointed.status();
  EXPECT_EQ(pointed->digest, Digest::Of(newest));
  for (char seed = 10; seed < 16; ++seed) {
    clock_.Advance(absl::Hours(2));
    ASSERT_TRUE(cache::PutBlob(*node_->blobs(), Bytes(30'000, seed)).ok());
  }
  EXPECT_TRUE(Stored(Digest::Of(newest)));
  EXPECT_FALSE(Stored(Digest::Of(older)));  // replaced: left to the budget
}

TEST_F(FarmNodeTest, RootsAreForTheirOwnerOnly) {
  OpenNode();
  for (const char* root : {"scheduler", "farm-cache"}) {
    struct stat st;
    ASSERT_EQ(stat(JoinPath(dir_, root).c_str(), &st), 0) << root;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << root;
  }
}

}  // namespace
}  // namespace farm::scheduler
